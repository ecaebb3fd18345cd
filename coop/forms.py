"""Every form that creates something creates it once.

A create form carries a hidden ``form_token``, new each time the form is drawn (the
``submit_once()`` macro in ``_macros/forms.html``). The view hands its write to ``submit_once``,
which keeps the answer in the API's idempotency records (per user and key, in the write's own
transaction, only on success; see coop/idempotency.py): the same form sent again — back and
submit, a double click, a retry after a lost answer — gets the first answer again, with a note,
and writes nothing. A refused submission is not remembered, and the page drawn again for it
keeps the token, so the corrected form still creates once.
"""

import hashlib
import re
import secrets
from collections.abc import Callable

from flask import flash, g, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from coop import idempotency
from coop.auth.models import User
from coop.errors import Conflict, DomainError
from coop.htmx import is_htmx

FIELD = "form_token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# What an answer needs to be given again: where it sent her, and what htmx does with it.
KEPT_HEADERS = ("Location", "HX-Trigger", "HX-Retarget", "HX-Reswap", "HX-Redirect")
# Set once this request's token is used up: forms drawn after that get new tokens.
_SPENT = "coop_form_token_spent"


class FormTokenInvalid(DomainError):
    code = "form_token_invalid"
    default_message = _l("页面已过期，请刷新后重新提交。")


class FormResubmitted(Conflict):
    """The same form came back with other contents after it had been sent."""

    code = "form_resubmitted"
    default_message = _l(
        "这张表单已经提交过，未重复创建。若确要按改动后的内容再提交一次，请检查后再点提交。"
    )


def form_token() -> str:
    """The token for a form being drawn: on the page drawn again for a refused submission, the
    token that submission came with; otherwise a new one."""
    if request.method == "POST" and not g.get(_SPENT):
        posted = request.form.get(FIELD, "")
        if TOKEN.fullmatch(posted):
            return posted
    return secrets.token_urlsafe(16)


def submit_once(actor: User, create: Callable[[], Response | str]) -> Response:
    """Run ``create`` (it writes, flashes and returns the answer) in one unit of work, at most
    once per form token: the same form sent again gets the first answer and writes nothing.
    What ``create`` flashed is taken back when its write is not kept.

    :raise FormTokenInvalid: the token is malformed. :raise FormResubmitted: the token was used
    for the same form with other contents (the page is drawn again with a new token).
    """
    token = _posted_token()
    key = print_ = None
    if token is not None:
        key = f"form:{token}:{hashlib.sha256(request.path.encode()).hexdigest()[:16]}"
        print_ = idempotency.fingerprint(_payload())
    flashed = list(session.get("_flashes", []))
    made: list[Response] = []

    def run() -> tuple[int, dict]:
        setattr(g, _SPENT, True)  # forms it draws are for the next submission
        response = make_response(create())
        made.append(response)
        return response.status_code, _kept(response)

    try:
        status, body, replayed = idempotency.once(actor, key, print_, run)
    except idempotency.IdempotencyMismatch:
        _take_back(flashed)
        setattr(g, _SPENT, True)
        if is_htmx():  # the form stays on her page with its token: only a reload gives a new one
            raise FormResubmitted(
                _("这张表单已经提交过，未重复创建。如需再提交，请刷新页面。")
            ) from None
        raise FormResubmitted() from None
    except BaseException:
        _take_back(flashed)
        setattr(g, _SPENT, False)  # the page drawn again for the refusal keeps the token
        raise
    if replayed:
        _take_back(flashed)
        return _replay(status, body)
    return made[-1]


def _posted_token() -> str | None:
    """The form's token; None from a page drawn before forms had one (it creates as before)."""
    token = request.form.get(FIELD)
    if token is not None and not TOKEN.fullmatch(token):
        raise FormTokenInvalid()
    return token


def _payload() -> dict:
    """What she sent, without the tokens: the same form with other contents is another request."""
    fields = sorted(
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in (FIELD, "csrf_token")
    )
    files = sorted(
        (name, upload.filename or "", _digest(upload.stream))
        for name, upload in request.files.items(multi=True)
    )
    return {"form": fields, "files": files}


def _digest(stream) -> str:
    """The upload's SHA-256, leaving the stream where the view left it."""
    position = stream.tell()
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 16):
        digest.update(chunk)
    stream.seek(position)
    return digest.hexdigest()


def _kept(response: Response) -> dict:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    if "Location" in headers:
        return {"headers": headers}
    return {"headers": headers, "html": response.get_data(as_text=True)}


def _replay(status: int, body: dict) -> Response:
    """The first answer again. A page she was sent to says nothing was created again; an htmx
    fragment is given as it was (it already says what happened)."""
    headers = body["headers"]
    location = headers.get("Location")
    if location is None and is_htmx():
        response = make_response(body.get("html", ""), status)
        response.headers.update(headers)
        return response
    flash(_("已提交过，未重复创建。"), "warn")
    if location is None:  # a fragment for htmx, and this time she came without JavaScript
        return redirect(request.referrer or url_for("shell.home"))
    if is_htmx():  # the first came without JavaScript: htmx loads the page it went to
        response = make_response("")
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, status)


def _take_back(flashed: list) -> None:
    if session.get("_flashes", []) != flashed:
        if flashed:
            session["_flashes"] = flashed
        else:
            session.pop("_flashes", None)
