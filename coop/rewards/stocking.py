"""Stocking the 积分超市: items on and off the shelf, restocking, prices, pictures, the pickup
deadline, and who the supermarket's staff are. Changes apply from now on: redemptions keep the
name, supplier and cost they were made at."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from coop import pictures
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community, Membership
from coop.alliance.permissions import require
from coop.auth.models import Role, RoleGrant, User
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.rewards import permissions, queries
from coop.rewards.models import DEFAULT_LOW_STOCK_AT, ITEM_FLOW, RewardItem, RewardPicture

MAX_STOCK = 100_000
EDITABLE = ("name", "description", "cost", "monthly_limit", "supplier_unit_id", "low_stock_at")


def _staff_item(actor: User, item_id: int) -> RewardItem:
    """:raise NotFound: not an item of her communities. :raise Forbidden: she does not run the
    supermarket."""
    item = queries.get_item(actor, item_id)
    require(permissions.can_run_supermarket(actor, item.community_id))
    return item


def _check_supplier(community_id: int, unit_id: int | None) -> None:
    """:raise Invalid: the unit is not in the community's alliance."""
    if unit_id is None:
        return
    serves = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.unit_id == unit_id, Membership.community_id == community_id
        )
    )
    if serves is None:
        raise Invalid(errors={"supplier_unit_id": [_("请选择本社区联盟中的单位。")]})


def add_item(
    actor: User,
    community_id: int,
    *,
    name: str,
    cost: int,
    stock: int,
    monthly_limit: int | None = None,
    supplier_unit_id: int | None = None,
    description: str = "",
    low_stock_at: int = DEFAULT_LOW_STOCK_AT,
) -> RewardItem:
    """Put an item on the shelf, supplied by the community or by one of its alliance's units
    (公益合伙人). :raise Forbidden: she does not run the supermarket. :raise Invalid: supplier."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_run_supermarket(actor, community.id))
    _check_supplier(community.id, supplier_unit_id)
    item = RewardItem(
        community_id=community.id,
        name=name,
        description=description,
        cost=cost,
        stock=stock,
        monthly_limit=monthly_limit,
        supplier_unit_id=supplier_unit_id,
        low_stock_at=low_stock_at,
        created_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def update_item(actor: User, item_id: int, **changes) -> RewardItem:
    """Rename, reprice, change the limit, supplier or low-stock mark, from now on.

    :raise Forbidden, NotFound: as _staff_item. :raise Invalid: supplier.
    """
    item = _staff_item(actor, item_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "supplier_unit_id" in changes:
        _check_supplier(item.community_id, changes["supplier_unit_id"])
    for name, value in changes.items():
        setattr(item, name, value)
    db.session.flush()
    return item


def restock(actor: User, item_id: int, *, quantity: int) -> RewardItem:
    """Add to the stock (or take off what was lost or broken, with a negative quantity), in one
    statement so that reservations taking stock at the same moment are not overwritten.

    :raise Invalid: zero, or more taken off than is on the shelf, or over 100,000 in stock.
    """
    item = _staff_item(actor, item_id)
    if quantity == 0:
        raise Invalid(errors={"quantity": [_("数量不能为 0。")]})
    table = RewardItem.__table__
    stock = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == item.id,
            table.c.stock + quantity >= 0,
            table.c.stock + quantity <= MAX_STOCK,
        )
        .values(stock=table.c.stock + quantity)
        .returning(table.c.stock)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.refresh(item)
    if stock is None:
        if quantity < 0:
            message = _("库存只有 %(stock)s 件，不能减少 %(n)s 件。", stock=item.stock, n=-quantity)
        else:
            message = _("库存不能超过 %(max)s 件。", max=MAX_STOCK)
        raise Invalid(errors={"quantity": [message]})
    return item


def delist(actor: User, item_id: int) -> RewardItem:
    """Take an item off the shelf: nobody can reserve it; reservations already made stand.
    :raise IllegalTransition: already off the shelf."""
    item = _staff_item(actor, item_id)
    ITEM_FLOW.move(item, "delist")
    db.session.flush()
    return item


def relist(actor: User, item_id: int) -> RewardItem:
    """Put an item back on the shelf. :raise IllegalTransition: it is on the shelf."""
    item = _staff_item(actor, item_id)
    ITEM_FLOW.move(item, "relist")
    db.session.flush()
    return item


def set_picture(actor: User, item_id: int, upload: bytes) -> RewardPicture:
    """Replace the item's picture with the upload, checked and re-encoded.

    :raise BadPicture: not a usable JPEG/PNG/WebP of at most 5 MB.
    """
    item = _staff_item(actor, item_id)
    picture = pictures.prepare(upload)
    row = queries.picture_of(item.id) or RewardPicture(item_id=item.id)
    row.data, row.content_type, row.etag = picture.data, picture.content_type, picture.etag
    row.width, row.height = picture.width, picture.height
    db.session.add(row)
    item.updated_at = utcnow()  # the item's audit trail shows when its picture changed
    db.session.flush()
    return row


def remove_picture(actor: User, item_id: int) -> None:
    item = _staff_item(actor, item_id)
    row = queries.picture_of(item.id)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def set_pickup_days(actor: User, community_id: int, days: int) -> Community:
    """How long a reservation waits at the counter; reservations already made keep theirs."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_grant_staff(actor, community.id))
    community.pickup_days = days
    db.session.flush()
    return community


def staff_grants(community_id: int) -> list[RoleGrant]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant)
            .where(RoleGrant.role == Role.SUPERMARKET_STAFF, RoleGrant.community_id == community_id)
            .options(joinedload(RoleGrant.user))
            .order_by(RoleGrant.id)
        )
    )


def grant_staff(actor: User, community_id: int, user_id: int) -> RoleGrant:
    """The secretary makes one of her community's people supermarket staff.

    :raise Forbidden: not the secretary. :raise Invalid: not a person of this community, or
        already staff.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_grant_staff(actor, community.id))
    person = db.session.get(User, user_id)
    if person is None or not any(g.community_id == community.id for g in person.grants):
        raise Invalid(errors={"user_id": [_("请选择本社区的人员。")]})
    if any(g.community_id == community.id for g in person.grants_of(Role.SUPERMARKET_STAFF)):
        raise Invalid(
            errors={"user_id": [_("%(name)s 已是积分超市管理员。", name=person.display_name)]}
        )
    grant = RoleGrant(role=Role.SUPERMARKET_STAFF, community_id=community.id)
    person.grants.append(grant)
    db.session.flush()
    return grant


def revoke_staff(actor: User, grant_id: int) -> None:
    """:raise NotFound: no such supermarket grant in her community. :raise Forbidden: not the
    secretary."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.role is not Role.SUPERMARKET_STAFF:
        raise NotFound()
    alliance_queries.get_community(actor, grant.community_id)
    require(permissions.can_grant_staff(actor, grant.community_id))
    grant.user.grants.remove(grant)
    db.session.flush()
