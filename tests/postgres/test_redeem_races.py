"""积分超市 under concurrency on PostgreSQL: the stock, the monthly limit and the balance hold
when reservations race; a redemption leaves ``reserved`` once, so its points come back once;
expiry runs side by side without doing anything twice."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import Account, AccountType, Posting
from coop.rewards import queries, service
from coop.rewards.models import Redemption, RedemptionStatus, RewardItem
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app
from tests.postgres.test_claim_races import kinds, race

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

REDEEMERS = 200
CONNECTIONS = 60  # the racers queue for these; the server allows 200 across every test worker


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("redeem", tmp_path_factory.mktemp("redeem")),
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_size": CONNECTIONS,
            "max_overflow": 0,
            "pool_timeout": 120,
        },
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def volunteers_with_points(community, n: int, points: int) -> list[int]:
    ids = []
    for _ in range(n):
        volunteer = factories.make_volunteer(community)
        factories.give_points(volunteer, community, points)
        ids.append(volunteer.id)
    return ids


def reserve_as(volunteer_id: int, item_id: int, now=None):
    def job():
        actor = db.session.get(factories.User, volunteer_id)
        with unit_of_work(actor):
            redemption = service.reserve(actor, item_id, now=now or utcnow())
            outcome = redemption.status.value
        return outcome

    return job


def as_actor(user_id: int, action, redemption_id: int, **kwargs):
    def job():
        actor = db.session.get(factories.User, user_id)
        with unit_of_work(actor):
            redemption = action(actor, redemption_id, now=utcnow(), **kwargs)
            outcome = redemption.status.value
        return outcome

    return job


def user_accounts_not_negative() -> bool:
    return not db.session.scalar(
        sa.select(sa.func.count()).where(Account.type != AccountType.POOL, Account.balance < 0)
    )


def test_two_hundred_racing_redemptions_of_ten_in_stock_reserve_exactly_ten(race_app):
    with race_app.app_context():
        community = factories.make_community()
        item = factories.make_reward_item(community, cost=40, stock=10)
        volunteers = volunteers_with_points(community, REDEEMERS, 100)
        item_id, community_id = item.id, community.id
        db.session.commit()

    outcomes = kinds(race(race_app, [reserve_as(v, item_id) for v in volunteers]))

    assert outcomes.count("reserved") == 10
    assert outcomes.count("out_of_stock") == REDEEMERS - 10
    with race_app.app_context():
        assert db.session.get(RewardItem, item_id).stock == 0
        reserved = db.session.scalars(
            sa.select(Redemption).where(Redemption.item_id == item_id)
        ).all()
        assert len(reserved) == 10 and len({r.volunteer_id for r in reserved}) == 10
        for redemption in reserved:
            wallet = queries.wallet(redemption.volunteer_id, community_id)
            assert (wallet.available, wallet.held) == (60, 40)
        assert user_accounts_not_negative()
        assert ledger.check().ok


def test_one_volunteer_racing_for_an_item_gets_her_monthly_limit_and_no_more(race_app):
    with race_app.app_context():
        community = factories.make_community()
        item = factories.make_reward_item(community, cost=10, stock=50, monthly_limit=2)
        (volunteer,) = volunteers_with_points(community, 1, 500)
        item_id, community_id = item.id, community.id
        db.session.commit()

    outcomes = kinds(race(race_app, [reserve_as(volunteer, item_id)] * 12))

    assert outcomes.count("reserved") == 2
    assert outcomes.count("limit_reached") == 10
    with race_app.app_context():
        assert db.session.get(RewardItem, item_id).stock == 48
        assert queries.wallet(volunteer, community_id).held == 20


def test_racing_reservations_of_different_items_never_overdraw_her(race_app):
    with race_app.app_context():
        community = factories.make_community()
        items = [factories.make_reward_item(community, cost=30).id for _ in range(10)]
        (volunteer,) = volunteers_with_points(community, 1, 100)
        community_id = community.id
        db.session.commit()

    outcomes = kinds(race(race_app, [reserve_as(volunteer, item) for item in items]))

    assert outcomes.count("reserved") == 3
    assert outcomes.count("insufficient_points") == 7
    with race_app.app_context():
        wallet = queries.wallet(volunteer, community_id)
        assert (wallet.available, wallet.held) == (10, 90)
        assert sum(db.session.get(RewardItem, i).stock for i in items) == 100 - 3
        assert ledger.check().ok


def reserved_one(points: int = 100, cost: int = 40):
    """A community, its staff, a volunteer and her committed reservation: their ids."""
    community = factories.make_community()
    staff = factories.make_supermarket_staff(community)
    item = factories.make_reward_item(community, cost=cost, stock=1)
    (volunteer,) = volunteers_with_points(community, 1, points)
    redemption = service.reserve(db.session.get(factories.User, volunteer), item.id, now=utcnow())
    ids = community.id, staff.id, volunteer, item.id, redemption.id
    db.session.commit()
    return ids


def redemption_postings(redemption_id: int) -> list[str]:
    return db.session.scalars(
        sa.select(Posting.kind).where(
            Posting.source_type == "redemption", Posting.source_id == redemption_id
        )
    ).all()


def test_cancelling_the_same_redemption_twice_at_once_refunds_once(race_app):
    with race_app.app_context():
        community_id, _staff, volunteer, item_id, redemption_id = reserved_one()

    outcomes = kinds(race(race_app, [as_actor(volunteer, service.cancel, redemption_id)] * 2))

    assert sorted(outcomes) == ["cancelled", "illegal_transition"]
    with race_app.app_context():
        wallet = queries.wallet(volunteer, community_id)
        assert (wallet.available, wallet.held) == (100, 0)
        assert sorted(redemption_postings(redemption_id)) == ["cancel", "reserve"]
        assert db.session.get(RewardItem, item_id).stock == 1
        assert ledger.check().ok


def test_pickup_racing_cancel_lets_exactly_one_through(race_app):
    with race_app.app_context():
        community_id, staff, volunteer, _item, redemption_id = reserved_one()

    outcomes = kinds(
        race(
            race_app,
            [
                as_actor(staff, service.pickup, redemption_id),
                as_actor(volunteer, service.cancel, redemption_id),
            ],
        )
    )

    assert outcomes.count("illegal_transition") == 1
    with race_app.app_context():
        redemption = db.session.get(Redemption, redemption_id)
        wallet = queries.wallet(volunteer, community_id)
        assert redemption.status.value in outcomes
        if redemption.status is RedemptionStatus.PICKED_UP:
            assert (wallet.available, wallet.held) == (60, 0)
        else:
            assert (wallet.available, wallet.held) == (100, 0)
        assert len(redemption_postings(redemption_id)) == 2
        assert ledger.check().ok


def test_expiry_run_four_times_at_once_expires_each_reservation_once(race_app, monkeypatch):
    monkeypatch.setattr(service, "EXPIRE_BATCH", 4)  # small batches: the runs interleave
    with race_app.app_context():
        community = factories.make_community()
        items = [factories.make_reward_item(community, cost=10, stock=20) for _ in range(3)]
        volunteers = volunteers_with_points(community, 30, 10)
        past = utcnow() - timedelta(days=30)
        for n, volunteer in enumerate(volunteers):
            actor = db.session.get(factories.User, volunteer)
            service.reserve(actor, items[n % 3].id, now=past)
        item_ids, community_id = [item.id for item in items], community.id
        db.session.commit()

    def expire():
        with unit_of_work():
            count = service.expire_redemptions(now=utcnow())
        return count

    outcomes = race(race_app, [expire] * 4)

    assert sum(outcomes) == 30
    with race_app.app_context():
        assert [db.session.get(RewardItem, i).stock for i in item_ids] == [20, 20, 20]
        for volunteer in volunteers:
            wallet = queries.wallet(volunteer, community_id)
            assert (wallet.available, wallet.held) == (10, 0)
        ours = sa.select(Redemption.id).where(Redemption.item_id.in_(item_ids))
        expired = sa.select(sa.func.count()).where(
            Posting.kind == "expire",
            Posting.source_type == "redemption",
            Posting.source_id.in_(ours),
        )
        assert db.session.scalar(expired) == 30
        assert ledger.check().ok
