"""The audit trail: one row per state change, written by a flush listener, never by hand.

Every mapped class is audited unless it sets ``__audit__ = False``; columns named in
``__audit_exclude__`` (password and token hashes) are left out of the snapshots. Personal columns
(phones, addresses, ID numbers, health notes: ``privacy.personal_mask`` knows them by name) are
masked as the pages mask them, before and after alike, so the log that is kept for years holds no
more of them than a screen shows; ``PUBLIC_COLUMNS`` are addresses of places, not of people. The
actor is the one handed to ``unit_of_work``; rows written outside one (the demo loader, jobs)
have none.
"""

import enum
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db
from coop.privacy import personal_mask

current_actor_id: ContextVar[int | None] = ContextVar("coop_audit_actor", default=None)

# (table, column) whose name sounds personal but is not: a community's or a unit's own address.
PUBLIC_COLUMNS = frozenset({("communities", "address"), ("units", "address")})


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj):
    excluded = getattr(obj, "__audit_exclude__", ())
    return [c for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def masker(table: str, column: str):
    """The mask for a personal column of an audited table, or None to keep its value."""
    if (table, column) in PUBLIC_COLUMNS:
        return None
    return personal_mask(column)


def _value(obj, key: str, value):
    mask = masker(obj.__tablename__, key)
    if mask is not None and isinstance(value, str):
        return mask(value)
    return _plain(value)


def _snapshot(obj) -> dict:
    return {c.key: _value(obj, c.key, getattr(obj, c.key)) for c in _columns(obj)}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for column in _columns(obj):
        history = state.attrs[column.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            before[column.key] = _value(obj, column.key, old)
            after[column.key] = _value(obj, column.key, new)
    return before, after


def _identity(obj) -> str:
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _audited(obj) -> bool:
    return getattr(obj, "__audit__", True)


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session, flush_context) -> None:
    now, actor_id = utcnow(), current_actor_id.get()
    rows = []

    def row(action, obj, before, after):
        rows.append(
            {
                "at": now,
                "actor_id": actor_id,
                "action": action,
                "object_type": obj.__tablename__,
                "object_id": _identity(obj),
                "before": before,
                "after": after,
            }
        )

    for obj in filter(_audited, session.new):
        row("create", obj, None, _snapshot(obj))
    for obj in filter(_audited, session.dirty):
        before, after = _changes(obj)
        if after:
            row("update", obj, before, after)
    for obj in filter(_audited, session.deleted):
        row("delete", obj, _snapshot(obj), None)
    if rows:
        # A Core insert on the flush's own connection: adding ORM objects here would need
        # another flush, and the rows must land in the same transaction as the change.
        session.connection().execute(sa.insert(AuditLog.__table__), rows)
