"""A volunteer team claims a routine project: its leader (or the community's staff) claims for
it, with the slots, the one-live-claim rule and the approve/reject/release/fulfil flow of any
claim, and the leader hears the decisions."""

import pytest
import sqlalchemy as sa

from coop.claims import errors, queries, service
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.notices.models import Notice
from coop.projects.models import ProjectMode, ProjectStatus
from tests.factories import (
    make_community,
    make_liaison,
    make_project,
    make_secretary,
    make_unit,
    make_volunteer,
)
from tests.honours.conftest import make_team

NOW = utcnow()
TEAM = ClaimantType.TEAM


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def leader(community):
    return make_volunteer(community)


@pytest.fixture
def member(community):
    return make_volunteer(community)


@pytest.fixture
def team(community, leader, member):
    return make_team(community, [leader, member])


def routine(community, **overrides):
    """A routine project: one slot, as the database insists."""
    return make_project(community, mode=ProjectMode.ROUTINE, slots=1, **overrides)


def claim(actor, project, team, **kwargs):
    return service.claim_project(
        actor, project.id, claimant=TEAM, team_id=team.id if team else None, now=NOW, **kwargs
    )


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Claim))


def test_the_leader_claims_a_routine_project_for_her_team(community, leader, team):
    project = routine(community)
    made = claim(leader, project, team, note="周六上午 4 人")
    assert made.status is ClaimStatus.PENDING and made.team_id == team.id
    assert made.claimant_key == f"team:{team.id}" and made.claimant_name == team.name
    assert made.unit_id is None and made.volunteer_id is None


def test_staff_claim_for_a_team_and_auto_approve_takes_a_slot(community, team):
    project = routine(community, auto_approve=True)
    made = claim(make_secretary(community), project, team)
    assert made.status is ClaimStatus.APPROVED and project.approved_count == 1
    assert project.status is ProjectStatus.CLAIMED and project.lead_claim_id is None


def test_a_member_who_does_not_lead_cannot_claim_for_the_team(community, member, team):
    with pytest.raises(Forbidden):
        claim(member, routine(community), team)
    assert _count() == 0


def test_a_leader_who_left_cannot_claim_for_the_team(community, leader, team):
    from coop.honours import teams

    teams.leave(leader, team.id, leader.id, today=NOW.date())
    with pytest.raises(Forbidden):
        claim(leader, routine(community), team)


def test_a_team_of_another_community_is_refused(community):
    elsewhere = make_community()
    outsider = make_volunteer(elsewhere)
    their_team = make_team(elsewhere, [outsider], name="别处服务队")
    staff = make_secretary(community)
    with pytest.raises(Invalid) as refused:
        claim(staff, routine(community), their_team)
    assert "team_id" in refused.value.errors and _count() == 0


def test_a_team_claim_needs_a_team(community):
    with pytest.raises(Invalid):
        claim(make_secretary(community), routine(community), None)


def test_a_team_cannot_claim_a_team_project(community, leader, team):
    with pytest.raises(errors.NotClaimable):
        claim(leader, make_project(community), team)
    assert _count() == 0


def test_a_team_pledges_no_resources(community, leader, team):
    with pytest.raises(Invalid):
        claim(leader, routine(community), team, resource_ids=[1])


def test_one_live_claim_per_team_and_project(community, leader, team):
    project = routine(community)
    claim(leader, project, team)
    with pytest.raises(errors.AlreadyClaimed):
        claim(make_secretary(community), project, team)
    assert _count() == 1


def test_the_team_and_its_leader_claim_apart(community, leader, team):
    project = routine(community)
    claim(leader, project, team)
    service.claim_project(leader, project.id, claimant=ClaimantType.VOLUNTEER, now=NOW)
    assert _count() == 2


def test_a_full_project_refuses_a_team(community, leader, team):
    project = routine(community, auto_approve=True)
    service.claim_project(
        make_volunteer(community), project.id, claimant=ClaimantType.VOLUNTEER, now=NOW
    )
    with pytest.raises(errors.ProjectFull):
        claim(leader, project, team)


def test_the_database_holds_one_live_claim_per_team(community, team):
    project = routine(community)
    for _ in range(2):
        db.session.add(
            Claim(
                project_id=project.id,
                claimant_type=TEAM,
                team_id=team.id,
                claimant_key=f"team:{team.id}",
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


@pytest.mark.parametrize("extra", ["unit", "volunteer", "none"])
def test_the_database_wants_exactly_the_team_column_on_a_team_claim(community, team, extra):
    project = routine(community)
    columns = {"team_id": team.id}
    if extra == "unit":
        columns["unit_id"] = make_unit(community).id
    elif extra == "volunteer":
        columns["volunteer_id"] = make_volunteer(community).id
    else:
        columns = {}
    db.session.add(
        Claim(project_id=project.id, claimant_type=TEAM, claimant_key="team:x", **columns)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_the_flow_approve_fulfil_and_the_leader_hears_it(community, leader, member, team):
    secretary = make_secretary(community)
    project = routine(community)
    made = claim(leader, project, team)
    service.approve_claim(secretary, made.id, now=NOW)
    assert made.status is ClaimStatus.APPROVED and project.approved_count == 1
    service.fulfil_claim(secretary, made.id, now=NOW)
    assert made.status is ClaimStatus.FULFILLED
    told = db.session.scalars(sa.select(Notice.user_id).where(Notice.title.like("认领已通过%")))
    assert list(told) == [leader.id]  # the leader, not every member


def test_reject_and_release_tell_the_leader(community, leader, team):
    secretary = make_secretary(community)
    first = claim(leader, routine(community), team)
    service.reject_claim(secretary, first.id, reason="人数不够", now=NOW)
    second = claim(leader, routine(community), team)
    service.approve_claim(secretary, second.id, now=NOW)
    service.release_claim(secretary, second.id, reason="未开展", now=NOW)
    assert second.status is ClaimStatus.RELEASED and second.project.approved_count == 0
    titles = set(db.session.scalars(sa.select(Notice.title).where(Notice.user_id == leader.id)))
    assert any(t.startswith("认领未通过") for t in titles)
    assert any(t.startswith("认领已释放") for t in titles)


def test_the_leader_withdraws_a_member_may_not(community, leader, member, team):
    made = claim(leader, routine(community), team)
    with pytest.raises(Forbidden):
        service.withdraw_claim(member, made.id, now=NOW)
    service.withdraw_claim(leader, made.id, now=NOW)
    assert made.status is ClaimStatus.WITHDRAWN


def test_the_leaders_claims_list_holds_the_teams(community, leader, member, team):
    made = claim(leader, routine(community), team)
    mine = db.session.scalars(queries.claims_select(leader, mine=True)).all()
    assert [c.id for c in mine] == [made.id]
    assert db.session.scalars(queries.claims_select(member, mine=True)).all() == []
    assert leader.id in queries.live_claimant_user_ids(made.project_id)


def test_a_liaison_cannot_claim_for_a_team(community, team):
    with pytest.raises(Forbidden):
        claim(make_liaison(make_unit(community)), routine(community), team)


def test_a_late_start_of_a_team_claim_is_told_to_its_leader(community, leader, member, team):
    from datetime import timedelta

    from coop.claims.chasing import chase_deadlines

    project = routine(
        community,
        claim_deadline=NOW - timedelta(days=5),
        starts_at=NOW - timedelta(hours=2),
        status=ProjectStatus.CLAIMED,
        approved_count=1,
    )
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=TEAM,
            team_id=team.id,
            claimant_key=f"team:{team.id}",
            status=ClaimStatus.APPROVED,
        )
    )
    db.session.flush()
    assert chase_deadlines(since=NOW - timedelta(days=1), until=NOW)["late_starts"] == 1
    told = set(db.session.scalars(sa.select(Notice.user_id).where(Notice.title.like("%尚未开始"))))
    assert leader.id in told and member.id not in told


def test_the_secretarys_todo_names_the_team(community, leader, team):
    from coop.todo import service as todo

    secretary = make_secretary(community)
    project = routine(community, title="助老理发")
    claim(leader, project, team)
    items = {i.kind: i for i in todo.items_of(todo.todo_for(secretary, NOW))}
    assert items["claims_to_approve"].entries[0].text == f"{team.name} 认领“助老理发”"
