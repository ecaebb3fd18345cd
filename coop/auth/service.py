"""Signing in and API tokens."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from coop.auth.errors import InvalidCredentials
from coop.auth.models import ApiToken, User
from coop.auth.throttle import login_throttle
from coop.dbtypes import utcnow
from coop.extensions import db

TOKEN_LIFETIME = timedelta(days=30)
# Checked against when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("coop-timing-equaliser")


def authenticate(username: str, password: str, *, address: str) -> User:
    """The active user with this username and password.

    :raise TooManyRequests: too many recent failures for the username or the address.
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


def token_for(raw: str) -> ApiToken | None:
    """The live token with this raw value, if any."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.is_active:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.flush()
