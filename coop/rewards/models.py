"""积分超市: the rewards on the shelf, their pictures, and the redemptions of them.

A redemption holds its points (volunteer → hold) when it is reserved; picking it up spends them
(hold → supermarket), cancelling or expiring returns them (hold → volunteer). Each of those is a
ledger posting keyed by the redemption and the move, and the moves out of ``reserved`` are made
under the redemption's row lock, so the points come back exactly once.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Unit
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.states import StateMachine, moves

CODE_LENGTH = 8
DEFAULT_LOW_STOCK_AT = 3


class ItemStatus(enum.StrEnum):
    ON_SHELF = "on_shelf"
    OFF_SHELF = "off_shelf"


labelled(ItemStatus, {ItemStatus.ON_SHELF: _l("在架"), ItemStatus.OFF_SHELF: _l("已下架")})

ITEM_FLOW = StateMachine(
    name=_l("兑换物品"),
    moves=moves(
        delist=((ItemStatus.ON_SHELF,), ItemStatus.OFF_SHELF),
        relist=((ItemStatus.OFF_SHELF,), ItemStatus.ON_SHELF),
    ),
    action_labels={"delist": _l("下架"), "relist": _l("重新上架")},
)


class RedemptionStatus(enum.StrEnum):
    RESERVED = "reserved"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


labelled(
    RedemptionStatus,
    {
        RedemptionStatus.RESERVED: _l("待领取"),
        RedemptionStatus.PICKED_UP: _l("已领取"),
        RedemptionStatus.CANCELLED: _l("已取消"),
        RedemptionStatus.EXPIRED: _l("已过期"),
    },
)
# What counts against the per-person monthly limit: a cancelled or expired one gave its item back.
COUNTED = (RedemptionStatus.RESERVED, RedemptionStatus.PICKED_UP)

R = RedemptionStatus
REDEMPTION_FLOW = StateMachine(
    name=_l("兑换"),
    moves=moves(
        pickup=((R.RESERVED,), R.PICKED_UP),
        cancel=((R.RESERVED,), R.CANCELLED),
        expire=((R.RESERVED,), R.EXPIRED),
    ),
    action_labels={"pickup": _l("领取"), "cancel": _l("取消"), "expire": _l("过期")},
)


class RewardItem(db.Model):
    """Something on the supermarket's shelf. Its price and stock change only for the future:
    a redemption keeps the name, supplier and cost it was made at."""

    __tablename__ = "reward_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cost: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    # At most this many a person in a calendar month (community time); None: no limit.
    monthly_limit: Mapped[int | None]
    # 公益合伙人: the partner unit that supplies it; None when the community does.
    supplier_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    low_stock_at: Mapped[int] = mapped_column(default=DEFAULT_LOW_STOCK_AT)
    status: Mapped[ItemStatus] = mapped_column(
        enum_type(ItemStatus, "status"), default=ItemStatus.ON_SHELF
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    supplier: Mapped[Unit | None] = relationship()
    picture: Mapped["RewardPicture | None"] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("cost > 0", name="cost_positive"),
        # Reservations take stock with an atomic UPDATE; this refuses overselling even if one
        # ever raced past it.
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint(
            "monthly_limit IS NULL OR monthly_limit >= 1", name="monthly_limit_positive"
        ),
        sa.CheckConstraint("low_stock_at >= 0", name="low_stock_at_not_negative"),
    )

    @property
    def low_on_stock(self) -> bool:
        return self.stock <= self.low_stock_at


class RewardPicture(db.Model):
    """The item's picture, re-encoded and resized on upload. Kept in the database so that every
    web process serves it without a shared disk; ``etag`` lets phones cache it."""

    __tablename__ = "reward_pictures"
    __audit__ = False  # bytes; the item's audit trail records that its picture changed

    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reward_items.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    etag: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[RewardItem] = relationship(back_populates="picture")


class Redemption(db.Model):
    """One item reserved by a volunteer, its points held until pickup, cancel or expiry."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_items.id"))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # As they were when reserved, so restocking, repricing or renaming never rewrites history.
    item_name: Mapped[str] = mapped_column(sa.String(64))
    supplier_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    cost: Mapped[int]
    # Shown at the counter and encoded in the QR; random, so it cannot be guessed from another.
    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), unique=True)
    status: Mapped[RedemptionStatus] = mapped_column(
        enum_type(RedemptionStatus, "status"), default=RedemptionStatus.RESERVED
    )
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reserved_on: Mapped[date]  # the community's calendar day, for monthly limits
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When and by whom it left ``reserved``: handed over, cancelled, or (nobody) expired.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")

    item: Mapped[RewardItem] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    supplier: Mapped[Unit | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("cost > 0", name="cost_positive"),
        sa.CheckConstraint(
            "(status = 'reserved') = (closed_at IS NULL)", name="closed_when_not_reserved"
        ),
        # The monthly limit counts a person's redemptions of an item since the 1st.
        sa.Index("ix_redemptions_item_volunteer_day", "item_id", "volunteer_id", "reserved_on"),
        # expire_redemptions finds the overdue ones; the counter lists the day's pickups.
        sa.Index("ix_redemptions_status_expires_at", "status", "expires_at"),
        sa.Index("ix_redemptions_community_closed_at", "community_id", "closed_at"),
    )

    def is_overdue(self, now: datetime) -> bool:
        """Reserved past its pickup deadline (``expire_redemptions`` will return the points)."""
        return self.status is RedemptionStatus.RESERVED and now >= self.expires_at
