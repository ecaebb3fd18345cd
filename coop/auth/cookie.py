"""The session cookie: set when a request changed the session, refreshed by pages opened.

Flask re-sends a permanent session's cookie on every response, to slide its idle expiry. But a
page starts requests of its own (its 待办 badge and other fragments, pictures, styles), and one
still under way when she submits a form answers after the form did, with the cookie as it was
when it left: the form's 已删除 message, or a sign-in's new session, is overwritten. So an
unchanged session's cookie is refreshed only by a page she opens (a GET navigation), never by
what a page loads; idle expiry counts from the last page opened (72 h, SESSION_IDLE_HOURS).
"""

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


class RefreshedByPages(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        return super().should_set_cookie(app, session) and _page_opened()


def _page_opened() -> bool:
    if request.method != "GET" or request.headers.get("HX-Request"):
        return False
    # Every current browser says what a request is for; without it, a static file is not a page.
    destination = request.headers.get("Sec-Fetch-Dest")
    return destination == "document" if destination else request.endpoint != "static"
