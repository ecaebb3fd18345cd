"""Idempotency-Key on the POSTs that create things: a retry returns the first response.

The record is written in the same transaction as what it created, and is unique per user and
key, so two racing retries cannot both create: the loser replays the winner's response. The
pages' create forms use the same records, keyed by their form token (coop/forms.py).
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from coop.auth.models import User
from coop.dbtypes import UTCDateTime, utcnow
from coop.errors import Conflict, Invalid
from coop.extensions import db
from coop.schemas import unstorable_text
from coop.uow import unit_of_work

MAX_KEY_LENGTH = 128


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"
    default_message = _l("同一个 Idempotency-Key 已用于另一个请求。")


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    body: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)


def request_key() -> str | None:
    """The request's Idempotency-Key. :raise Invalid: longer than 128 characters."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Invalid(errors={"Idempotency-Key": [f"长度应为 1–{MAX_KEY_LENGTH} 个字符。"]})
    if key is not None and unstorable_text(key):
        raise Invalid(errors=unstorable_text(key, "Idempotency-Key"))
    return key


def fingerprint(payload) -> str:
    canonical = json.dumps(
        [request.method, request.path, payload], sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(user_id: int, key: str, print_: str) -> IdempotencyRecord | None:
    """The first response to this key. :raise IdempotencyMismatch: the body differed."""
    record = db.session.scalar(
        sa.select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.fingerprint != print_:
        raise IdempotencyMismatch()
    return record


def remember(user_id: int, key: str, print_: str, status_code: int, body: dict) -> None:
    db.session.add(
        IdempotencyRecord(
            user_id=user_id, key=key, fingerprint=print_, status_code=status_code, body=body
        )
    )
    db.session.flush()


HEADER_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "A retry with the same key returns the first response and changes nothing; "
    "the same key with a different body is a 409 idempotency_mismatch.",
}


def _json(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    return response


def once(
    actor: User, key: str | None, print_: str, create: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """Run ``create`` (it writes and returns the status and body of its answer) at most once per
    user and key: the answer is stored in the same transaction as what it created, and a retry
    gets it back without writing anything. Returns (status, body, replayed); without a key,
    ``create`` simply runs. :raise IdempotencyMismatch: the key came with another request."""
    if key is None:
        with unit_of_work(actor):
            status, body = create()
        return status, body, False
    try:
        with unit_of_work(actor):
            record = replay(actor.id, key, print_)
            if record is None:
                status, body = create()
                remember(actor.id, key, print_, status, body)
    except (Conflict, sa.exc.IntegrityError):
        # A retry racing the first request waited on the first one's locks (and then found
        # what it made: AlreadyClaimed) or on the key's unique index; either way the first won.
        with unit_of_work(actor):
            record = replay(actor.id, key, print_)
        if record is None:
            raise
    if record is not None:
        return record.status_code, record.body, True
    return status, body, False


def respond_once(actor: User, payload: dict, create: Callable[[], dict], status: int):
    """Run ``create`` (it writes and returns the response body) at most once per
    Idempotency-Key: see ``once``."""
    code, body, _replayed = once(
        actor, request_key(), fingerprint(payload), lambda: (status, create())
    )
    return _json(body, code)
