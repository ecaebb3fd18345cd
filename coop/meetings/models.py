"""Meetings of the alliance and the deputy elections held at its assemblies.

A meeting invites every member unit of the community; each invited unit has one attendance row,
marked present by its liaison's QR sign-in or by the secretary's tick. Minutes and 决议 are
written after the meeting starts; a 决议 may become a draft project or count under a 六个一 item.

An election belongs to one term (unique) and, when recorded at an assembly, to that meeting.
Votes: one per member unit (unique), for a nominated candidate. 协商一致: the agreeing units are
stored as votes for the single candidate. Certifying sets the term's AllianceOffice deputy.
"""

import enum
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.timeutil import COMMUNITY_TZ


def new_checkin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class MeetingKind(enum.StrEnum):
    ASSEMBLY = "assembly"
    JOINT = "joint"


labelled(MeetingKind, {MeetingKind.ASSEMBLY: _l("联盟大会"), MeetingKind.JOINT: _l("联席会议")})


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


labelled(
    MeetingStatus,
    {
        MeetingStatus.SCHEDULED: _l("待召开"),
        MeetingStatus.HELD: _l("已召开"),
        MeetingStatus.CANCELLED: _l("已取消"),
    },
)


class AttendanceVia(enum.StrEnum):
    QR = "qr"
    STAFF = "staff"


labelled(AttendanceVia, {AttendanceVia.QR: _l("扫码签到"), AttendanceVia.STAFF: _l("工作人员登记")})


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind, "kind"))
    title: Mapped[str] = mapped_column(sa.String(128))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(128), default="")
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_type(MeetingStatus, "status"), default=MeetingStatus.SCHEDULED
    )
    checkin_code: Mapped[str] = mapped_column(sa.String(6), default=new_checkin_code)
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", order_by="Attendance.id", cascade="all, delete-orphan"
    )
    resolutions: Mapped[list["Resolution"]] = relationship(
        back_populates="meeting", order_by="Resolution.id", cascade="all, delete-orphan"
    )

    @property
    def local_day(self) -> date:
        return self.starts_at.astimezone(COMMUNITY_TZ).date()


class Attendance(db.Model):
    """An invited unit; ``present_at`` once its liaison signed in or the secretary ticked it."""

    __tablename__ = "meeting_attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    present_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    via: Mapped[AttendanceVia | None] = mapped_column(enum_type(AttendanceVia, "via"))
    attendee_name: Mapped[str] = mapped_column(sa.String(64), default="")
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    unit: Mapped["Unit"] = relationship()  # noqa: F821 - coop.alliance.models

    __table_args__ = (sa.UniqueConstraint("meeting_id", "unit_id"),)


class Resolution(db.Model):
    """决议: what the meeting decided, who carries it out and by when."""

    __tablename__ = "meeting_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    due_on: Mapped[date]
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id"), index=True, unique=True
    )
    plan_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("term_plan_items.id"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="resolutions")
    owner_unit: Mapped["Unit"] = relationship()  # noqa: F821
    project: Mapped["Project | None"] = relationship()  # noqa: F821 - coop.projects.models
    plan_item: Mapped["TermPlanItem | None"] = relationship()  # noqa: F821 - coop.terms.models


class ElectionMethod(enum.StrEnum):
    VOTE = "vote"
    CONSENSUS = "consensus"


labelled(
    ElectionMethod,
    {ElectionMethod.VOTE: _l("成员单位投票"), ElectionMethod.CONSENSUS: _l("协商一致")},
)


class DeputyElection(db.Model):
    """推选: the term's choice of its 轮值副书记, recorded and then certified by the secretary."""

    __tablename__ = "deputy_elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), unique=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    method: Mapped[ElectionMethod] = mapped_column(enum_type(ElectionMethod, "method"))
    chosen_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    holder_name: Mapped[str] = mapped_column(sa.String(64), default="")
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    candidates: Mapped[list["ElectionCandidate"]] = relationship(
        back_populates="election", order_by="ElectionCandidate.id", cascade="all, delete-orphan"
    )
    votes: Mapped[list["ElectionVote"]] = relationship(
        back_populates="election", order_by="ElectionVote.id", cascade="all, delete-orphan"
    )
    chosen_unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    term: Mapped["Term"] = relationship()  # noqa: F821
    meeting: Mapped[Meeting | None] = relationship()


class ElectionCandidate(db.Model):
    __tablename__ = "election_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("deputy_elections.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))

    election: Mapped[DeputyElection] = relationship(back_populates="candidates")
    unit: Mapped["Unit"] = relationship()  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("election_id", "unit_id"),)


class ElectionVote(db.Model):
    """One member unit's vote (or, for 协商一致, its agreement); one per unit and election."""

    __tablename__ = "election_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("deputy_elections.id", ondelete="CASCADE"), index=True
    )
    voter_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    candidate_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    election: Mapped[DeputyElection] = relationship(back_populates="votes")
    voter_unit: Mapped["Unit"] = relationship(foreign_keys=[voter_unit_id])  # noqa: F821
    candidate_unit: Mapped["Unit"] = relationship(foreign_keys=[candidate_unit_id])  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("election_id", "voter_unit_id"),)
