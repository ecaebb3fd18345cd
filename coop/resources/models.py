"""联盟资源清单: what partner units offer — people, venues, funds, goods, expertise."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community, Neighbourhood, Unit
from coop.categories import Category
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.states import StateMachine, moves
from coop.versioning import Versioned


class ResourceKind(enum.StrEnum):
    VOLUNTEERS = "volunteers"
    VENUE = "venue"
    FUNDS = "funds"
    GOODS = "goods"
    EXPERTISE = "expertise"


labelled(
    ResourceKind,
    {
        ResourceKind.VOLUNTEERS: _l("志愿服务"),
        ResourceKind.VENUE: _l("场地"),
        ResourceKind.FUNDS: _l("资金"),
        ResourceKind.GOODS: _l("物资"),
        ResourceKind.EXPERTISE: _l("专业技能"),
    },
)


class ResourceStatus(enum.StrEnum):
    OFFERED = "offered"
    LISTED = "listed"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


labelled(
    ResourceStatus,
    {
        ResourceStatus.OFFERED: _l("待审核"),
        ResourceStatus.LISTED: _l("已列入清单"),
        ResourceStatus.RETURNED: _l("已退回"),
        ResourceStatus.WITHDRAWN: _l("已撤回"),
    },
)

S = ResourceStatus
RESOURCE_FLOW = StateMachine(
    name=_l("资源"),
    moves=moves(
        list=((S.OFFERED,), S.LISTED),
        send_back=((S.OFFERED, S.LISTED), S.RETURNED),
        reoffer=((S.RETURNED,), S.OFFERED),
        withdraw=((S.OFFERED, S.LISTED, S.RETURNED), S.WITHDRAWN),
    ),
    action_labels={
        "list": _l("列入清单"),
        "send_back": _l("退回"),
        "reoffer": _l("重新提交"),
        "withdraw": _l("撤回"),
    },
)

resource_neighbourhoods = sa.Table(
    "resource_neighbourhoods",
    db.metadata,
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("neighbourhood_id", sa.ForeignKey("neighbourhoods.id"), primary_key=True),
)


class Resource(Versioned, db.Model):
    """A unit's offer. "Committed" is not a state: it is whether approved claims pledge it."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_type(ResourceKind, "kind"))
    title: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category | None] = mapped_column(enum_type(Category, "category"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    unit_of_measure: Mapped[str] = mapped_column(sa.String(16))
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    status: Mapped[ResourceStatus] = mapped_column(
        enum_type(ResourceStatus, "status"), default=ResourceStatus.OFFERED, index=True
    )
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    unit: Mapped[Unit] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=resource_neighbourhoods, order_by=Neighbourhood.position
    )

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "available_until IS NULL OR available_from IS NULL OR available_until >= available_from",
            name="window_in_order",
        ),
    )
