"""The demo's 积分超市: 兴旺社区's shelf of community and 公益合伙人 items, with pictures; a history of
redemptions in every state, made by volunteers who had the points; staff named by the secretary;
and books that still balance."""

from collections import Counter

import pytest
import sqlalchemy as sa

from coop import demo
from coop.alliance.models import Community
from coop.auth.models import Role, User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.rewards import queries, service
from coop.rewards.models import COUNTED, ItemStatus, Redemption, RedemptionStatus, RewardItem
from coop.timeutil import COMMUNITY_TZ


@pytest.fixture
def xingwang(ctx):
    assert demo.load() is True
    return db.session.scalars(sa.select(Community).where(Community.name == "兴旺社区")).one()


def account(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def items_of(community) -> list[RewardItem]:
    return list(
        db.session.scalars(sa.select(RewardItem).where(RewardItem.community_id == community.id))
    )


def redemptions_of(community) -> list[Redemption]:
    return list(
        db.session.scalars(sa.select(Redemption).where(Redemption.community_id == community.id))
    )


def test_the_shelf_has_community_and_partner_items_with_pictures(xingwang):
    items = items_of(xingwang)
    assert 10 <= len(items) <= 12
    assert sum(i.supplier_unit_id is None for i in items) >= 5
    partners = {i.supplier.name for i in items if i.supplier is not None}
    assert {"康达物业公司", "同心银行兴旺支行"} <= partners
    assert all(30 <= i.cost <= 500 for i in items)
    assert any(i.monthly_limit for i in items) and any(i.monthly_limit is None for i in items)
    assert all(queries.picture_of(i.id) is not None for i in items)
    (off,) = [i for i in items if i.status is ItemStatus.OFF_SHELF]
    assert off not in db.session.scalars(queries.shelf_select([xingwang.id])).all()
    assert [i.name for i in queries.low_stock(xingwang.id)] == ["食用油 1.8 L"]


def test_the_history_has_every_state_closed_by_staff_or_the_secretary(xingwang):
    redemptions = redemptions_of(xingwang)
    states = Counter(r.status for r in redemptions)
    assert states[RedemptionStatus.PICKED_UP] >= 10
    assert states[RedemptionStatus.CANCELLED] >= 2
    assert states[RedemptionStatus.EXPIRED] == 1
    assert 3 <= states[RedemptionStatus.RESERVED] <= 5
    handed = {r.closed_by.username for r in redemptions if r.status is RedemptionStatus.PICKED_UP}
    assert handed == {"staff", "secretary"}
    by_staff = [
        r
        for r in redemptions
        if r.status is RedemptionStatus.CANCELLED and r.closed_by_id != r.volunteer_id
    ]
    assert by_staff and all(r.cancel_reason for r in by_staff)
    now = utcnow()
    assert all(r.reserved_at < now for r in redemptions)
    assert not any(r.is_overdue(now) for r in redemptions)  # the counter's queue is current


def test_the_history_keeps_the_monthly_limits(xingwang):
    limits = {i.id: i.monthly_limit for i in items_of(xingwang)}
    per_month = Counter(
        (r.volunteer_id, r.item_id, r.reserved_on.replace(day=1))
        for r in redemptions_of(xingwang)
        if r.status in COUNTED
    )
    for (_volunteer, item_id, _month), count in per_month.items():
        assert limits[item_id] is None or count <= limits[item_id]


def test_the_demo_volunteer_has_a_reservation_waiting_and_one_past_pickup(xingwang):
    volunteer = account("volunteer")
    mine = [r for r in redemptions_of(xingwang) if r.volunteer_id == volunteer.id]
    assert Counter(r.status for r in mine) == {
        RedemptionStatus.RESERVED: 1,
        RedemptionStatus.PICKED_UP: 1,
    }
    wallet = queries.wallet(volunteer.id, xingwang.id)
    (waiting,) = [r for r in mine if r.status is RedemptionStatus.RESERVED]
    assert wallet.held == waiting.cost and wallet.available > 0


def test_she_can_still_redeem_from_the_shelf_today(xingwang):
    volunteer = account("volunteer")
    cheapest = db.session.scalars(queries.shelf_select([xingwang.id])).first()
    redemption = service.reserve(volunteer, cheapest.id, now=utcnow())
    assert redemption.status is RedemptionStatus.RESERVED


def test_staff_runs_the_supermarket_by_the_secretarys_grant(xingwang):
    staff = account("staff")
    (grant,) = staff.grants_of(Role.SUPERMARKET_STAFF)
    assert grant.community_id == xingwang.id
    assert all(i.created_by_id == staff.id for i in items_of(xingwang))
    assert "积分超市" in dict((u, what) for u, _n, what in demo.ACCOUNTS)["staff"]


def test_the_books_balance_with_points_held_and_spent(xingwang):
    report = ledger.check()
    assert report.ok, report
    redemptions = redemptions_of(xingwang)
    till = ledger.account_for(AccountType.SUPERMARKET, xingwang.id)
    picked = [r for r in redemptions if r.status is RedemptionStatus.PICKED_UP]
    assert ledger.balance_of(till) == sum(r.cost for r in picked)
    for r in redemptions:
        if r.status is RedemptionStatus.RESERVED:
            assert queries.wallet(r.volunteer_id, xingwang.id).held >= r.cost
    # Every redemption happened after the shelf was stocked, in the community's past.
    opened = min(i.created_at for i in items_of(xingwang))
    assert all(r.reserved_at > opened for r in redemptions)
    days = {r.reserved_at.astimezone(COMMUNITY_TZ).strftime("%Y-%m") for r in redemptions}
    assert len(days) >= 3  # over the past months


def test_loading_twice_duplicates_no_item_or_redemption(xingwang):
    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (RewardItem, Redemption)
        ]

    before = counts()
    assert demo.load() is False
    assert counts() == before
