"""点单认领: a unit or a volunteer claims a project; the secretary orders from a resource."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Unit
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.people.models import Team
from coop.projects.models import Project
from coop.resources.models import Resource
from coop.states import StateMachine, moves


class ClaimantType(enum.StrEnum):
    UNIT = "unit"
    VOLUNTEER = "volunteer"
    TEAM = "team"


labelled(
    ClaimantType,
    {
        ClaimantType.UNIT: _l("联盟单位"),
        ClaimantType.VOLUNTEER: _l("志愿者"),
        ClaimantType.TEAM: _l("志愿服务队"),
    },
)


class ClaimStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FULFILLED = "fulfilled"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


labelled(
    ClaimStatus,
    {
        ClaimStatus.PENDING: _l("待审核"),
        ClaimStatus.APPROVED: _l("已认领"),
        ClaimStatus.REJECTED: _l("未通过"),
        ClaimStatus.FULFILLED: _l("已完成"),
        ClaimStatus.RELEASED: _l("已释放"),
        ClaimStatus.WITHDRAWN: _l("已撤回"),
    },
)
LIVE = (ClaimStatus.PENDING, ClaimStatus.APPROVED)
# The same as SQL, written out: the live-claim unique index's predicate, which an
# ``ON CONFLICT … WHERE`` must repeat in constants for PostgreSQL to pick that index.
LIVE_SQL = "status IN ('pending', 'approved')"

S = ClaimStatus
CLAIM_FLOW = StateMachine(
    name=_l("认领"),
    moves=moves(
        approve=((S.PENDING,), S.APPROVED),
        reject=((S.PENDING,), S.REJECTED),
        withdraw=((S.PENDING, S.APPROVED), S.WITHDRAWN),
        release=((S.APPROVED,), S.RELEASED),
        fulfil=((S.APPROVED,), S.FULFILLED),
    ),
    action_labels={
        "approve": _l("通过"),
        "reject": _l("不通过"),
        "withdraw": _l("撤回"),
        "release": _l("释放"),
        "fulfil": _l("标记为已完成"),
    },
)

claim_resources = sa.Table(
    "claim_resources",
    db.metadata,
    sa.Column("claim_id", sa.ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("resource_id", sa.ForeignKey("resources.id"), primary_key=True),
)


# Exactly the claimant's own column is set: a unit, a volunteer or a team.
ONE_CLAIMANT = (
    "(claimant_type = 'unit' AND unit_id IS NOT NULL AND volunteer_id IS NULL"
    " AND team_id IS NULL)"
    " OR (claimant_type = 'volunteer' AND volunteer_id IS NOT NULL AND unit_id IS NULL"
    " AND team_id IS NULL)"
    " OR (claimant_type = 'team' AND team_id IS NOT NULL AND unit_id IS NULL"
    " AND volunteer_id IS NULL)"
)


class Claim(db.Model):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    claimant_type: Mapped[ClaimantType] = mapped_column(enum_type(ClaimantType, "claimant_type"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # A volunteer team (志愿服务队) claims routine projects; its leader or staff claim for it.
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    # "unit:7", "volunteer:42" or "team:3": one column so one partial unique index covers all.
    claimant_key: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[ClaimStatus] = mapped_column(
        enum_type(ClaimStatus, "status"), default=ClaimStatus.PENDING, index=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(foreign_keys=[project_id])
    unit: Mapped[Unit | None] = relationship()
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    team: Mapped[Team | None] = relationship()
    resources: Mapped[list[Resource]] = relationship(secondary=claim_resources)

    __table_args__ = (
        sa.CheckConstraint(
            ONE_CLAIMANT,
            name="one_claimant",
        ),
        # At most one live (pending or approved) claim per claimant and project.
        sa.Index(
            "uq_claims_live_per_claimant",
            "project_id",
            "claimant_key",
            unique=True,
            postgresql_where=sa.text(LIVE_SQL),
            sqlite_where=sa.text(LIVE_SQL),
        ),
    )

    @property
    def claimant_name(self) -> str:
        if self.unit is not None:
            return self.unit.name
        if self.team is not None:
            return self.team.name
        return self.volunteer.display_name if self.volunteer else ""


class OrderStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


labelled(
    OrderStatus,
    {
        OrderStatus.REQUESTED: _l("待单位回复"),
        OrderStatus.ACCEPTED: _l("已接单"),
        OrderStatus.DECLINED: _l("已婉拒"),
        OrderStatus.CANCELLED: _l("已取消"),
    },
)
O = OrderStatus  # noqa: E741
ORDER_FLOW = StateMachine(
    name=_l("资源点单"),
    moves=moves(
        accept=((O.REQUESTED,), O.ACCEPTED),
        decline=((O.REQUESTED,), O.DECLINED),
        cancel=((O.REQUESTED,), O.CANCELLED),
    ),
    action_labels={"accept": _l("接单"), "decline": _l("婉拒"), "cancel": _l("取消")},
)


class ResourceOrder(db.Model):
    """资源点单: the secretary asks a unit for one of its resources for a project."""

    __tablename__ = "resource_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resources.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus, "status"), default=OrderStatus.REQUESTED
    )
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    resource: Mapped[Resource] = relationship()
    unit: Mapped[Unit] = relationship()
    claim: Mapped["Claim | None"] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_resource_orders_open",
            "project_id",
            "resource_id",
            unique=True,
            postgresql_where=sa.text("status = 'requested'"),
            sqlite_where=sa.text("status = 'requested'"),
        ),
    )
