"""points_monthly is kept by the database with every entry: after one posting, a reversal, an
adjustment, a bulk posting, the pool's bulk credits and a pickup it equals the live sums of the
entries, and the dashboard's charts read it."""

import pytest
import sqlalchemy as sa

from coop import stats_monthly
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import bulk, service
from coop.ledger.models import AccountType, PostingKind
from coop.ledger.summary import MonthlyPoints, live_points, rebuild
from coop.rewards import service as rewards
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    give_points,
    make_community,
    make_reward_item,
    make_supermarket_staff,
    make_volunteer,
)
from tests.ledger.test_bulk import bonus, credits


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def pool(community):
    return service.account_for(AccountType.POOL, community.id)


def kept() -> dict:
    rows = db.session.execute(
        sa.select(
            MonthlyPoints.community_id,
            MonthlyPoints.month,
            MonthlyPoints.issued,
            MonthlyPoints.spent,
        )
    )
    return {(c, m): (int(i), int(s)) for c, m, i, s in rows if i or s}


def live() -> dict:
    return {(c, m): (int(i), int(s)) for c, m, i, s in db.session.execute(live_points()) if i or s}


def this_month():
    return utcnow().astimezone(COMMUNITY_TZ).date().replace(day=1)


def post(key, kind, lines):
    return service.post(key=key, kind=kind, source_type="test", source_id=1, lines=lines)


def test_the_summary_equals_the_live_sums_after_every_way_of_posting(community, pool):
    her = make_volunteer(community)
    wallet = service.account_for(AccountType.VOLUNTEER, community.id, her.id)
    assert kept() == live() == {}

    post("t:hours", PostingKind.HOURS, [(pool, -30), (wallet, 30)])
    assert kept() == live() == {(community.id, this_month()): (30, 0)}

    post("t:reversal", PostingKind.REVERSAL, [(wallet, -10), (pool, 10)])
    assert kept() == live() == {(community.id, this_month()): (20, 0)}

    give_points(her, community, 7)  # an adjustment: in her balance, not issued
    assert kept() == live() == {(community.id, this_month()): (20, 0)}

    bulk.post_many([bonus("t:bonus:1", pool, wallet, 5), bonus("t:bonus:2", pool, wallet, 3)])
    assert kept() == live() == {(community.id, this_month()): (28, 0)}

    if db.session.get_bind().dialect.name == "postgresql":  # its INSERT … SELECT is PG's
        bulk.credit_from_pool(
            community.id,
            sa.select(credits(("t:credit", 1, "月月红", her.id, 4))),
            kind=PostingKind.BADGE,
            source_type="badge_award",
        )
        assert kept() == live() == {(community.id, this_month()): (32, 0)}

    item = make_reward_item(community, cost=12)
    reserved = rewards.reserve(her, item.id, now=utcnow())
    assert kept() == live()  # holding points is not spending them
    rewards.pickup(make_supermarket_staff(community), reserved.id, now=utcnow())
    issued = kept()[(community.id, this_month())][0]
    assert kept() == live() == {(community.id, this_month()): (issued, 12)}

    before = kept()
    rebuild()
    assert kept() == before


def test_another_communitys_postings_stay_in_its_own_row(community, pool):
    other = make_community()
    theirs = service.account_for(AccountType.POOL, other.id)
    her = make_volunteer(community)
    him = make_volunteer(other)
    post("t:mine", PostingKind.HOURS, [(pool, -5), (service.account_for(
        AccountType.VOLUNTEER, community.id, her.id), 5)])  # fmt: skip
    post("t:theirs", PostingKind.HOURS, [(theirs, -9), (service.account_for(
        AccountType.VOLUNTEER, other.id, him.id), 9)])  # fmt: skip
    assert (
        kept()
        == live()
        == {
            (community.id, this_month()): (5, 0),
            (other.id, this_month()): (9, 0),
        }
    )


def test_the_charts_read_the_summary_with_the_live_figures(community, pool):
    her = make_volunteer(community)
    wallet = service.account_for(AccountType.VOLUNTEER, community.id, her.id)
    post("t:hours", PostingKind.HOURS, [(pool, -30), (wallet, 30)])
    period = stats_monthly.month(this_month())
    assert stats_monthly.points_issued([community.id], [period]) == {(community.id, 0): 30}
    assert stats_monthly.points_spent([community.id], [period]) == {}
    assert stats_monthly.comparison([community], period, utcnow())[0]["points_issued"] == 30
