"""The one way the app makes a PDF: a Jinja template rendered to HTML, then WeasyPrint.

Templates extend ``documents/_base.html``, which links ``/static/print.css`` (A4, margins, the CJK
font stack, page numbers). WeasyPrint never goes to the network: ``LocalFetcher`` serves files
under ``coop/static`` and ``data:`` URIs (inline pictures) and refuses everything else.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC = Path(__file__).resolve().parent.parent / "static"
BASE_URL = "file:///static/"  # what relative links in document templates resolve against


def static_file(url: str) -> Path:
    """The file under coop/static that ``url`` names; URLFetchingError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
        raise URLFetchingError(f"refused: {url}")
    path = unquote(parts.path)
    if not path.startswith("/static/"):
        raise URLFetchingError(f"refused: {url}")
    target = (STATIC / path.removeprefix("/static/")).resolve()
    if STATIC not in target.parents or not target.is_file():
        raise URLFetchingError(f"refused: {url}")
    return target


class LocalFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        target = static_file(url)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=target.read_bytes(), headers={"Content-Type": kind})


def render_pdf(template_name: str, **context) -> bytes:
    """Render ``template_name`` with ``context`` (in a request or app context); the PDF's bytes."""
    html = render_template(template_name, **context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=LocalFetcher(fail_on_errors=True))
    return document.write_pdf()
