"""服务时长: service records, their verification, and the points policy."""

import enum
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.activities.models import Activity
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.states import StateMachine, moves

DEFAULT_POINTS_PER_HOUR = 10


def hours_text(hours) -> str:
    """2.00 → "2", 1.50 → "1.5": hours as people say them."""
    return f"{float(hours):g}"


def duration_text(hours) -> str:
    """1.5 → 1小时30分钟, 0.04 → 2分钟, 2 → 2小时, 0 → 0小时: hours as people read them, to the nearest
    minute; a reversal's negative hours keep their sign. The ``hours`` template filter."""
    if hours is None:
        return ""
    amount = Decimal(str(hours))
    minutes = int((abs(amount) * 60).quantize(Decimal(1), ROUND_HALF_UP))
    whole, rest = divmod(minutes, 60)
    if whole and rest:
        text = _("%(h)d小时%(m)d分钟", h=whole, m=rest)
    elif whole or not rest:  # none at all reads 0小时, not 0分钟
        text = _("%(h)d小时", h=whole)
    else:
        text = _("%(m)d分钟", m=rest)
    return f"-{text}" if amount < 0 and minutes else text


class RecordOrigin(enum.StrEnum):
    CHECKIN = "checkin"  # from check-in and check-out
    ENTERED = "entered"  # 补录: entered afterwards by staff
    REVERSAL = "reversal"  # cancels a verified record; never edited in place


labelled(
    RecordOrigin,
    {
        RecordOrigin.CHECKIN: _l("签到签退"),
        RecordOrigin.ENTERED: _l("补录"),
        RecordOrigin.REVERSAL: _l("冲正"),
    },
)


class RecordStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


labelled(
    RecordStatus,
    {
        RecordStatus.PENDING: _l("待核实"),
        RecordStatus.VERIFIED: _l("已核实"),
        RecordStatus.REJECTED: _l("未通过"),
    },
)

S = RecordStatus
RECORD_FLOW = StateMachine(
    name=_l("服务记录"),
    moves=moves(verify=((S.PENDING,), S.VERIFIED), reject=((S.PENDING,), S.REJECTED)),
    action_labels={"verify": _l("核实"), "reject": _l("驳回")},
)


LIVE_RECORD = "origin <> 'reversal' AND status <> 'rejected' AND reversed_at IS NULL"
REVERSAL_PAIR = "origin = 'reversal' OR reversed_at IS NOT NULL"


class ServiceRecord(db.Model):
    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activities.id"), index=True)
    signup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signups.id"), unique=True)
    service_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    origin: Mapped[RecordOrigin] = mapped_column(enum_type(RecordOrigin, "origin"))
    status: Mapped[RecordStatus] = mapped_column(
        enum_type(RecordStatus, "status"), default=RecordStatus.PENDING, index=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Points fixed at verification by the policy in force on the service date.
    points: Mapped[int | None]
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_records.id"), unique=True
    )
    # Set on the original, with its reversal, so the live-record index below lets a corrected
    # 补录 follow; its hours and points are never edited.
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    activity: Mapped[Activity | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(origin = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_points_back"
        ),
        sa.CheckConstraint(
            "(origin = 'reversal' AND hours < 0) OR (origin <> 'reversal' AND hours > 0 AND hours <= 24)",
            name="hours_in_range",
        ),
        sa.CheckConstraint(
            "verified_by_id IS NULL OR verified_by_id <> volunteer_id", name="not_self_verified"
        ),
        sa.CheckConstraint(
            "origin <> 'entered' OR verified_by_id IS NULL OR verified_by_id <> entered_by_id",
            name="entered_needs_second_person",
        ),
        sa.CheckConstraint(
            "reversed_at IS NULL OR (origin <> 'reversal' AND status = 'verified')",
            name="only_verified_originals_reversed",
        ),
        # One live record of service per volunteer and activity: a rejected or reversed one
        # makes room for a new entry; reversals themselves are not records of service.
        sa.Index(
            "uq_service_records_live_per_activity",
            "volunteer_id",
            "activity_id",
            unique=True,
            postgresql_where=sa.text(LIVE_RECORD),
            sqlite_where=sa.text(LIVE_RECORD),
        ),
        # A month's hours per community (monthly_badges): a range scan, index-only on PostgreSQL.
        sa.Index(
            "ix_service_records_community_id_service_date",
            "community_id",
            "service_date",
            postgresql_include=["volunteer_id", "hours", "status", "activity_id"],
        ),
        # The records the monthly summary (coop.hours.summary) leaves out of its count though
        # they are verified: reversals and the records they reversed. A few; the hours page
        # adds them to the summary's count instead of counting a community's records.
        sa.Index(
            "ix_service_records_reversal_pairs",
            "community_id",
            "service_date",
            postgresql_where=sa.text(REVERSAL_PAIR),
            sqlite_where=sa.text(REVERSAL_PAIR),
        ),
        # The hours page's lists, newest first: a community's pending or verified records.
        sa.Index(
            "ix_service_records_community_id_status_created_at",
            "community_id",
            "status",
            "created_at",
            "id",
        ),
    )


class PointsPolicy(db.Model):
    """Points per verified hour from a date on; a change never rewrites earlier records."""

    __tablename__ = "points_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    effective_from: Mapped[date]
    points_per_hour: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "effective_from"),
        sa.CheckConstraint("points_per_hour >= 0", name="points_not_negative"),
    )
