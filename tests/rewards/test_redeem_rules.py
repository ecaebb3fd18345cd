"""Redeeming points: reserve holds them, pickup spends them, cancel and expiry return them once;
stock and the monthly limit are never exceeded; a refused reservation changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import Posting, PostingKind
from coop.notices.models import Notice
from coop.rewards import errors, queries, service, stocking
from coop.rewards.models import ItemStatus, Redemption, RedemptionStatus
from coop.states import IllegalTransition
from tests.factories import (
    give_points,
    make_community,
    make_reward_item,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def staff(community):
    return make_supermarket_staff(community)


@pytest.fixture
def volunteer(community):
    """A volunteer with 200 points."""
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 200)
    return volunteer


def wallet(volunteer, community):
    return queries.wallet(volunteer.id, community.id)


def postings_of(redemption):
    return db.session.scalars(
        sa.select(Posting.kind)
        .where(Posting.source_type == "redemption", Posting.source_id == redemption.id)
        .order_by(Posting.id)
    ).all()


def test_reserving_holds_the_points_and_takes_one_from_stock(community, volunteer):
    item = make_reward_item(community, cost=80, stock=5)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    assert redemption.status is RedemptionStatus.RESERVED
    assert len(redemption.code) == 8 and redemption.code.isdigit()
    assert (wallet(volunteer, community).available, wallet(volunteer, community).held) == (120, 80)
    assert item.stock == 4
    assert postings_of(redemption) == [PostingKind.RESERVE]


def test_the_pickup_deadline_is_the_communitys(community, volunteer):
    community.pickup_days = 7
    now = utcnow()
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=now)
    assert redemption.expires_at == now + timedelta(days=7)


def test_picking_up_spends_the_held_points(community, volunteer, staff):
    item = make_reward_item(community, cost=80)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    service.pickup(staff, redemption.id, now=utcnow())
    assert redemption.status is RedemptionStatus.PICKED_UP
    assert redemption.closed_by_id == staff.id
    assert (wallet(volunteer, community).available, wallet(volunteer, community).held) == (120, 0)
    assert postings_of(redemption) == [PostingKind.RESERVE, PostingKind.PICKUP]
    assert ledger.check().ok


def test_cancelling_returns_the_points_and_the_item(community, volunteer):
    item = make_reward_item(community, cost=80, stock=1)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    service.cancel(volunteer, redemption.id, now=utcnow())
    assert redemption.status is RedemptionStatus.CANCELLED
    assert (wallet(volunteer, community).available, wallet(volunteer, community).held) == (200, 0)
    db.session.refresh(item)
    assert item.stock == 1
    assert postings_of(redemption) == [PostingKind.RESERVE, PostingKind.CANCEL]


def test_cancelling_twice_refunds_once(community, volunteer):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    service.cancel(volunteer, redemption.id, now=utcnow())
    with pytest.raises(IllegalTransition):
        service.cancel(volunteer, redemption.id, now=utcnow())
    assert wallet(volunteer, community).available == 200
    assert postings_of(redemption) == [PostingKind.RESERVE, PostingKind.CANCEL]


def test_a_picked_up_redemption_cannot_be_cancelled(community, volunteer, staff):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    service.pickup(staff, redemption.id, now=utcnow())
    with pytest.raises(IllegalTransition) as refused:
        service.cancel(volunteer, redemption.id, now=utcnow())
    assert "已领取" in refused.value.message


def test_staff_cancel_with_a_reason_the_volunteer_reads(community, volunteer, staff):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    with pytest.raises(Invalid):
        service.cancel(staff, redemption.id, now=utcnow())
    service.cancel(staff, redemption.id, now=utcnow(), reason="物品破损，无法发放")
    assert redemption.cancel_reason == "物品破损，无法发放"
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == volunteer.id))
    assert "物品破损" in notice.body and "已退回" in notice.body


def test_another_volunteer_cannot_see_or_cancel_her_redemption(community, volunteer):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    other = make_volunteer(community)
    with pytest.raises(NotFound):
        service.cancel(other, redemption.id, now=utcnow())
    with pytest.raises(NotFound):
        queries.get_redemption(other, redemption.id)


def test_staff_never_hand_themselves_an_item(community):
    staff_volunteer = make_supermarket_staff(community)
    from coop.auth.models import Role, RoleGrant

    staff_volunteer.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=community.id))
    db.session.flush()
    give_points(staff_volunteer, community, 100)
    redemption = service.reserve(staff_volunteer, make_reward_item(community).id, now=utcnow())
    with pytest.raises(errors.OwnRedemption):
        service.pickup(staff_volunteer, redemption.id, now=utcnow())
    assert redemption.status is RedemptionStatus.RESERVED


def test_a_volunteer_cannot_pick_up_for_herself(community, volunteer):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    with pytest.raises(Forbidden):
        service.pickup(volunteer, redemption.id, now=utcnow())


def test_the_secretary_runs_the_supermarket_too(community, volunteer):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    service.pickup(make_secretary(community), redemption.id, now=utcnow())
    assert redemption.status is RedemptionStatus.PICKED_UP


def test_staff_of_another_community_do_not_find_it(community, volunteer):
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=utcnow())
    with pytest.raises(NotFound):
        service.pickup(make_supermarket_staff(make_community()), redemption.id, now=utcnow())


def test_an_overdue_reservation_is_not_handed_over(community, volunteer, staff):
    now = utcnow()
    redemption = service.reserve(volunteer, make_reward_item(community).id, now=now)
    with pytest.raises(errors.RedemptionOverdue):
        service.pickup(staff, redemption.id, now=now + timedelta(days=15))
    assert redemption.status is RedemptionStatus.RESERVED


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda item: setattr(item, "stock", 0), errors.OutOfStock),
        (lambda item: setattr(item, "status", ItemStatus.OFF_SHELF), errors.NotOnShelf),
        (lambda item: setattr(item, "cost", 201), errors.InsufficientPoints),
    ],
    ids=["out_of_stock", "off_shelf", "insufficient_points"],
)
def test_a_refused_reservation_changes_nothing(community, volunteer, setup, error):
    item = make_reward_item(community, stock=3)
    setup(item)
    db.session.flush()
    stock_before = item.stock
    # The savepoint rolls back on the error, as the unit of work does.
    with pytest.raises(error) as refused, db.session.begin_nested():
        service.reserve(volunteer, item.id, now=utcnow())
    assert refused.value.status == 409 and refused.value.message
    db.session.refresh(item)
    assert item.stock == stock_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 0
    assert (wallet(volunteer, community).available, wallet(volunteer, community).held) == (200, 0)


def test_insufficient_points_says_how_many_she_has(community, volunteer):
    item = make_reward_item(community, cost=250)
    with pytest.raises(errors.InsufficientPoints) as refused:
        service.reserve(volunteer, item.id, now=utcnow())
    assert "250" in refused.value.message and "200" in refused.value.message
    assert refused.value.code == "insufficient_points"


def test_the_monthly_limit_counts_reserved_and_picked_up_not_cancelled(community, volunteer, staff):
    item = make_reward_item(community, cost=10, monthly_limit=2)
    now = utcnow()
    first = service.reserve(volunteer, item.id, now=now)
    service.pickup(staff, first.id, now=now)
    second = service.reserve(volunteer, item.id, now=now)
    with pytest.raises(errors.LimitReached) as refused:
        service.reserve(volunteer, item.id, now=now)
    assert "2" in refused.value.message and refused.value.code == "limit_reached"
    service.cancel(volunteer, second.id, now=now)
    service.reserve(volunteer, item.id, now=now)  # the cancelled one gave its place back


def test_the_monthly_limit_starts_again_on_the_first(community, volunteer):
    item = make_reward_item(community, cost=10, monthly_limit=1)
    now = utcnow()
    service.reserve(volunteer, item.id, now=now)
    service.reserve(volunteer, item.id, now=now + timedelta(days=32))


def test_the_limit_is_per_person(community, volunteer):
    item = make_reward_item(community, cost=10, monthly_limit=1)
    other = make_volunteer(community)
    give_points(other, community, 10)
    service.reserve(volunteer, item.id, now=utcnow())
    service.reserve(other, item.id, now=utcnow())


def test_only_the_communitys_volunteers_redeem(community):
    item = make_reward_item(community)
    with pytest.raises(Forbidden):
        service.reserve(make_secretary(community), item.id, now=utcnow())
    with pytest.raises(NotFound):
        service.reserve(make_volunteer(make_community()), item.id, now=utcnow())


def test_a_new_price_does_not_rewrite_a_reservation(community, volunteer, staff):
    item = make_reward_item(community, cost=50, supplier_unit_id=make_unit(community).id)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    stocking.update_item(staff, item.id, cost=90, name="新名字", supplier_unit_id=None)
    service.cancel(volunteer, redemption.id, now=utcnow())
    assert redemption.cost == 50 and redemption.item_name != "新名字"
    assert redemption.supplier_unit_id is not None
    assert wallet(volunteer, community).available == 200


def test_a_reservation_pays_the_price_of_the_moment(community, volunteer, staff):
    item = make_reward_item(community, cost=50)
    stocking.update_item(staff, item.id, cost=70)
    assert service.reserve(volunteer, item.id, now=utcnow()).cost == 70


def test_expiry_returns_the_points_and_the_item_once(community, volunteer):
    item = make_reward_item(community, cost=80, stock=1)
    now = utcnow()
    redemption = service.reserve(volunteer, item.id, now=now)
    assert service.expire_redemptions(now=now + timedelta(days=13)) == 0
    later = now + timedelta(days=14)
    assert service.expire_redemptions(now=later) == 1
    assert service.expire_redemptions(now=later) == 0
    assert redemption.status is RedemptionStatus.EXPIRED and redemption.closed_at == later
    assert (wallet(volunteer, community).available, wallet(volunteer, community).held) == (200, 0)
    db.session.refresh(item)
    assert item.stock == 1
    assert postings_of(redemption) == [PostingKind.RESERVE, PostingKind.EXPIRE]
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == volunteer.id))
    assert "过期" in notice.title
    assert ledger.check().ok


def test_expiry_goes_through_every_overdue_reservation_in_batches(community, monkeypatch):
    monkeypatch.setattr(service, "EXPIRE_BATCH", 2)
    item = make_reward_item(community, cost=10, stock=10)
    now = utcnow()
    for _ in range(5):
        volunteer = make_volunteer(community)
        give_points(volunteer, community, 10)
        service.reserve(volunteer, item.id, now=now)
    assert service.expire_redemptions(now=now + timedelta(days=20), limit=3) == 3
    assert service.expire_redemptions(now=now + timedelta(days=20)) == 2
    db.session.refresh(item)
    assert item.stock == 10


def test_a_picked_up_or_cancelled_reservation_never_expires(community, volunteer, staff):
    now = utcnow()
    item = make_reward_item(community, cost=10)
    service.pickup(staff, service.reserve(volunteer, item.id, now=now).id, now=now)
    service.cancel(volunteer, service.reserve(volunteer, item.id, now=now).id, now=now)
    assert service.expire_redemptions(now=now + timedelta(days=30)) == 0
    assert wallet(volunteer, community).available == 190


def test_the_shelf_tells_her_why_she_cannot_reserve(community, volunteer):
    item = make_reward_item(community, cost=300)
    refused = service.refusal(item, available=200, used=0)
    assert refused.code == "insufficient_points"
    item.cost, item.monthly_limit = 10, 1
    assert service.refusal(item, available=200, used=1).code == "limit_reached"
    item.stock = 0
    assert service.refusal(item, available=200, used=0).code == "out_of_stock"
    item.status = ItemStatus.OFF_SHELF
    assert service.refusal(item, available=200, used=0).code == "not_on_shelf"
    item.status, item.stock = ItemStatus.ON_SHELF, 5
    assert service.refusal(item, available=200, used=0) is None
