"""The dashboards' monthly series against a hand count, on month boundaries in Asia/Shanghai."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from coop import stats_monthly
from coop.activities.models import ActivityStatus
from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
from coop.needs.models import NeedStatus
from tests.factories import (
    make_activity,
    make_community,
    make_need,
    make_project,
    make_unit,
    make_volunteer,
)

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 13:00 on 7 December in Shanghai
# 00:30 on 1 November in Shanghai is still 31 October in UTC; 23:59 on 31 October is October.
FIRST_OF_NOVEMBER = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)
LAST_OF_OCTOBER = datetime(2026, 10, 31, 15, 59, tzinfo=UTC)


def _index(periods, key):
    return [p.key for p in periods].index(key)


def test_last_months_are_the_twelve_months_up_to_now_in_shanghai():
    periods = stats_monthly.last_months(NOW)
    assert (periods[0].key, periods[-1].key, len(periods)) == ("2026-01", "2026-12", 12)
    # 23:30 UTC on 31 December is already January in Shanghai.
    late = stats_monthly.last_months(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert late[-1].key == "2027-01" and len(late) == 12


def test_needs_count_in_the_shanghai_month_they_came_in_and_were_solved(ctx):
    community = make_community()
    other = make_community()
    make_need(community, created_at=FIRST_OF_NOVEMBER, category=Category.CARE)
    make_need(community, created_at=FIRST_OF_NOVEMBER, category=Category.CARE)
    make_need(community, created_at=FIRST_OF_NOVEMBER, category=Category.CONVENIENCE)
    make_need(
        community,
        created_at=LAST_OF_OCTOBER,
        category=Category.CARE,
        status=NeedStatus.RESOLVED,
        resolved_at=FIRST_OF_NOVEMBER,
    )
    make_need(other, created_at=FIRST_OF_NOVEMBER)  # another community's
    periods = stats_monthly.last_months(NOW)
    oct_, nov = _index(periods, "2026-10"), _index(periods, "2026-11")

    came_in = stats_monthly.needs_in([community.id], periods)
    solved = stats_monthly.needs_solved([community.id], periods)

    assert came_in == {
        (community.id, nov, Category.CARE): 2,
        (community.id, nov, Category.CONVENIENCE): 1,
        (community.id, oct_, Category.CARE): 1,
    }
    assert solved == {(community.id, nov, Category.CARE): 1}


def test_activities_hours_and_units_by_month(ctx):
    community = make_community()
    unit = make_unit(community)
    project = make_project(community)
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=ClaimantType.UNIT,
            unit_id=unit.id,
            claimant_key=f"unit:{unit.id}",
            status=ClaimStatus.APPROVED,
        )
    )
    # Ends at 00:30 on 1 November in Shanghai: November's.
    make_activity(
        community, project_id=project.id, starts_at=FIRST_OF_NOVEMBER - timedelta(hours=2)
    )
    make_activity(community, project_id=project.id, starts_at=datetime(2026, 11, 3, tzinfo=UTC))
    make_activity(
        community,
        starts_at=datetime(2026, 11, 4, tzinfo=UTC),
        status=ActivityStatus.CANCELLED,
    )
    make_activity(community, starts_at=NOW + timedelta(hours=1))  # not held yet
    volunteer = make_volunteer(community)
    for day, hours, status in (
        (date(2026, 11, 1), "2.5", RecordStatus.VERIFIED),
        (date(2026, 11, 30), "1.5", RecordStatus.VERIFIED),
        (date(2026, 11, 30), "3", RecordStatus.PENDING),
        (date(2026, 10, 31), "2", RecordStatus.VERIFIED),
    ):
        db.session.add(
            ServiceRecord(
                community_id=community.id,
                volunteer_id=volunteer.id,
                service_date=day,
                hours=Decimal(hours),
                origin=RecordOrigin.ENTERED,
                status=status,
            )
        )
    db.session.flush()
    periods = stats_monthly.last_months(NOW)
    oct_, nov = _index(periods, "2026-10"), _index(periods, "2026-11")

    found = stats_monthly.figures([community.id], periods, NOW)

    assert found["activities_held"] == {(community.id, nov): 2}
    assert found["verified_hours"] == {
        (community.id, nov): Decimal("4.0"),
        (community.id, oct_): Decimal("2.0"),
    }
    assert found["units_taking_part"] == {(community.id, nov): 1}


def test_points_issued_and_spent_by_the_month_they_were_posted(ctx, monkeypatch):
    community = make_community()
    volunteer = make_volunteer(community)
    pool = ledger.account_for(AccountType.POOL, community.id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    hold = ledger.account_for(AccountType.HOLD, community.id, volunteer.id)
    shop = ledger.account_for(AccountType.SUPERMARKET, community.id)
    steps = (
        ("h1", PostingKind.HOURS, [(pool, -100), (mine, 100)], LAST_OF_OCTOBER),
        ("h2", PostingKind.HOURS, [(pool, -40), (mine, 40)], FIRST_OF_NOVEMBER),
        ("r1", PostingKind.RESERVE, [(mine, -30), (hold, 30)], FIRST_OF_NOVEMBER),
        ("p1", PostingKind.PICKUP, [(hold, -30), (shop, 30)], FIRST_OF_NOVEMBER),
    )
    for key, kind, lines, when in steps:
        # The ledger is append-only: post each at its time rather than back-date it.
        monkeypatch.setattr(ledger, "utcnow", lambda when=when: when)
        ledger.post(key=key, kind=kind, source_type="test", source_id=1, lines=lines)
    periods = stats_monthly.last_months(NOW)
    oct_, nov = _index(periods, "2026-10"), _index(periods, "2026-11")

    assert stats_monthly.points_issued([community.id], periods) == {
        (community.id, oct_): 100,
        (community.id, nov): 40,
    }
    assert stats_monthly.points_spent([community.id], periods) == {(community.id, nov): 30}


def test_every_series_takes_one_query_whatever_the_months_and_communities(ctx, count_queries):
    communities = [make_community().id for _ in range(3)]
    periods = stats_monthly.last_months(NOW)
    with count_queries() as counted:
        stats_monthly.figures(communities, periods, NOW)
    assert counted.n == 7
