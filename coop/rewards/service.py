"""Redeeming points: reserve an item (its points held), pick it up (spent), cancel or expire it
(returned). Points move only through the ledger, one posting per move keyed
``redemption:<id>:<move>``; the moves out of ``reserved`` take the redemption's row lock first,
so a racing cancel, pickup or expiry finds it already moved and changes nothing.

Lock order, everywhere: redemption, then item, then ledger accounts (lowest id first). A
reservation locks the item with the UPDATE that takes its stock, so reservations of one item
queue on that row and the stock and the monthly limit are decided one at a time.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from coop.alliance.models import Community
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.errors import DomainError, Invalid, NotFound
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
from coop.notices.service import notify
from coop.rewards import errors, permissions, queries
from coop.rewards.models import (
    CODE_LENGTH,
    REDEMPTION_FLOW,
    ItemStatus,
    Redemption,
    RedemptionStatus,
    RewardItem,
)
from coop.timeutil import COMMUNITY_TZ

CODE_ATTEMPTS = 5
LOCKED_READ = ("stock", "cost", "monthly_limit", "name", "supplier_unit_id")
EXPIRE_BATCH = 500


def limit_refusal(item: RewardItem, used: int) -> errors.LimitReached | None:
    if item.monthly_limit is not None and used >= item.monthly_limit:
        return errors.LimitReached(
            _("这件物品每人每月限兑 %(limit)s 件，本月您已兑满。", limit=item.monthly_limit)
        )
    return None


def points_refusal(item: RewardItem, available: int) -> errors.InsufficientPoints | None:
    if available < item.cost:
        return errors.InsufficientPoints(
            _(
                "积分不足：兑换需要 %(cost)s 分，您的可用积分为 %(available)s 分。",
                cost=item.cost,
                available=available,
            )
        )
    return None


def refusal(item: RewardItem, *, available: int, used: int) -> DomainError | None:
    """Why ``reserve`` would refuse her this item now (the shelf shows it before she taps), or
    None. The same checks, in the same order, as ``reserve`` makes under the item's lock."""
    if item.status is ItemStatus.OFF_SHELF:
        return errors.NotOnShelf()
    if item.stock <= 0:
        return errors.OutOfStock()
    return limit_refusal(item, used) or points_refusal(item, available)


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def _take_one(item: RewardItem) -> int:
    """Take one from the item's stock in one statement, which also locks its row until commit
    and reads the price under that lock; returns the community's pickup days, read with it.

    :raise NotOnShelf, OutOfStock: nothing taken.
    """
    table = RewardItem.__table__
    pickup_days = (
        sa.select(Community.pickup_days)
        .where(Community.id == table.c.community_id)
        .scalar_subquery()
    )
    taken = db.session.execute(
        sa.update(table)
        .where(table.c.id == item.id, table.c.status == ItemStatus.ON_SHELF, table.c.stock > 0)
        .values(stock=table.c.stock - 1)
        .returning(*(table.c[name] for name in LOCKED_READ), pickup_days.label("pickup_days"))
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if taken is None:
        db.session.refresh(item)
        raise errors.NotOnShelf() if item.status is ItemStatus.OFF_SHELF else errors.OutOfStock()
    for name in LOCKED_READ:  # the item as the lock left it: price and limit of this moment
        set_committed_value(item, name, getattr(taken, name))
    return taken.pickup_days


def reserve(actor: User, item_id: int, *, now: datetime) -> Redemption:
    """A volunteer reserves one of an item: its points are held at once and she gets a pickup
    code. At most ``monthly_limit`` a month each (reserved or picked up), never past the stock.

    What can be refused without the item's lock is refused first (nothing is locked for a
    reservation that cannot happen); the stock, the price and the monthly count are then decided
    under the lock, and the ledger's balance CHECK backs the points check when two of her
    reservations race.

    :raise NotFound: not an item of her community. :raise Forbidden: she is not its volunteer.
    :raise NotOnShelf, OutOfStock, LimitReached, InsufficientPoints: nothing changes.
    """
    item = queries.get_item(actor, item_id)
    require(permissions.can_redeem(actor, item))
    today = now.astimezone(COMMUNITY_TZ).date()
    mine = ledger.account_for(AccountType.VOLUNTEER, item.community_id, actor.id)
    hold = ledger.account_for(AccountType.HOLD, item.community_id, actor.id)
    refused = refusal(item, available=mine.balance, used=0)
    if refused is not None:
        raise refused
    pickup_days = _take_one(item)
    used = queries.used_this_month(item.id, actor.id, today) if item.monthly_limit else 0
    refused = limit_refusal(item, used) or points_refusal(item, mine.balance)
    if refused is not None:
        raise refused
    redemption = _insert_with_code(
        community_id=item.community_id,
        item_id=item.id,
        volunteer_id=actor.id,
        item_name=item.name,
        supplier_unit_id=item.supplier_unit_id,
        cost=item.cost,
        status=RedemptionStatus.RESERVED,
        reserved_at=now,
        reserved_on=today,
        expires_at=now + timedelta(days=pickup_days),
    )
    _post(redemption, PostingKind.RESERVE, "reserve", [(mine, -item.cost), (hold, item.cost)])
    return redemption


def _insert_with_code(**columns) -> Redemption:
    """Insert with a fresh random code; a clash with an existing code draws another."""
    for attempt in range(CODE_ATTEMPTS):
        redemption = Redemption(code=_new_code(), **columns)
        try:
            with db.session.begin_nested():
                db.session.add(redemption)
                db.session.flush()
        except sa.exc.IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
            continue
        return redemption
    raise AssertionError("unreachable")


def _post(redemption: Redemption, kind: PostingKind, move: str, lines, actor_id=None):
    return ledger.post(
        key=f"redemption:{redemption.id}:{move}",
        kind=kind,
        source_type="redemption",
        source_id=redemption.id,
        lines=lines,
        memo=redemption.item_name,
        actor_id=actor_id,
    )


def _locked(actor: User | None, redemption_id: int) -> Redemption:
    """The redemption under its row lock, re-read. :raise NotFound: not the actor's to see."""
    redemption = db.session.get(
        Redemption, redemption_id, with_for_update=True, populate_existing=True
    )
    if redemption is None or not permissions.can_view_redemption(actor, redemption):
        raise NotFound()
    return redemption


def pickup(actor: User, redemption_id: int, *, now: datetime) -> Redemption:
    """Staff hand the item over at the counter: the held points are spent (hold → supermarket).

    :raise NotFound: not a redemption of her supermarket. :raise Forbidden: not staff;
        OwnRedemption for her own. :raise IllegalTransition: not reserved.
        :raise RedemptionOverdue: past the pickup deadline (its points are about to return).
    """
    redemption = _locked(actor, redemption_id)
    require(permissions.can_run_supermarket(actor, redemption.community_id))
    if permissions.is_own(actor, redemption):
        raise errors.OwnRedemption()
    REDEMPTION_FLOW.check(redemption, "pickup")
    if redemption.is_overdue(now):
        raise errors.RedemptionOverdue()
    REDEMPTION_FLOW.move(redemption, "pickup")
    redemption.closed_at, redemption.closed_by_id = now, actor.id
    db.session.flush()
    community = redemption.community_id
    hold = ledger.account_for(AccountType.HOLD, community, redemption.volunteer_id)
    till = ledger.account_for(AccountType.SUPERMARKET, community)
    _post(
        redemption,
        PostingKind.PICKUP,
        "pickup",
        [(hold, -redemption.cost), (till, redemption.cost)],
        actor.id,
    )
    return redemption


def cancel(actor: User, redemption_id: int, *, now: datetime, reason: str = "") -> Redemption:
    """The volunteer cancels her reservation, or staff cancel one with a reason she reads: the
    item goes back on the shelf and the points come back, once.

    :raise NotFound: neither hers nor her supermarket's. :raise IllegalTransition: not
        reserved (already picked up, cancelled or expired). :raise Invalid: staff gave no reason.
    """
    redemption = _locked(actor, redemption_id)
    REDEMPTION_FLOW.check(redemption, "cancel")
    own = permissions.is_own(actor, redemption)
    if not own and not reason.strip():
        raise Invalid(errors={"reason": [_("请写明取消的原因，志愿者会看到它。")]})
    return _cancel(redemption, actor, now=now, reason=reason, tell_her=not own)


def _cancel(
    redemption: Redemption, actor: User, *, now: datetime, reason: str, tell_her: bool
) -> Redemption:
    """Cancel the locked reservation: stock back on the shelf, points back once."""
    REDEMPTION_FLOW.move(redemption, "cancel")
    redemption.closed_at, redemption.closed_by_id = now, actor.id
    redemption.cancel_reason = reason.strip()
    db.session.flush()
    _return_stock({redemption.item_id: 1})
    _refund(redemption, PostingKind.CANCEL, "cancel", actor.id)
    if tell_her:
        notify(
            redemption.volunteer_id,
            _("您兑换的“%(item)s”已被取消", item=redemption.item_name),
            body=_(
                "原因：%(reason)s。冻结的 %(points)s 积分已退回。",
                reason=redemption.cancel_reason,
                points=redemption.cost,
            ),
            link=f"/supermarket/redemptions/{redemption.id}",
        )
    return redemption


def cancel_reservations_of(
    actor: User, volunteer_id: int, *, now: datetime, reason: str
) -> list[Redemption]:
    """A departing volunteer's reservations are cancelled as staff cancel one, in every
    community: items back on the shelf, held points back to her once, a notice with the reason.
    The caller has authorised the departure."""
    done = []
    for redemption_id in queries.reserved_ids_of(volunteer_id):
        redemption = db.session.get(
            Redemption, redemption_id, with_for_update=True, populate_existing=True
        )
        if not REDEMPTION_FLOW.can(redemption, "cancel"):
            continue  # picked up, cancelled or expired while we waited for the lock
        done.append(_cancel(redemption, actor, now=now, reason=reason, tell_her=True))
    return done


def _return_stock(counts: dict[int, int]) -> None:
    """Put items back on the shelf, lowest item id first (the order every batch locks in)."""
    table = RewardItem.__table__
    for item_id in sorted(counts):
        db.session.execute(
            sa.update(table)
            .where(table.c.id == item_id)
            .values(stock=table.c.stock + counts[item_id])
            .execution_options(synchronize_session=False)
        )


def _refund(redemption: Redemption, kind: PostingKind, move: str, actor_id=None) -> None:
    community = redemption.community_id
    hold = ledger.account_for(AccountType.HOLD, community, redemption.volunteer_id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community, redemption.volunteer_id)
    _post(redemption, kind, move, [(hold, -redemption.cost), (mine, redemption.cost)], actor_id)


def expire_redemptions(*, now: datetime, limit: int | None = None) -> int:
    """Reservations not picked up by their deadline expire: the item goes back on the shelf,
    the points back to the volunteer (once), and she gets a notice. Returns how many.

    Idempotent and safe to run concurrently: each run locks the overdue rows it takes and skips
    rows another run (or a counter) holds, and a row already moved is no longer overdue.
    """
    done = 0
    while limit is None or done < limit:
        batch = EXPIRE_BATCH if limit is None else min(EXPIRE_BATCH, limit - done)
        redemptions = db.session.scalars(
            sa.select(Redemption)
            .where(Redemption.status == RedemptionStatus.RESERVED, Redemption.expires_at <= now)
            .order_by(Redemption.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        if not redemptions:
            break
        # Items, then each volunteer's accounts, in one global order: concurrent runs (and
        # cancels, which lock an item before accounts) never wait on each other in a cycle.
        counts: dict[int, int] = {}
        for redemption in redemptions:
            REDEMPTION_FLOW.move(redemption, "expire")
            redemption.closed_at = now
            counts[redemption.item_id] = counts.get(redemption.item_id, 0) + 1
        db.session.flush()
        _return_stock(counts)
        for redemption in sorted(redemptions, key=lambda r: (r.volunteer_id, r.id)):
            _refund(redemption, PostingKind.EXPIRE, "expire")
            notify(
                redemption.volunteer_id,
                _("您兑换的“%(item)s”已过期", item=redemption.item_name),
                body=_(
                    "超过领取期限未领取，冻结的 %(points)s 积分已退回。",
                    points=redemption.cost,
                ),
                link=f"/supermarket/redemptions/{redemption.id}",
            )
        done += len(redemptions)
    return done
