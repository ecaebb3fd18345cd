"""Invitations: nobody ever sees or sends another person's password.

A person added by staff (one by one, by import, or appointed by the street) has no password. She
gets a one-time code, printed on a list or as a QR, and sets her own password with it on first
sign-in. Codes are 8 characters from an alphabet without look-alikes (0/O, 1/I/L), shown as
``ABCD-EFGH``; typing is forgiving (case, spaces and dashes are ignored). A code lives
``INVITATION_DAYS`` days and works once; wrong codes count against the address like wrong
passwords (``coop.auth.throttle``), so 32⁸ codes cannot be walked.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from coop.auth.models import NO_PASSWORD, Invitation, User
from coop.auth.service import end_all_sessions, password_problems, revoke_all_tokens
from coop.auth.throttle import login_throttle
from coop.errors import Invalid
from coop.extensions import db

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
# The throttle's "account" for invitation codes: a guesser walks codes, not one account.
THROTTLE_NAME = "\x00invitation"
_NOT_A_CODE = re.compile(r"[\s\-]+")


def normalise(code: str) -> str:
    return _NOT_A_CODE.sub("", code).upper()


def shown(code: str) -> str:
    """How a code is printed and read out: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def issue_invitation(user: User, *, by: User | None, now: datetime) -> str:
    """A new code for ``user`` (shown once, as ``ABCD-EFGH``); her earlier live codes stop
    working. She keeps any password she has until she uses it."""
    for earlier in db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id == user.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    db.session.add(
        Invitation(
            user=user,
            code_hash=_digest(code),
            created_by_id=by.id if by is not None else None,
            created_at=now,
            expires_at=now + lifetime(),
        )
    )
    db.session.flush()
    return shown(code)


def without_password(user: User) -> None:
    """Mark a new person as one who signs in only after setting a password with an invitation."""
    user.password_hash = NO_PASSWORD


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def live_invitation(code: str, *, now: datetime) -> Invitation | None:
    """The live invitation with this code, for an active person; None otherwise."""
    if len(normalise(code)) != LENGTH:
        return None
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.code_hash == _digest(code))
    )
    if invitation is None or not invitation.is_live(now) or not invitation.user.is_active:
        return None
    return invitation


def redeem_invitation(code: str, *, new_password: str, address: str, now: datetime) -> User:
    """She sets her own password with her code; the code is used up.

    :raise TooManyRequests: too many wrong codes from this address lately.
    :raise Invalid: the code is wrong, used, expired or revoked, or the password will not do.
    """
    throttle = login_throttle()
    throttle.check(THROTTLE_NAME, address)
    invitation = live_invitation(code, now=now)
    if invitation is None:
        throttle.failed(THROTTLE_NAME, address)
        raise Invalid(
            errors={"code": [_("邀请码不正确或已失效，请向社区工作人员索取新的邀请码。")]}
        )
    user = invitation.user
    problems = password_problems(user, new_password)
    if problems:
        raise Invalid(errors={"new_password": problems})
    if has_password(user):  # a code for a forgotten password: whoever had the old one is out
        end_all_sessions(user)
        revoke_all_tokens(user)
    user.set_password(new_password)
    invitation.used_at = now
    db.session.flush()
    return user


def pending_invitations(user_ids: list[int], *, now: datetime) -> dict[int, Invitation]:
    """The live invitation of each of these people who has one (for lists and printing)."""
    if not user_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.user_id.in_(user_ids),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    return {row.user_id: row for row in rows}


def issue_invitations(users: list[User], *, by: User | None, now: datetime) -> dict[int, str]:
    """A new code for each of ``users`` (user id → code, shown once), as ``issue_invitation``
    does for one, in a query and a flush per thousand people, for imports and printed lists."""
    codes: dict[int, str] = {}
    for start in range(0, len(users), 1000):
        batch = users[start : start + 1000]
        for earlier in db.session.scalars(
            sa.select(Invitation).where(
                Invitation.user_id.in_([user.id for user in batch]),
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        ):
            earlier.revoked_at = now
        for user in batch:
            code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
            db.session.add(
                Invitation(
                    user_id=user.id,
                    code_hash=_digest(code),
                    created_by_id=by.id if by is not None else None,
                    created_at=now,
                    expires_at=now + lifetime(),
                )
            )
            codes[user.id] = shown(code)
        db.session.flush()
    return codes
