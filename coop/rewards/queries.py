"""Named reads of the 积分超市, scoped to what the actor may see."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from coop.alliance.models import Unit
from coop.alliance.permissions import visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.ledger.models import Account, AccountType
from coop.rewards import permissions
from coop.rewards.models import (
    COUNTED,
    ItemStatus,
    Redemption,
    RedemptionStatus,
    RewardItem,
    RewardPicture,
)
from coop.timeutil import local_midnight, month_start, next_month


def get_item(actor: User | None, item_id: int, *, for_update: bool = False) -> RewardItem:
    """An item of one of the actor's communities. :raise NotFound: otherwise."""
    item = db.session.get(RewardItem, item_id, with_for_update=for_update or None)
    if item is None or item.community_id not in visible_community_ids(actor):
        raise NotFound()
    return item


def shelf_select(
    community_ids, *, status: ItemStatus | None = ItemStatus.ON_SHELF, q: str = ""
) -> sa.Select:
    """The communities' items, cheapest first, with supplier and picture (not its bytes) loaded."""
    query = (
        sa.select(RewardItem)
        .where(RewardItem.community_id.in_(list(community_ids)))
        .options(joinedload(RewardItem.supplier), selectinload(RewardItem.picture))
        .order_by(RewardItem.cost, RewardItem.id)
    )
    if status is not None:
        query = query.where(RewardItem.status == status)
    if q:
        query = query.where(RewardItem.name.contains(q, autoescape=True))
    return query


def low_stock(community_id: int) -> list[RewardItem]:
    """Items on the shelf at or below their low-stock mark, emptiest first."""
    return list(
        db.session.scalars(
            sa.select(RewardItem)
            .where(
                RewardItem.community_id == community_id,
                RewardItem.status == ItemStatus.ON_SHELF,
                RewardItem.stock <= RewardItem.low_stock_at,
            )
            .order_by(RewardItem.stock, RewardItem.id)
        )
    )


def picture_of(item_id: int) -> RewardPicture | None:
    return db.session.get(RewardPicture, item_id)


def used_this_month(item_id: int, volunteer_id: int, today: date) -> int:
    """How many of the item she has reserved or picked up since the 1st of ``today``'s month."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Redemption.item_id == item_id,
            Redemption.volunteer_id == volunteer_id,
            Redemption.reserved_on >= month_start(today),
            Redemption.status.in_(COUNTED),
        )
    )


def used_this_month_by_item(volunteer_id: int, item_ids, today: date) -> dict[int, int]:
    """used_this_month for a whole shelf in one query."""
    rows = db.session.execute(
        sa.select(Redemption.item_id, sa.func.count())
        .where(
            Redemption.item_id.in_(list(item_ids)),
            Redemption.volunteer_id == volunteer_id,
            Redemption.reserved_on >= month_start(today),
            Redemption.status.in_(COUNTED),
        )
        .group_by(Redemption.item_id)
    )
    return dict(rows.all())


@dataclass(frozen=True)
class Wallet:
    """A volunteer's points in one community: what she can spend and what reservations hold."""

    available: int
    held: int


def wallet(volunteer_id: int, community_id: int) -> Wallet:
    balances = dict(
        db.session.execute(
            sa.select(Account.type, Account.balance).where(
                Account.owner_id == volunteer_id,
                Account.community_id == community_id,
                Account.type.in_([AccountType.VOLUNTEER, AccountType.HOLD]),
            )
        ).all()
    )
    return Wallet(balances.get(AccountType.VOLUNTEER, 0), balances.get(AccountType.HOLD, 0))


def _loaded(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(Redemption.volunteer),
        joinedload(Redemption.supplier),
        joinedload(Redemption.closed_by),
        joinedload(Redemption.item).selectinload(RewardItem.picture),
    )


def get_redemption(actor: User | None, redemption_id: int, *, for_update: bool = False):
    """Her own redemption, or any of a community whose supermarket the actor runs.

    :raise NotFound: otherwise (another's redemption is not shown to exist).
    """
    redemption = db.session.get(Redemption, redemption_id, with_for_update=for_update or None)
    if redemption is None or not permissions.can_view_redemption(actor, redemption):
        raise NotFound()
    return redemption


def find_by_code(actor: User | None, code: str) -> Redemption | None:
    """The counter's lookup: the redemption with this code in one of the actor's supermarkets."""
    redemption = db.session.scalar(_loaded(sa.select(Redemption).where(Redemption.code == code)))
    if redemption is None or not permissions.can_run_supermarket(actor, redemption.community_id):
        return None
    return redemption


def redemptions_select(
    actor: User,
    *,
    community_id: int | None = None,
    volunteer_id: int | None = None,
    status: RedemptionStatus | None = None,
    mine: bool = False,
) -> sa.Select:
    """Newest first: her own (``mine``, or when she runs no supermarket), else the
    redemptions of the communities whose supermarket she runs."""
    staff_of = permissions.staff_community_ids(actor)
    query = _loaded(sa.select(Redemption)).order_by(Redemption.id.desc())
    if mine or not staff_of:
        query = query.where(Redemption.volunteer_id == actor.id)
        if community_id is not None:
            query = query.where(Redemption.community_id == community_id)
    else:
        ids = staff_of if community_id is None else staff_of & {community_id}
        query = query.where(Redemption.community_id.in_(list(ids)))
        if volunteer_id is not None:
            query = query.where(Redemption.volunteer_id == volunteer_id)
    if status is not None:
        query = query.where(Redemption.status == status)
    return query


def pickups_on(community_id: int, day: date) -> list[Redemption]:
    """The items handed over at the counter on the community's calendar ``day``, latest first."""
    return list(
        db.session.scalars(
            _loaded(sa.select(Redemption))
            .where(
                Redemption.community_id == community_id,
                Redemption.status == RedemptionStatus.PICKED_UP,
                Redemption.closed_at >= local_midnight(day),
                Redemption.closed_at < local_midnight(day + timedelta(days=1)),
            )
            .order_by(Redemption.closed_at.desc())
        )
    )


@dataclass(frozen=True)
class SummaryRow:
    item_id: int
    item_name: str
    supplier_unit_id: int | None
    supplier_name: str | None  # None: the community supplied it
    picked_up: int
    points: int


def monthly_summary(community_id: int, month: date) -> list[SummaryRow]:
    """Points spent in the month (handed over at the counter, community time) by item and
    supplier, most points first. Names and costs are those of the redemptions, not today's."""
    start, end = local_midnight(month_start(month)), local_midnight(next_month(month))
    rows = db.session.execute(
        sa.select(
            Redemption.item_id,
            Redemption.item_name,
            Redemption.supplier_unit_id,
            Unit.name,
            sa.func.count(),
            sa.func.sum(Redemption.cost),
        )
        .outerjoin(Unit, Unit.id == Redemption.supplier_unit_id)
        .where(
            Redemption.community_id == community_id,
            Redemption.status == RedemptionStatus.PICKED_UP,
            Redemption.closed_at >= start,
            Redemption.closed_at < end,
        )
        .group_by(Redemption.item_id, Redemption.item_name, Redemption.supplier_unit_id, Unit.name)
        .order_by(sa.func.sum(Redemption.cost).desc(), Redemption.item_id)
    ).all()
    return [SummaryRow(*row[:5], points=int(row[5])) for row in rows]


def reserved_ids_of(volunteer_id: int) -> list[int]:
    """Her reservations not yet picked up, cancelled or expired, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Redemption.id)
            .where(
                Redemption.volunteer_id == volunteer_id,
                Redemption.status == RedemptionStatus.RESERVED,
            )
            .order_by(Redemption.id)
        )
    )


def overdue_ids(now: datetime, limit: int) -> list[int]:
    """Reservations past their pickup deadline, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Redemption.id)
            .where(Redemption.status == RedemptionStatus.RESERVED, Redemption.expires_at <= now)
            .order_by(Redemption.id)
            .limit(limit)
        )
    )
