"""The audit trail: one row per state change, written by a flush listener, never by hand (a
service that writes with Core, which flushes nothing, hands its changes to ``record``).

Every mapped class is audited unless it sets ``__audit__ = False``; columns named in
``__audit_exclude__`` (password and token hashes) are left out of the snapshots. Personal columns
(phones, addresses, ID numbers, health notes: ``privacy.personal_mask`` knows them by name) are
masked as the pages mask them, before and after alike, so the log that is kept for years holds no
more of them than a screen shows; ``PUBLIC_COLUMNS`` are addresses of places, not of people. The
actor is the one handed to ``unit_of_work``; rows written outside one (the demo loader, jobs)
have none.

Each row also names the community it belongs to (``community_id``), so a community's record of
changes is one indexed read. A row with a ``community_id`` column gives its own; the others reach
theirs through a parent (``COMMUNITY_PARENTS``: a claim through its project, a sign-up through
its activity), looked up among the objects the session already holds and otherwise with one
query per parent table and flush. Rows that belong to no single community (a unit serving
several, a person, the street) keep none; ``coop.auditlog.queries`` shows units and people to
each community they serve or belong to.
"""

import enum
import functools
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.util import identity_key

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
    community_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)


# The column holding a row's community, where it is not called community_id.
COMMUNITY_COLUMNS = {"communities": "id", "volunteer_profiles": "home_community_id"}
# table → (column naming the parent row, parent table) for rows without a community column.
COMMUNITY_PARENTS = {
    "claims": ("project_id", "projects"),
    "resource_orders": ("project_id", "projects"),
    "signups": ("activity_id", "activities"),
    "feedback": ("activity_id", "activities"),
    "team_members": ("team_id", "teams"),
    "mechanisms": ("alliance_id", "alliances"),
    "alliance_offices": ("alliance_id", "alliances"),
    "terms": ("alliance_id", "alliances"),
    "term_plans": ("term_id", "terms"),
    "term_plan_items": ("plan_id", "term_plans"),
    "plan_evidence": ("item_id", "term_plan_items"),
    "meeting_attendances": ("meeting_id", "meetings"),
    "meeting_resolutions": ("meeting_id", "meetings"),
    "deputy_elections": ("term_id", "terms"),
    "election_candidates": ("election_id", "deputy_elections"),
    "election_votes": ("election_id", "deputy_elections"),
    "grid_posts": ("neighbourhood_id", "neighbourhoods"),
    "escalation_departments": ("escalation_id", "escalations"),
    "escalation_entries": ("escalation_id", "escalations"),
    "need_ratings": ("need_id", "needs"),
    "need_handovers": ("need_id", "needs"),
    "activity_photos": ("activity_id", "activities"),
}


def _community_column(table: str) -> str | None:
    column = COMMUNITY_COLUMNS.get(table, "community_id")
    return column if column in db.metadata.tables[table].c else None


def _step(table: str) -> tuple[str | None, str | None]:
    """(column to read, parent table it names or None when it names the community itself)."""
    own = _community_column(table)
    if own is not None:
        return own, None
    return COMMUNITY_PARENTS.get(table, (None, None))


@functools.cache
def _mapped_class(table: str):
    return next((m.class_ for m in db.Model.registry.mappers if m.local_table.name == table), None)


def _held(session, table: str, row_id) -> dict:
    """The loaded column values of a row the session holds ({} if it holds none): no query."""
    cls = _mapped_class(table)
    obj = session.identity_map.get(identity_key(cls, row_id)) if cls else None
    return inspect(obj).dict if obj is not None else {}


def communities_of(session, refs: list[tuple[str, object, dict]]) -> list[int | None]:
    """The community of each (table, id, loaded values), or None. Parents the session holds are
    read from memory, the others with one query per table and level; safe inside a flush (Core
    reads on the flush's connection)."""
    found: list[int | None] = [None] * len(refs)
    pending = dict(enumerate(refs))

    def advance(i, parent, value):
        if parent is not None and value is not None:
            pending[i] = (parent, value, _held(session, parent, value))
        else:
            found[i] = value if parent is None else None
            del pending[i]

    while pending:
        missing: dict[str, set] = {}
        for i, (table, row_id, values) in list(pending.items()):
            column, parent = _step(table)
            if column is None:
                del pending[i]
            elif column in values:
                advance(i, parent, values[column])
            elif row_id is None:
                del pending[i]
            else:
                missing.setdefault(table, set()).add(row_id)
        for table, ids in missing.items():
            column, parent = _step(table)
            t = db.metadata.tables[table]
            [key] = t.primary_key.columns
            query = sa.select(key, t.c[column]).where(key.in_(ids))
            read = dict(session.connection().execute(query).all())
            for i, (waiting, row_id, _values) in list(pending.items()):
                if waiting == table and row_id in ids:
                    advance(i, parent, read.get(row_id))
    return found


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


def _changes(obj, unloaded: dict) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for column in _columns(obj):
        history = state.attrs[column.key].history
        if history.has_changes():
            # set without being loaded first: the value read before the flush, if any
            old = history.deleted[0] if history.deleted else unloaded.get(column.key)
            new = history.added[0] if history.added else None
            if not history.deleted and column.key in unloaded and old == new:
                continue
            before[column.key] = _value(obj, column.key, old)
            after[column.key] = _value(obj, column.key, new)
    return before, after


_UNLOADED = "coop.audit.unloaded"


@event.listens_for(Session, "before_flush")
def _read_values_set_before_they_were_loaded(session, flush_context, instances) -> None:
    """An attribute set on an object whose values had expired (after a commit) has no old
    value in its history. Read those from the database before the flush overwrites them, one
    query per class, so the log says what it was changed from."""
    wanted: dict = {}
    for obj in session.dirty:
        if not _audited(obj):
            continue
        state = inspect(obj)
        keys = [c.key for c in _columns(obj) if state.committed_state.get(c.key, None) is NO_VALUE]
        if keys and state.key is not None and len(state.key[1]) == 1:
            wanted.setdefault(state.mapper, {})[state.key[1][0]] = (state, keys)
    found = session.info[_UNLOADED] = {}
    for mapper, rows in wanted.items():
        keys = sorted({key for _state, ks in rows.values() for key in ks})
        [pk] = mapper.primary_key
        columns = [mapper.column_attrs[key].columns[0] for key in keys]
        query = sa.select(pk, *columns).where(pk.in_(list(rows)))
        for values in session.connection().execute(query):
            state, asked = rows[values[0]]
            old = dict(zip(keys, values[1:], strict=True))
            found[state] = {key: old[key] for key in asked}


def _identity(obj) -> str:
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _row_id(obj):
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return key[0] if len(key) == 1 else None


def _audited(obj) -> bool:
    return getattr(obj, "__audit__", True)


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session, flush_context) -> None:
    entries = [("create", obj, None, _snapshot(obj)) for obj in filter(_audited, session.new)]
    unloaded = session.info.pop(_UNLOADED, {})
    for obj in filter(_audited, session.dirty):
        before, after = _changes(obj, unloaded.get(inspect(obj), {}))
        if after:
            entries.append(("update", obj, before, after))
    entries += [("delete", obj, _snapshot(obj), None) for obj in filter(_audited, session.deleted)]
    if entries:
        # A Core insert on the flush's own connection: adding ORM objects here would need
        # another flush, and the rows must land in the same transaction as the change.
        session.connection().execute(sa.insert(AuditLog.__table__), _rows(session, entries))


def record(session, *, created=(), updated=()) -> None:
    """The rows the flush listener would have written, for changes a service made with Core
    (the claim's hot path), in one INSERT: ``created`` objects as they now are, ``updated`` as
    ``(obj, before, after)`` with the changed columns' old and new values."""
    entries = [("create", obj, None, _snapshot(obj)) for obj in created]
    for obj, before, after in updated:
        entries.append(
            (
                "update",
                obj,
                {key: _value(obj, key, value) for key, value in before.items()},
                {key: _value(obj, key, value) for key, value in after.items()},
            )
        )
    session.connection().execute(sa.insert(AuditLog.__table__), _rows(session, entries))


def _rows(session, entries: list[tuple]) -> list[dict]:
    """Audit rows for ``(action, obj, before, after)`` entries, each with its community."""
    now, actor_id = utcnow(), current_actor_id.get()
    refs = [(obj.__tablename__, _row_id(obj), inspect(obj).dict) for _action, obj, *_ in entries]
    return [
        {
            "at": now,
            "actor_id": actor_id,
            "community_id": community_id,
            "action": action,
            "object_type": obj.__tablename__,
            "object_id": _identity(obj),
            "before": before,
            "after": after,
        }
        for (action, obj, before, after), community_id in zip(
            entries, communities_of(session, refs), strict=True
        )
    ]


@event.listens_for(AuditLog, "before_insert")
def _community_of_a_row_written_by_hand(mapper, connection, target) -> None:
    """A service writing its own row (revealing a phone) need not name the community."""
    if target.community_id is not None or target.object_type not in db.metadata.tables:
        return
    if not str(target.object_id).isdigit():
        return
    session, row_id = sa.orm.object_session(target), int(target.object_id)
    ref = (target.object_type, row_id, _held(session, target.object_type, row_id))
    [target.community_id] = communities_of(session, [ref])
