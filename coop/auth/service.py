"""Signing in, browser sessions, API tokens and changing one's password."""

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from coop.auth.errors import InvalidCredentials
from coop.auth.models import ApiToken, User, UserSession
from coop.auth.throttle import login_throttle
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.extensions import db

TOKEN_LIFETIME = timedelta(days=30)
# Checked against when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("coop-timing-equaliser")


def authenticate(username: str, password: str, *, address: str) -> User:
    """The active user with this username and password.

    :raise TooManyRequests: this address failed too often lately, for this username or for all.
    :raise InvalidCredentials: unknown user, wrong password or deactivated account.
    """
    throttle = login_throttle()
    throttle.check(username, address)
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
    if user is None or not user.check_password(password) or not user.is_active:
        throttle.failed(username, address)
        raise InvalidCredentials()
    throttle.succeeded(username, address)
    return user


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token; the raw value is returned once and only its digest is stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=_digest(raw), expires_at=utcnow() + TOKEN_LIFETIME)
    db.session.add(token)
    db.session.flush()
    return raw, token


# Every request asks who is asking, and every answer needs her grants: one statement with them
# (a selectin load was a second round trip), built once (on first use: the loader options need
# every mapper configured).
@functools.cache
def _token_query() -> sa.Select:
    return (
        sa.select(ApiToken)
        .where(ApiToken.token_hash == sa.bindparam("digest"))
        .options(joinedload(ApiToken.user).joinedload(User.grants))
    )


def token_for(raw: str) -> ApiToken | None:
    """The live token with this raw value, if any, its user and her grants loaded."""
    token = db.session.scalars(_token_query(), {"digest": _digest(raw)}).unique().one_or_none()
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.is_active:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.flush()


def revoke_all_tokens(user: User) -> None:
    """Every live token of hers stops working (rows, not one UPDATE: the audit sees each)."""
    live = sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    for token in db.session.scalars(live):
        token.revoked_at = utcnow()
    db.session.flush()


# --- browser sessions ---------------------------------------------------------------------------


def start_session(user: User) -> str:
    """A new server-side session; the raw id (for the cookie) is returned once."""
    raw = secrets.token_urlsafe(32)
    max_age = current_app.config["SESSION_MAX_AGE"]
    db.session.add(UserSession(user=user, token_hash=_digest(raw), expires_at=utcnow() + max_age))
    db.session.flush()
    return raw


@functools.cache
def _session_user_query() -> sa.Select:
    return (
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == sa.bindparam("digest"),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > sa.bindparam("now"),
            User.is_active.is_(True),
        )
        .options(joinedload(User.grants))
    )


def session_user(raw: str) -> User | None:
    """The active user of the live session with this raw id, if any, with her grants (one
    query)."""
    parameters = {"digest": _digest(raw), "now": utcnow()}
    return db.session.scalars(_session_user_query(), parameters).unique().one_or_none()


def end_session(raw: str) -> None:
    """Signing out: this session ends; her other browsers stay signed in."""
    _end(sa.select(UserSession).where(UserSession.token_hash == _digest(raw)))


def end_all_sessions(user: User) -> None:
    _end(sa.select(UserSession).where(UserSession.user_id == user.id))


def _end(sessions: sa.Select) -> None:
    for row in db.session.scalars(sessions.where(UserSession.ended_at.is_(None))):
        row.ended_at = utcnow()
    db.session.flush()


# --- changing one's password -------------------------------------------------------------------

# The most used passwords of at least 8 characters in published Chinese leaks, which a guesser
# tries first.
COMMON_PASSWORDS = frozenset(
    [
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "87654321",
        "12341234",
        "11223344",
        "147258369",
        "123456abc",
        "abc12345",
        "a1234567",
        "a12345678",
        "qq123456",
        "iloveyou",
        "password",
        "password1",
        "passw0rd",
        "woaini1314",
        "5201314520",
        "1qaz2wsx",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm123",
        "aaaaaaaa",
        "abcd1234",
        "abcdefgh",
    ]
)


def password_problems(user: User, password: str) -> list[str]:
    """Why this new password will not do (empty when it will): not her username, not her
    current one, not one of the passwords guessed first. Length is the schema's."""
    lowered = password.lower()
    if lowered == user.username.lower():
        return [_("密码不能与用户名相同。")]
    if lowered in COMMON_PASSWORDS or len(set(password)) == 1:
        return [_("这个密码太常见，容易被猜中，请换一个。")]
    if user.check_password(password):
        return [_("新密码不能与当前密码相同。")]
    return []


def change_password(user: User, *, current_password: str, new_password: str, address: str):
    """She sets a new password after proving the current one; every session and API token of
    hers ends (the caller starts a new session for the browser she is using).

    :raise TooManyRequests: too many wrong current passwords from this address lately.
    :raise Invalid: the current password is wrong, or the new one will not do.
    """
    throttle = login_throttle()
    throttle.check(user.username, address)
    if not user.check_password(current_password):
        throttle.failed(user.username, address)
        raise Invalid(errors={"current_password": [_("当前密码不正确。")]})
    problems = password_problems(user, new_password)
    if problems:
        raise Invalid(errors={"new_password": problems})
    user.set_password(new_password)
    end_all_sessions(user)
    revoke_all_tokens(user)
    db.session.flush()
