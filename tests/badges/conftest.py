"""Rows for the badge tests: verified hours in a month, fulfilled claims, a month marked
awarded. Set up directly; the rules under test go through the services."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.badges.models import Badge, BadgeAward, HolderType
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.jobruns.models import JobRun, RunStatus
from coop.people.models import VolunteerProfile
from coop.timeutil import COMMUNITY_TZ
from tests.factories import make_activity, make_community, make_project, make_secretary

PERIOD = "2026-10"
NOW = datetime(2026, 11, 1, 1, 0, tzinfo=COMMUNITY_TZ).astimezone(UTC)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def october_activity(community, *, day: int = 10, theme: bool = False, hours: float = 8):
    start = datetime(2026, 10, day, 9, 0, tzinfo=COMMUNITY_TZ)
    return make_activity(
        community,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        theme_month=PERIOD if theme else None,
    )


def add_hours(
    volunteer,
    activity,
    hours,
    *,
    status: RecordStatus = RecordStatus.VERIFIED,
    day: date | None = None,
) -> ServiceRecord:
    """A record as check-out would make it, already verified unless told otherwise."""
    record = ServiceRecord(
        community_id=activity.community_id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        service_date=day or activity.starts_at.astimezone(COMMUNITY_TZ).date(),
        hours=Decimal(str(hours)),
        origin=RecordOrigin.CHECKIN,
        status=status,
        points=int(hours * 10) if status is RecordStatus.VERIFIED else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def work_for(volunteer, unit) -> None:
    db.session.get(VolunteerProfile, volunteer.id).work_unit_id = unit.id
    db.session.flush()


def fulfilled_claim(unit, community, *, at: datetime | None = None) -> Claim:
    claim = Claim(
        project_id=make_project(community).id,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=ClaimStatus.FULFILLED,
        fulfilled_at=at or datetime(2026, 10, 20, 12, tzinfo=COMMUNITY_TZ),
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def mark_awarded(period: str = PERIOD) -> None:
    db.session.add(JobRun(name="monthly_badges", period=period, status=RunStatus.DONE))
    db.session.flush()


def awards(community, *, live_only: bool = False) -> set[tuple[str, str, int]]:
    """(badge code, holder type, holder id) of the community's awards for the month."""
    query = (
        sa.select(Badge.code, BadgeAward.holder_type, BadgeAward.holder_id)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.community_id == community.id, BadgeAward.period == PERIOD)
    )
    if live_only:
        query = query.where(BadgeAward.revoked_at.is_(None))
    return {(code, HolderType(t).value, hid) for code, t, hid in db.session.execute(query)}


def award_of(community, code: str, holder_id: int) -> BadgeAward:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(BadgeAward)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(
            BadgeAward.community_id == community.id,
            BadgeAward.period == PERIOD,
            Badge.code == code,
            BadgeAward.holder_id == holder_id,
        )
    ).one()
