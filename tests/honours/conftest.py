"""A community with two member units, its secretary, the street's admin, and helpers that put
records behind a unit (a fulfilled claim, verified hours of its 在职党员) and a team."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.people.models import Team, TeamMember, VolunteerProfile
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    make_activity,
    make_community,
    make_project,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

NOW = utcnow()
YEAR = NOW.astimezone(COMMUNITY_TZ).year


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def admin(community):
    return make_street_admin(community.street)


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业测试")


@pytest.fixture
def other_unit(community):
    return make_unit(community, name="兴旺小学测试")


def fulfilled_claim(unit, community, *, at=None) -> Claim:
    project = make_project(community)
    claim = Claim(
        project_id=project.id,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=ClaimStatus.FULFILLED,
        fulfilled_at=at or NOW,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def verified_hours(volunteer, community, hours, *, day: date | None = None) -> ServiceRecord:
    activity = make_activity(community, starts_at=NOW - timedelta(minutes=5))
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        service_date=day or NOW.astimezone(COMMUNITY_TZ).date(),
        hours=Decimal(str(hours)),
        origin=RecordOrigin.CHECKIN,
        status=RecordStatus.VERIFIED,
        points=int(hours * 10),
    )
    db.session.add(record)
    db.session.flush()
    return record


def unit_volunteer(unit, community):
    volunteer = make_volunteer(community)
    profile = db.session.get(VolunteerProfile, volunteer.id)
    profile.work_unit_id = unit.id
    db.session.flush()
    return volunteer


def make_team(community, members, *, name="红色夕阳志愿服务队", joined=None) -> Team:
    team = Team(community_id=community.id, name=name)
    for index, user in enumerate(members):
        team.members.append(
            TeamMember(user=user, is_leader=index == 0, joined_on=joined or date(2000, 1, 1))
        )
    db.session.add(team)
    db.session.flush()
    return team
