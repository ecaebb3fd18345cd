"""The street's departments and the needs raised to it (吹哨), with what each department did."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community, Street
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.needs.models import Need
from coop.states import StateMachine, moves

# What a new street starts with; the street admin adds, renames and deactivates from there.
DEFAULT_DEPARTMENTS = ("综治", "民政", "城管", "信访", "应急管理")


class Department(db.Model):
    """A department of the street that handles raised needs (综治, 民政, 城管 …). Never deleted
    once used: a department the street no longer has is deactivated."""

    __tablename__ = "departments"
    __table_args__ = (sa.UniqueConstraint("street_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    street: Mapped[Street] = relationship()


class EscalationStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RETURNED = "returned"
    RESOLVED = "resolved"


labelled(
    EscalationStatus,
    {
        EscalationStatus.OPEN: _l("待分派"),
        EscalationStatus.ASSIGNED: _l("处置中"),
        EscalationStatus.RETURNED: _l("已退回社区"),
        EscalationStatus.RESOLVED: _l("已办结"),
    },
)

E = EscalationStatus
OPEN_STATUSES = (E.OPEN, E.ASSIGNED)
ESCALATION_FLOW = StateMachine(
    name=_l("吹哨事项"),
    moves=moves(
        # Assigning again adds departments or moves the deadline while it is being handled.
        assign=((E.OPEN, E.ASSIGNED), E.ASSIGNED),
        record=((E.ASSIGNED,), E.ASSIGNED),
        resolve=((E.ASSIGNED,), E.RESOLVED),
        return_=((E.OPEN, E.ASSIGNED), E.RETURNED),
    ),
    action_labels={
        "assign": _l("分派部门"),
        "record": _l("记录处置情况"),
        "resolve": _l("办结"),
        "return_": _l("退回社区"),
    },
)


class Escalation(db.Model):
    """A need raised to the street (街道吹哨) with the secretary's reason; at most one open
    (待分派 or 处置中) per need, enforced by a partial unique index."""

    __tablename__ = "escalations"
    __table_args__ = (
        sa.Index(
            "uq_escalations_open_need",
            "need_id",
            unique=True,
            postgresql_where=sa.text("status IN ('open', 'assigned')"),
            sqlite_where=sa.text("status IN ('open', 'assigned')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    status: Mapped[EscalationStatus] = mapped_column(
        enum_type(EscalationStatus, "status"), default=EscalationStatus.OPEN, index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    need: Mapped[Need] = relationship()
    community: Mapped[Community] = relationship()
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    assignments: Mapped[list["EscalationDepartment"]] = relationship(
        back_populates="escalation", order_by="EscalationDepartment.id"
    )
    entries: Mapped[list["EscalationEntry"]] = relationship(
        back_populates="escalation", order_by="(EscalationEntry.on, EscalationEntry.id)"
    )

    @property
    def departments(self) -> list[Department]:
        return [a.department for a in self.assignments]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def days_taken(self) -> int | None:
        """Whole days from raised to resolved or returned (None while open): the time to
        resolve the street is judged by."""
        if self.closed_at is None:
            return None
        return (self.closed_at - self.raised_at).days

    def overdue(self, today: date) -> bool:
        """Past its deadline and still being handled."""
        return self.is_open and self.deadline is not None and self.deadline < today


class EscalationDepartment(db.Model):
    """A department the street assigned the escalation to."""

    __tablename__ = "escalation_departments"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()


class EscalationEntry(db.Model):
    """What a department did on a day (协同处置 record), written by the street admin."""

    __tablename__ = "escalation_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="entries")
    department: Mapped[Department] = relationship()
