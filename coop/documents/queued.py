"""One contract for a document the task queue makes and keeps (a certificate's PDF, a month's
台账): its download answers 200 with the PDF when it is done, 202 ``pdf_not_ready`` with
``Retry-After`` and a Chinese message while it is queued or running, and 409 ``pdf_failed`` with
the reason when the queue gave up. A document that does not exist, or that the asker may not
see, stays a 404 (the caller's lookup raises it before this is reached)."""

from collections.abc import Callable
from urllib.parse import quote

from flask import Response, jsonify

from coop.errors import DomainError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

RETRY_AFTER = 2  # seconds: what the pages' polling waits too


def not_ready(message: str, status: str) -> Response:
    """202: still being made; come back in ``RETRY_AFTER`` seconds."""
    response = jsonify(code="pdf_not_ready", message=message, status=status)
    response.status_code = 202
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_file(data: bytes, filename: str, *, disposition: str = "attachment") -> Response:
    """The finished PDF, named for saving (UTF-8, so a Chinese name survives); never cached by
    a shared proxy."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def queued_pdf(
    status: str,
    *,
    pdf: Callable[[], bytes],
    filename: str,
    not_ready_message: str,
    failed: DomainError,
    disposition: str = "attachment",
) -> Response:
    """Answer for a queued document in ``status``; ``pdf`` reads the stored bytes (only when
    done, since they are deferred); ``failed`` is the document's own 409 ``pdf_failed``."""
    if status == FAILED:
        raise failed
    if status != DONE:
        return not_ready(not_ready_message, status)
    return pdf_file(pdf(), filename, disposition=disposition)
