"""The daily chase: deadlines that passed in the day get one notice each, to the right people."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.claims.chasing import chase_deadlines
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.notices.models import Notice
from coop.projects.models import ProjectStatus
from tests.factories import (
    make_community,
    make_liaison,
    make_project,
    make_secretary,
    make_unit,
)

DAY = timedelta(days=1)


@pytest.fixture
def community(ctx):
    return make_community()


def claim(project, unit, status=ClaimStatus.APPROVED):
    row = Claim(
        project_id=project.id,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=status,
    )
    db.session.add(row)
    if status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.flush()
    return row


def notices_of(user) -> list[str]:
    return db.session.scalars(
        sa.select(Notice.title).where(Notice.user_id == user.id).order_by(Notice.id)
    ).all()


def test_a_project_whose_deadline_passed_with_free_slots_is_chased_once(community):
    secretary = make_secretary(community)
    now = utcnow()
    project = make_project(community, claim_deadline=now - timedelta(hours=3), slots=2)
    claim(project, make_unit(community))
    counts = chase_deadlines(since=now - DAY, until=now)
    assert counts["unclaimed_projects"] == 1
    assert notices_of(secretary) == [f"项目“{project.title}”已过认领截止时间"]
    chase_deadlines(since=now, until=now + DAY)  # the next day: nothing new
    assert len(notices_of(secretary)) == 1


def test_a_full_project_is_not_chased_but_its_pending_claims_are(community):
    secretary = make_secretary(community)
    now = utcnow()
    project = make_project(community, claim_deadline=now - timedelta(hours=1), slots=1)
    claim(project, make_unit(community))
    claim(project, make_unit(community), status=ClaimStatus.PENDING)
    counts = chase_deadlines(since=now - DAY, until=now)
    assert counts["unclaimed_projects"] == 0 and counts["unreviewed_claims"] == 1
    assert notices_of(secretary) == [f"项目“{project.title}”有认领待审核"]


def test_a_late_start_is_told_to_the_units_liaison_and_the_secretary(community):
    secretary = make_secretary(community)
    unit = make_unit(community)
    liaison = make_liaison(unit)
    now = utcnow()
    project = make_project(
        community,
        claim_deadline=now - timedelta(days=5),
        starts_at=now - timedelta(hours=2),
        status=ProjectStatus.CLAIMED,
        slots=1,
    )
    claim(project, unit)
    counts = chase_deadlines(since=now - DAY, until=now)
    assert counts["late_starts"] == 1
    assert (
        notices_of(liaison)
        == notices_of(secretary)
        == [f"项目“{project.title}”已到开始时间，尚未开始"]
    )


def test_a_started_or_cancelled_project_is_left_alone(community):
    secretary = make_secretary(community)
    now = utcnow()
    for status in (ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED):
        make_project(
            community,
            status=status,
            claim_deadline=now - timedelta(hours=5),
            starts_at=now - timedelta(hours=2),
        )
    assert chase_deadlines(since=now - DAY, until=now)["notices"] == 0
    assert notices_of(secretary) == []
