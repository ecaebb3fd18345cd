"""The domain error tree and the one place that turns any error into a response.

A request under /api/ gets JSON ``{code, status, message, errors}``; an htmx request gets the
``_error.html`` fragment with the same status; a page request gets a flash message and a redirect
back (for rule violations) or the error page (for 401/403/404).
"""

from flask import current_app, flash, jsonify, make_response, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from coop import sqlite
from coop.htmx import is_htmx, render

# What a 503 (the database busy or away, nothing written) tells the client to wait, in seconds.
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = _l("请求有误，请检查后重试。")
    retry_after: int | None = None  # whole seconds, sent as the Retry-After header

    def __init__(self, message=None, *, code: str | None = None, errors: dict | None = None):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.errors = errors or {}
        super().__init__(self.message)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("请先登录。")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("您没有权限执行此操作。")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("找不到该内容，或您无权查看。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("当前状态下不能执行此操作。")


class VersionConflict(Conflict):
    """Someone else saved the object since the editor loaded it (``coop.versioning``)."""

    code = "version_conflict"
    default_message = _l("已被他人修改，请刷新后再改。")


class Invalid(DomainError):
    status = 422
    code = "invalid"
    default_message = _l("提交的内容有误，请按提示修改。")


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = _l("操作过于频繁，请稍后再试。")

    def __init__(self, message=None, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class Busy(DomainError):
    """SQLite's write lock stayed taken past the busy timeout: nothing was written."""

    status = 503
    code = "busy"
    default_message = _l("系统繁忙，请稍后再试。")
    retry_after = RETRY_AFTER_SECONDS


class Unavailable(DomainError):
    """The database could not be reached (restarting, connections refused): nothing was written."""

    status = 503
    code = "unavailable"
    default_message = _l("服务暂时不可用，请稍后再试。")
    retry_after = RETRY_AFTER_SECONDS


HTTP_CODES = {
    400: ("bad_request", _l("请求格式有误。")),
    401: ("unauthorized", Unauthorized.default_message),
    403: ("forbidden", Forbidden.default_message),
    404: ("not_found", NotFound.default_message),
    405: ("method_not_allowed", _l("不支持该请求方法。")),
    409: ("conflict", Conflict.default_message),
    413: ("payload_too_large", _l("上传的内容过大。")),
    415: ("unsupported_media_type", _l("请以 JSON 格式提交。")),
    422: ("invalid", Invalid.default_message),
    429: ("too_many_requests", TooManyRequests.default_message),
}


def _from_http(exc: HTTPException) -> DomainError:
    if isinstance(exc, CSRFError):
        return DomainError(_l("页面已过期，请刷新后重新提交。"), code="csrf_failed")
    code, message = HTTP_CODES.get(exc.code or 500, ("error", _l("服务器出错了，请稍后再试。")))
    error = DomainError(message, code=code, errors=_webargs_messages(exc))
    error.status = exc.code or 500
    return error


def _webargs_messages(exc: HTTPException) -> dict:
    """flask-smorest puts schema errors under data["messages"][location]; flatten the location."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    flat: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat


def retry_form(template: str, **context) -> None:
    """Name the form page this request came from: an Invalid or Conflict raised while handling
    it re-renders that page with the submitted values (the body of a POST, the query of a GET
    form such as an export's range) and the messages beside their fields."""
    request.environ["coop.retry_form"] = (template, context)


def _localised(errors: dict) -> dict:
    return {
        field: [gettext(m) for m in messages] if isinstance(messages, list) else messages
        for field, messages in errors.items()
    }


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(error: DomainError):
    error.errors = _localised(error.errors)
    if _wants_json():
        body = {
            "code": error.code,
            "status": error.status,
            "message": error.message,
            "errors": error.errors,
        }
        return jsonify(body), error.status
    if is_htmx():
        return render("errors/_error.html", error=error), error.status
    retry = request.environ.get("coop.retry_form")
    if retry and error.status in (400, 401, 409, 422, 429, 503):
        template, context = retry
        form_message = None if error.errors else error.message
        submitted = request.form if request.method == "POST" else request.args
        return render(
            template, form=submitted, errors=error.errors, form_message=form_message, **context
        ), error.status
    if error.status == 401:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if error.status in (403, 404, 405) or request.method == "GET":
        return render("errors/page.html", error=error), error.status
    flash(error.message, "error")
    return redirect(request.referrer or url_for("shell.home"))


def _respond_with_headers(error: DomainError):
    response = make_response(respond(error))
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _database_error(exc: OperationalError):
    """The database refused to work, not the request: SQLite's write lock stayed taken, or
    PostgreSQL is restarting or unreachable. The unit of work rolled back, so the client may
    retry; the fault is logged, since only the first of these is routine."""
    if sqlite.is_busy(exc):
        return _respond_with_headers(Busy())
    current_app.logger.error("database unavailable: %s", exc, exc_info=exc)
    return _respond_with_headers(Unavailable())


def _stale_write(exc: StaleDataError):
    """A versioned row changed between this request's read and its write (the database matched
    no row at the loaded version): the unit of work rolled back, nothing was written."""
    return _respond_with_headers(VersionConflict())


def respond_http(exc: HTTPException):
    """werkzeug's and flask-smorest's errors in our shape, keeping the headers they carry (the
    Allow of a 405, the Retry-After of a 429)."""
    response = make_response(respond(_from_http(exc)))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def register(app) -> None:
    """Install the handlers; call after api.init_app so these replace flask-smorest's."""
    app.register_error_handler(DomainError, _respond_with_headers)
    app.register_error_handler(HTTPException, respond_http)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(StaleDataError, _stale_write)
