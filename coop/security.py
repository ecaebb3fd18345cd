"""Security headers: one policy, set on every response the app makes.

Pages, htmx fragments, the API and its OpenAPI document, redirects, error pages and static files
all leave through ``Flask.process_response``, so one ``after_request`` hook covers them all (an
unhandled error's 500 too: Flask finalises it the same way). The headers come from the ``secure``
library (see docs/decisions.md for why not flask-talisman).

The Content-Security-Policy lets a page run only scripts served from our own origin (coop.js
and the vendored htmx): no inline ``<script>``, no ``on…=`` attributes, no eval — so htmx is
told ``allowEval: false`` in base.html — and no inline styles, which is why htmx must not inject
its indicator ``<style>`` (the rules are in coop.css instead). No page may be framed, not even
by us. HSTS is sent in production only: development and the tests run over plain HTTP.
"""

import secure
from flask import Flask, Response

HSTS_SECONDS = 365 * 24 * 3600
_KEY = "coop.security"


def policy(*, production: bool) -> secure.Secure:
    """The headers every response carries; HSTS only when ``production``."""
    csp = (
        secure.ContentSecurityPolicy()
        .default_src("'self'")
        .script_src("'self'")
        .script_src_attr("'none'")
        .style_src("'self'")
        .img_src("'self'")
        .object_src("'none'")
        .base_uri("'none'")
        .form_action("'self'")
        .frame_ancestors("'none'")
    )
    return secure.Secure(
        csp=csp,
        xfo=secure.XFrameOptions().deny(),  # frame-ancestors for browsers that predate it
        xcto=secure.XContentTypeOptions().nosniff(),
        # Our URLs carry codes (check-in, pickup): full referrer within the site, none outside.
        referrer=secure.ReferrerPolicy().same_origin(),
        coop=secure.CrossOriginOpenerPolicy().same_origin(),
        hsts=(
            secure.StrictTransportSecurity().max_age(HSTS_SECONDS).include_subdomains()
            if production
            else None
        ),
    )


def init_app(app: Flask) -> None:
    headers = policy(production=app.config.get("COOP_ENV") == "production")
    app.extensions[_KEY] = headers

    @app.after_request
    def _set_security_headers(response: Response) -> Response:
        headers.set_headers(response)
        return response
