"""活动场次: sessions of a project (or stand-alone themed activities), sign-ups and check-in."""

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.projects.models import Project
from coop.versioning import Versioned


def new_checkin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class ActivityStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


labelled(
    ActivityStatus, {ActivityStatus.SCHEDULED: _l("已安排"), ActivityStatus.CANCELLED: _l("已取消")}
)


class Activity(Versioned, db.Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    place: Mapped[str] = mapped_column(sa.String(128))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    # 'YYYY-MM' when the activity carries that month's 月月红 theme.
    theme_month: Mapped[str | None] = mapped_column(sa.String(7))
    checkin_code: Mapped[str] = mapped_column(sa.String(6), default=new_checkin_code)
    status: Mapped[ActivityStatus] = mapped_column(
        enum_type(ActivityStatus, "status"), default=ActivityStatus.SCHEDULED
    )
    # Kept under the activity's row lock; the CHECK makes overbooking impossible.
    confirmed_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    project: Mapped[Project | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity", name="confirmed_within_capacity"
        ),
    )

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def free_seats(self) -> int:
        return self.capacity - self.confirmed_count


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


labelled(
    SignupStatus,
    {
        SignupStatus.CONFIRMED: _l("已报名"),
        SignupStatus.WAITLISTED: _l("候补中"),
        SignupStatus.CANCELLED: _l("已取消"),
    },
)
LIVE_SIGNUP = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)


class Signup(db.Model):
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[SignupStatus] = mapped_column(enum_type(SignupStatus, "status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an organiser checked her in (an elderly volunteer without a phone).
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    activity: Mapped[Activity] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])

    __table_args__ = (
        sa.Index(
            "uq_signups_live_per_volunteer",
            "activity_id",
            "volunteer_id",
            unique=True,
            postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"),
            sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"),
        ),
        sa.CheckConstraint(
            "checked_out_at IS NULL OR checked_in_at IS NOT NULL", name="out_after_in"
        ),
    )


class Feedback(db.Model):
    """满意度评价: recorded by the secretary, for herself or on behalf of the beneficiary."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    beneficiary_name: Mapped[str] = mapped_column(sa.String(64), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),)
