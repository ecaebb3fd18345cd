"""Named reads of service records and the points policy."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coop.alliance.permissions import managed_community_ids, visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.hours.models import (
    DEFAULT_POINTS_PER_HOUR,
    PointsPolicy,
    RecordOrigin,
    RecordStatus,
    ServiceRecord,
)
from coop.timeutil import next_month


def records_select(
    actor: User | None,
    *,
    community_id: int | None = None,
    served_in: str | None = None,
    **filters,
) -> sa.Select:
    """Staff see their community's records; a volunteer sees her own. ``served_in`` (YYYY-MM):
    only those served in that month, as the dashboard's monthly hours count them."""
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    staff = visible & managed_community_ids(actor)
    mine = ServiceRecord.volunteer_id == actor.id if actor is not None else sa.false()
    # Written as simply as the actor allows: the community's condition twice (in the list and
    # inside the OR) made PostgreSQL square its selectivity, expect 1,700 of a community's
    # 97,000 records, and sort them all instead of walking the status index to the page's end
    # (the hours page: 240 ms for one community of the city).
    if visible <= staff:
        scope = ServiceRecord.community_id.in_(visible)
    elif not staff:
        scope = sa.and_(ServiceRecord.community_id.in_(visible), mine)
    else:
        scope = sa.and_(
            ServiceRecord.community_id.in_(visible),
            sa.or_(ServiceRecord.community_id.in_(staff), mine),
        )
    query = sa.select(ServiceRecord).where(scope)
    if served_in:
        first = date(int(served_in[:4]), int(served_in[5:7]), 1)
        query = query.where(
            ServiceRecord.service_date >= first, ServiceRecord.service_date < next_month(first)
        )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(ServiceRecord, name) == value)
    # What a row shows, one query each for any number of rows.
    query = query.options(
        sa.orm.selectinload(ServiceRecord.volunteer),
        sa.orm.selectinload(ServiceRecord.activity),
        sa.orm.selectinload(ServiceRecord.verified_by),
    )
    return query.order_by(ServiceRecord.created_at.desc(), ServiceRecord.id.desc())


def get_record(actor: User | None, record_id: int, *, for_update: bool = False) -> ServiceRecord:
    """:raise NotFound: not a record the actor may see."""
    query = records_select(actor).where(ServiceRecord.id == record_id)
    if for_update:
        query = query.with_for_update(of=ServiceRecord).execution_options(populate_existing=True)
    record = db.session.scalar(query)
    if record is None:
        raise NotFound()
    return record


def live_record(volunteer_id: int, activity_id: int) -> ServiceRecord | None:
    """Her record of service for the activity that is neither rejected nor reversed."""
    return db.session.scalar(
        sa.select(ServiceRecord).where(
            ServiceRecord.volunteer_id == volunteer_id,
            ServiceRecord.activity_id == activity_id,
            # the partial unique index's predicate (models.LIVE_RECORD)
            ServiceRecord.origin != RecordOrigin.REVERSAL,
            ServiceRecord.status != RecordStatus.REJECTED,
            ServiceRecord.reversed_at.is_(None),
        )
    )


def hours_on(volunteer_id: int, day: date) -> Decimal:
    """Her hours that day, counting every record not rejected (reversals subtract)."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0)).where(
            ServiceRecord.volunteer_id == volunteer_id,
            ServiceRecord.service_date == day,
            ServiceRecord.status != RecordStatus.REJECTED,
        )
    )


def points_per_hour(community_id: int, day: date) -> int:
    """The policy in force on ``day``: the latest one that took effect by then."""
    rate = db.session.scalar(
        sa.select(PointsPolicy.points_per_hour)
        .where(PointsPolicy.community_id == community_id, PointsPolicy.effective_from <= day)
        .order_by(PointsPolicy.effective_from.desc())
        .limit(1)
    )
    return DEFAULT_POINTS_PER_HOUR if rate is None else rate


def unsettled_record_ids(limit: int | None = None) -> list[int]:
    """Verified records whose points have not been posted (the ledger knows by key)."""
    from coop.ledger.models import Posting

    query = (
        sa.select(ServiceRecord.id)
        .outerjoin(
            Posting,
            Posting.idempotency_key
            == sa.literal("service_record:") + sa.cast(ServiceRecord.id, sa.String),
        )
        .where(ServiceRecord.status == RecordStatus.VERIFIED, Posting.id.is_(None))
        .order_by(ServiceRecord.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


# The hours that count, everywhere they are shown, summed or exported: verified, not a reversal,
# and not reversed since (a reversal cancels its original).
COUNTED = (
    ServiceRecord.status == RecordStatus.VERIFIED,
    ServiceRecord.origin != RecordOrigin.REVERSAL,
    ServiceRecord.reversed_at.is_(None),
)


def verified_records_select(community_id: int, start: date, end: date) -> sa.Select:
    """The hours that count, served from ``start`` to ``end`` inclusive: verified, not a
    reversal and not reversed since. By date, then volunteer; volunteer and activity joined in
    the same statement. The caller has checked that the actor manages the community."""
    return (
        sa.select(ServiceRecord)
        .where(
            *COUNTED,
            ServiceRecord.community_id == community_id,
            ServiceRecord.service_date.between(start, end),
        )
        .options(joinedload(ServiceRecord.volunteer), joinedload(ServiceRecord.activity))
        .order_by(ServiceRecord.service_date, ServiceRecord.volunteer_id, ServiceRecord.id)
    )


# 《志愿服务记录与证明出具办法（试行）》 / 星级志愿者: 一星 100 h, 二星 300, 三星 600, 四星 1,000, 五星 1,500.
STAR_THRESHOLDS = (Decimal(100), Decimal(300), Decimal(600), Decimal(1000), Decimal(1500))


def star_level(hours: Decimal) -> int:
    """0 (none yet) to 5: the stars her verified hours reach; 100 hours is one star exactly."""
    return sum(1 for threshold in STAR_THRESHOLDS if hours >= threshold)


@dataclass(frozen=True)
class HoursTotals:
    """Her verified hours: from check-in and check-out, 补录 (entered by staff), and together."""

    checkin: Decimal
    entered: Decimal
    records: int

    @property
    def total(self) -> Decimal:
        return self.checkin + self.entered

    @property
    def stars(self) -> int:
        return star_level(self.total)


def _verified_records(volunteer_id: int, community_id: int | None):
    """Her records that count (COUNTED)."""
    conditions = [ServiceRecord.volunteer_id == volunteer_id, *COUNTED]
    if community_id is not None:
        conditions.append(ServiceRecord.community_id == community_id)
    return conditions


def volunteer_totals(volunteer_id: int, *, community_id: int | None = None) -> HoursTotals:
    """The one place her verified hours are added up: profile, certificate and reports use it.
    ``community_id`` limits them to the hours served in that community (what it can certify)."""
    rows = db.session.execute(
        sa.select(
            ServiceRecord.origin,
            sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0),
            sa.func.count(),
        )
        .where(*_verified_records(volunteer_id, community_id))
        .group_by(ServiceRecord.origin)
    ).all()
    by_origin = {origin: (Decimal(hours), count) for origin, hours, count in rows}
    checkin, n_checkin = by_origin.get(RecordOrigin.CHECKIN, (Decimal(0), 0))
    entered, n_entered = by_origin.get(RecordOrigin.ENTERED, (Decimal(0), 0))
    return HoursTotals(checkin=checkin, entered=entered, records=n_checkin + n_entered)


def verified_records(volunteer_id: int, *, community_id: int | None = None) -> list[ServiceRecord]:
    """Her records that count, oldest first, with their activity: what a certificate lists."""
    return list(
        db.session.scalars(
            sa.select(ServiceRecord)
            .where(*_verified_records(volunteer_id, community_id))
            .options(sa.orm.joinedload(ServiceRecord.activity))
            .order_by(ServiceRecord.service_date, ServiceRecord.id)
        )
    )
