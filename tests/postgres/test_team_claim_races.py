"""Team claims racing for a routine project's one slot: leaders and staff claiming for their teams
at once never oversell, and one team's racing duplicate claims leave one live claim."""

import pytest
import sqlalchemy as sa

from coop.claims import errors, service
from coop.claims.models import LIVE, Claim, ClaimantType
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.people.models import Team, TeamMember
from coop.projects.models import ProjectMode, ProjectStatus
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app
from tests.postgres.test_claim_races import counts, kinds, race

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

TEAMS = 20


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("teamclaims", tmp_path_factory.mktemp("teamclaims")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2 * TEAMS + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def claim_for_team(user_id: int, project_id: int, team_id: int):
    def job():
        actor = db.session.get(factories.User, user_id)
        with unit_of_work(actor):
            claim = service.claim_project(
                actor, project_id, claimant=ClaimantType.TEAM, team_id=team_id, now=utcnow()
            )
            status = claim.status.value
        return status

    return job


def teams_with_leaders(community, n: int) -> list[tuple[int, int]]:
    """n teams of ``community``, each led by a volunteer: (leader id, team id)."""
    pairs = []
    for index in range(n):
        leader = factories.make_volunteer(community)
        team = Team(community_id=community.id, name=f"服务队{index}")
        team.members.append(TeamMember(user=leader, is_leader=True))
        db.session.add(team)
        db.session.flush()
        pairs.append((leader.id, team.id))
    return pairs


def test_leaders_and_staff_racing_for_the_last_slot_never_oversell(race_app):
    with race_app.app_context():
        community = factories.make_community()
        pairs = teams_with_leaders(community, TEAMS)
        staff_id = factories.make_secretary(community).id
        project_id = factories.make_project(
            community, mode=ProjectMode.ROUTINE, slots=1, auto_approve=True
        ).id
        db.session.commit()

    jobs = [claim_for_team(leader, project_id, team) for leader, team in pairs]
    # the staff claim for the same teams at the same moment, each a duplicate of a leader's
    jobs += [claim_for_team(staff_id, project_id, team) for _, team in pairs]
    outcomes = kinds(race(race_app, jobs))

    assert outcomes.count("approved") == 1
    refused = [o for o in outcomes if o != "approved"]
    assert set(refused) <= {errors.ProjectFull.code, errors.AlreadyClaimed.code}
    with race_app.app_context():
        assert counts(project_id) == (1, 1, ProjectStatus.CLAIMED)


def test_one_team_claimed_twice_at_once_has_one_live_claim(race_app):
    with race_app.app_context():
        community = factories.make_community()
        ((leader_id, team_id),) = teams_with_leaders(community, 1)
        staff_id = factories.make_secretary(community).id
        project_id = factories.make_project(community, mode=ProjectMode.ROUTINE, slots=1).id
        db.session.commit()

    jobs = [claim_for_team(user, project_id, team_id) for user in (leader_id, staff_id)] * 5
    outcomes = kinds(race(race_app, jobs))

    assert outcomes.count("pending") == 1
    assert set(outcomes) - {"pending"} <= {errors.AlreadyClaimed.code}
    with race_app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count()).where(Claim.project_id == project_id, Claim.status.in_(LIVE))
        )
        assert live == 1
