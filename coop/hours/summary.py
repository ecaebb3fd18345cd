"""The monthly summary of verified hours per community (``hours_monthly``), kept in the write path.

The street's comparison and the community page's charts sum verified hours per community and
month; on a city's data that is millions of service records per view. This table holds the sum,
changed in the same flush (so the same transaction) as the record that changes it: a record that
becomes verified adds its hours to its community's month, a reversal (the original's
``reversed_at`` set) takes them back, a 补录 verified adds them. It is therefore exact at every
commit, never a nightly approximation, and the live sum (``live_hours``) stays the definition:
tests check the two agree, and ``rebuild`` recomputes it (the migration's backfill, bulk loads
that bypass the ORM such as ``bench/city.py``).

A record counts when it is verified, not a reversal and not reversed: the live definition of
``coop.stats_monthly`` and ``coop.hours.queries``. Increments are ``INSERT … ON CONFLICT DO
UPDATE SET hours = hours + …``, so two transactions verifying in the same month both count.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from coop.extensions import db
from coop.hours.models import REVERSAL_PAIR, RecordOrigin, RecordStatus, ServiceRecord
from coop.timeutil import next_month


class MonthlyHours(db.Model):
    """Verified hours standing per community and month of service (community time)."""

    __tablename__ = "hours_monthly"
    __audit__ = False  # derived from service_records, whose every change is audited

    community_id: Mapped[int] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # the month's first day
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    records: Mapped[int] = mapped_column(default=0)


def counts(record_state: dict) -> tuple[int, date] | None:
    """The (community, month) a record's hours count in, or None when they do not count."""
    if (
        record_state["status"] != RecordStatus.VERIFIED
        or record_state["origin"] == RecordOrigin.REVERSAL
        or record_state["reversed_at"] is not None
    ):
        return None
    return record_state["community_id"], record_state["service_date"].replace(day=1)


_FIELDS = ("community_id", "service_date", "hours", "status", "origin", "reversed_at")


def _state(record: ServiceRecord, *, before: bool) -> dict:
    state = sa.inspect(record)
    found = {}
    for name in _FIELDS:
        value = getattr(record, name)
        if before:
            history = state.attrs[name].history
            if history.deleted:
                value = history.deleted[0]
            elif history.added:  # set for the first time (was unloaded or None)
                value = None
        found[name] = value
    return found


def _contribution(state: dict) -> tuple[tuple[int, date], Decimal] | None:
    if any(state[name] is None for name in ("community_id", "service_date", "hours", "status")):
        return None
    place = counts(state)
    return (place, Decimal(state["hours"])) if place else None


def _deltas(session: Session) -> dict[tuple[int, date], list]:
    deltas: dict[tuple[int, date], list] = defaultdict(lambda: [Decimal(0), 0])

    def add(contribution, sign):
        if contribution is not None:
            place, hours = contribution
            deltas[place][0] += sign * hours
            deltas[place][1] += sign

    for record in session.new:
        if isinstance(record, ServiceRecord):
            add(_contribution(_state(record, before=False)), 1)
    for record in session.dirty:
        if isinstance(record, ServiceRecord) and session.is_modified(record):
            add(_contribution(_state(record, before=True)), -1)
            add(_contribution(_state(record, before=False)), 1)
    for record in session.deleted:
        if isinstance(record, ServiceRecord):
            add(_contribution(_state(record, before=True)), -1)
    return {place: d for place, d in deltas.items() if d[0] or d[1]}


def apply(session: Session, deltas: dict) -> None:
    """Add each (community, month)'s change of hours and records, in this transaction."""
    if not deltas:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = MonthlyHours.__table__
    rows = [
        {"community_id": c, "month": m, "hours": hours, "records": records}
        for (c, m), (hours, records) in sorted(deltas.items())  # one lock order for all
    ]
    statement = insert(table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.community_id, table.c.month],
            set_={
                "hours": table.c.hours + statement.excluded.hours,
                "records": table.c.records + statement.excluded.records,
            },
        ),
        rows,
    )


def _load_old_value(_target, value, _old, _initiator):
    return value


# A listener with active_history loads the old value before a set replaces it, so the "before"
# of a record whose attributes had expired (after a commit) is still known.
for _name in _FIELDS:
    event.listen(
        getattr(ServiceRecord, _name), "set", _load_old_value, active_history=True, retval=True
    )


@event.listens_for(Session, "after_flush")
def _keep(session: Session, _flush_context) -> None:
    # After the flush the rows are written but new/dirty/deleted and each attribute's history
    # still describe what the flush changed: the change in hours is exactly theirs.
    apply(session, _deltas(session))


def live_hours(community_ids: list[int] | None = None):
    """The definition: verified hours standing per (community, month), summed from the records.
    A select of (community_id, month, hours, records)."""
    month = _month_of(ServiceRecord.service_date)
    query = (
        sa.select(
            ServiceRecord.community_id,
            month.label("month"),
            sa.func.sum(ServiceRecord.hours).label("hours"),
            sa.func.count().label("records"),
        )
        .where(
            ServiceRecord.status == RecordStatus.VERIFIED,
            ServiceRecord.origin != RecordOrigin.REVERSAL,
            ServiceRecord.reversed_at.is_(None),
        )
        .group_by(ServiceRecord.community_id, month)
    )
    if community_ids is not None:
        query = query.where(ServiceRecord.community_id.in_(community_ids))
    return query


def verified_count(community_id: int, month: date | None = None) -> int:
    """How many verified records the community has (served in ``month``, its first day): the
    hours page's count, without reading them. The summary counts all but the reversals and the
    records they reversed; those few are counted live, by their partial index (its predicate
    written as constants, so that a prepared statement's generic plan can still use it)."""
    summed = sa.select(sa.func.coalesce(sa.func.sum(MonthlyHours.records), 0)).where(
        MonthlyHours.community_id == community_id
    )
    pairs = sa.select(sa.func.count()).where(
        ServiceRecord.community_id == community_id,
        sa.text(f"({REVERSAL_PAIR})"),
        ServiceRecord.status == RecordStatus.VERIFIED,
    )
    if month is not None:
        summed = summed.where(MonthlyHours.month == month)
        pairs = pairs.where(
            ServiceRecord.service_date >= month, ServiceRecord.service_date < next_month(month)
        )
    return db.session.scalar(sa.select(summed.scalar_subquery() + pairs.scalar_subquery()))


def _month_of(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.date_trunc("month", column), sa.Date)
    return sa.type_coerce(sa.func.date(column, "start of month"), sa.Date)


def rebuild() -> int:
    """Recompute the whole table from the records (after a bulk load); returns its rows."""
    db.session.execute(sa.delete(MonthlyHours))
    live = live_hours().subquery()
    db.session.execute(
        sa.insert(MonthlyHours).from_select(
            ["community_id", "month", "hours", "records"],
            sa.select(live.c.community_id, live.c.month, live.c.hours, live.c.records),
        )
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(MonthlyHours))
