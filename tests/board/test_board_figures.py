"""The 公示栏's month figures and honours, counted by hand on a small fixture."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from coop.activities.models import ActivityStatus
from coop.alliance.models import Honour, HonourKind, HonourStatus
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.needs.models import NeedStatus
from coop.public import queries
from tests.factories import (
    make_activity,
    make_community,
    make_need,
    make_project,
    make_secretary,
    make_unit,
    make_volunteer,
)

# 12:00 on 15 December in Beijing.
NOW = datetime(2026, 12, 15, 4, 0, tzinfo=UTC)


def at(month, day, hour=12):
    """``hour`` o'clock Beijing time on that day of 2026, in UTC."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


def claim(project, unit, status=ClaimStatus.APPROVED):
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=ClaimantType.UNIT,
            unit_id=unit.id,
            claimant_key=f"unit:{unit.id}",
            status=status,
            decided_at=at(11, 1),
        )
    )


def record(community, volunteer, verifier, day, hours, status=RecordStatus.VERIFIED, **kw):
    row = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        service_date=day,
        hours=Decimal(hours),
        origin=kw.pop("origin", RecordOrigin.CHECKIN),
        status=status,
        verified_by_id=verifier.id if status is RecordStatus.VERIFIED else None,
        **kw,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_the_months_figures_match_a_hand_count(ctx):
    community = make_community()
    other = make_community(street=community.street)
    project, quiet = make_project(community), make_project(community)
    make_activity(community, project_id=project.id, starts_at=at(12, 10))  # held
    make_activity(community, starts_at=at(12, 1, 8))  # held, no project
    make_activity(community, starts_at=at(11, 30, 20))  # ends 30 Nov 22:00: last month
    make_activity(community, starts_at=at(12, 5), status=ActivityStatus.CANCELLED)
    make_activity(community, project_id=quiet.id, starts_at=at(12, 20))  # not held yet
    make_activity(other, starts_at=at(12, 10))
    a, b, c, d = (make_unit(community) for _ in range(4))
    claim(project, a)
    claim(project, d, ClaimStatus.FULFILLED)
    claim(project, b, ClaimStatus.PENDING)
    claim(quiet, c)
    claim(quiet, a)

    volunteer, verifier = make_volunteer(community), make_secretary(community)
    original = record(community, volunteer, verifier, date(2026, 12, 3), "2.5")
    record(community, volunteer, verifier, date(2026, 11, 30), "4")
    record(community, volunteer, verifier, date(2026, 12, 4), "3", status=RecordStatus.PENDING)
    record(
        community,
        volunteer,
        verifier,
        date(2026, 12, 5),
        "-1",
        origin=RecordOrigin.REVERSAL,
        reverses_id=original.id,
    )
    record(other, volunteer, verifier, date(2026, 12, 3), "6")

    make_need(community, status=NeedStatus.RESOLVED, resolved_at=at(12, 2))
    make_need(community, status=NeedStatus.RESOLVED, resolved_at=at(12, 3), public=False)
    make_need(community, status=NeedStatus.CLOSED, resolved_at=at(12, 1, 9))
    make_need(community, status=NeedStatus.RESOLVED, resolved_at=at(11, 30, 23))
    make_need(other, status=NeedStatus.RESOLVED, resolved_at=at(12, 2))

    figures = queries.month_figures(community.id, NOW)
    assert figures == queries.MonthFigures(
        month="2026-12",
        activities=2,
        verified_hours=Decimal("1.5"),
        people_served=3,
        units_taking_part=2,  # a and d on the project held; b pending; c's project not held
    )


@pytest.fixture
def badge():
    found = Badge(code="board-test-star", name="月度共建之星", holder_type=HolderType.UNIT)
    db.session.add(found)
    db.session.flush()
    return found


def test_honours_are_the_latest_months_unit_badges_and_the_latest_years_approved_honours(
    ctx, badge
):
    community = make_community()
    star, earlier, revoked, pending, last_year = (
        make_unit(community, name=name)
        for name in ("星单位", "旧单位", "撤销单位", "未批单位", "去年单位")
    )
    volunteer = make_volunteer(community)

    def award(unit_id, period, holder=HolderType.UNIT, **kw):
        db.session.add(
            BadgeAward(
                badge_id=badge.id,
                holder_type=holder,
                holder_id=unit_id,
                community_id=community.id,
                period=period,
                **kw,
            )
        )

    award(star.id, "2026-11")
    award(earlier.id, "2026-10")
    award(revoked.id, "2026-11", revoked_at=NOW - timedelta(days=1), revoke_reason="核减")
    award(volunteer.id, "2026-11", holder=HolderType.VOLUNTEER)

    def honour(unit, year, status):
        return Honour(
            kind=HonourKind.PIONEER,
            unit=unit,
            community_id=community.id,
            year=year,
            status=status,
            record={},
        )

    db.session.add_all(
        [
            honour(star, 2026, HonourStatus.APPROVED),
            honour(pending, 2026, HonourStatus.NOMINATED),
            honour(revoked, 2026, HonourStatus.REVOKED),
            honour(last_year, 2025, HonourStatus.APPROVED),
        ]
    )
    db.session.flush()
    assert queries.honours(community.id, NOW) == [
        queries.BoardHonour("星单位", "同心共建先锋", "2026"),
        queries.BoardHonour("星单位", "月度共建之星", "2026-11"),
    ]
    # On 1 January the board still shows the latest year awarded, not an empty one.
    assert queries.honours(community.id, datetime(2027, 1, 1, 4, 0, tzinfo=UTC))[0] == (
        queries.BoardHonour("星单位", "同心共建先锋", "2026")
    )
