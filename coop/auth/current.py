"""Who is asking: the signed-in user (pages) or the bearer token's user (API)."""

import functools

from flask import current_app, g, request, session

from coop.auth import service
from coop.auth.errors import InvalidToken
from coop.auth.models import ApiToken, User
from coop.errors import Unauthorized

# The cookie (Flask's signed session) carries only the id of a server-side session row.
SESSION_KEY = "sid"


def _cache() -> dict:
    """Per-request memo. Not flask.g: g lives as long as the app context, which tests (and
    nested requests) may share across several requests."""
    return request.environ.setdefault("coop.current", {})


def _from_session() -> User | None:
    raw = session.get(SESSION_KEY)
    return service.session_user(raw) if isinstance(raw, str) and raw else None


def current_token() -> ApiToken | None:
    """The API request's token. :raise InvalidToken: a token was sent but is not live."""
    cache = _cache()
    if "api_token" not in cache:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if not header:
            cache["api_token"] = None
        elif scheme.lower() != "bearer" or not raw.strip():
            raise InvalidToken()
        else:
            cache["api_token"] = service.token_for(raw.strip())
            if cache["api_token"] is None:
                raise InvalidToken()
    return cache["api_token"]


def current_actor() -> User | None:
    cache = _cache()
    if "actor" not in cache:
        if request.path.startswith("/api/"):
            token = current_token()
            cache["actor"] = token.user if token else None
        else:
            cache["actor"] = _from_session()
    return cache["actor"]


def require_actor() -> User:
    """:raise Unauthorized: nobody is signed in."""
    actor = current_actor()
    if actor is None:
        raise Unauthorized()
    return actor


def login_required(view):
    """The coarse gate only; what the actor may do is decided in the service layer."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        require_actor()
        return view(*args, **kwargs)

    return wrapped


def sign_in(user: User) -> None:
    """Inside a unit of work. A new session id on every sign-in (no fixation); the session this
    browser had before ends."""
    sign_out()
    session[SESSION_KEY] = service.start_session(user)
    session.permanent = True  # the cookie lives PERMANENT_SESSION_LIFETIME after each request


def sign_out() -> None:
    """Inside a unit of work: the server-side session ends, so a copy of the cookie is dead."""
    raw = session.get(SESSION_KEY)
    if isinstance(raw, str) and raw:
        service.end_session(raw)
    session.clear()
    _cache().pop("actor", None)
    # The CSRF secret went with the session; forget the token Flask-WTF derived from it.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def actor_community_ids() -> set[int]:
    """The current actor's communities, worked out once per request (schemas ask per item)."""
    from coop.alliance.permissions import visible_community_ids

    return visible_community_ids(current_actor())
