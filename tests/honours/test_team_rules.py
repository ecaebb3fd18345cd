"""Volunteer teams: staff create them; the leader or staff add volunteers of the community; a
volunteer joins herself; leaving keeps the row, so her hours as a member stay the team's."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.honours import index, teams
from coop.people.models import Team, TeamMember
from tests.factories import bearer, make_community, make_unit, make_volunteer
from tests.honours.conftest import NOW, make_team, verified_hours

TODAY = NOW.date()


def test_staff_create_a_team_of_a_member_unit(secretary, community, unit):
    team = teams.create_team(
        secretary, community.id, name=" 义诊服务队 ", skills="义诊", unit_id=unit.id
    )
    assert team.name == "义诊服务队" and team.unit_id == unit.id


def test_a_second_team_of_the_same_name_is_refused(secretary, community):
    teams.create_team(secretary, community.id, name="义诊服务队")
    with pytest.raises(teams.TeamNameTaken):
        teams.create_team(secretary, community.id, name="义诊服务队")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 1


def test_a_team_of_a_unit_that_is_not_a_member_is_refused(secretary, community):
    with pytest.raises(Invalid):
        teams.create_team(secretary, community.id, name="x", unit_id=make_unit(make_community()).id)


def test_a_volunteer_cannot_create_a_team(community):
    with pytest.raises(Forbidden):
        teams.create_team(make_volunteer(community), community.id, name="x")


def test_a_volunteer_joins_and_the_leader_is_told(community):
    leader, joiner = make_volunteer(community), make_volunteer(community)
    team = make_team(community, [leader])
    member = teams.add_member(joiner, team.id, joiner.id, today=TODAY)
    assert member.left_on is None and not member.is_leader
    from coop.notices.models import Notice

    assert db.session.scalar(sa.select(Notice.title).where(Notice.user_id == leader.id))


def test_a_volunteer_cannot_add_someone_else(community):
    team = make_team(community, [make_volunteer(community)])
    someone, other = make_volunteer(community), make_volunteer(community)
    with pytest.raises(Forbidden):
        teams.add_member(someone, team.id, other.id, today=TODAY)


def test_a_volunteer_of_another_community_cannot_join(secretary, community):
    team = make_team(community, [])
    with pytest.raises(teams.NotAVolunteerHere):
        teams.add_member(secretary, team.id, make_volunteer(make_community()).id, today=TODAY)


def test_joining_twice_is_refused(community):
    volunteer = make_volunteer(community)
    team = make_team(community, [volunteer])
    with pytest.raises(teams.AlreadyMember):
        teams.add_member(volunteer, team.id, volunteer.id, today=TODAY)


def test_leaving_keeps_the_row_and_the_hours_served_as_a_member(community):
    volunteer = make_volunteer(community)
    team = make_team(community, [volunteer], joined=TODAY - timedelta(days=10))
    verified_hours(volunteer, community, 3, day=TODAY - timedelta(days=5))
    teams.leave(volunteer, team.id, volunteer.id, today=TODAY - timedelta(days=1))
    verified_hours(volunteer, community, 4, day=TODAY)
    member = db.session.get(TeamMember, (team.id, volunteer.id))
    assert member.left_on == TODAY - timedelta(days=1)
    assert index.team_hours(team.id) == Decimal("3")
    with pytest.raises(teams.NotMember):
        teams.leave(volunteer, team.id, volunteer.id, today=TODAY)


def test_the_teams_api_creates_lists_and_adds(client, secretary, community):
    volunteer = make_volunteer(community)
    created = client.post(
        "/api/v1/teams",
        json={"community_id": community.id, "name": "法律服务队", "skills": "法律咨询"},
        headers=bearer(secretary),
    )
    assert created.status_code == 201, created.json
    team_id = created.json["id"]
    added = client.post(
        f"/api/v1/teams/{team_id}/members",
        json={"user_id": volunteer.id, "leader": True},
        headers=bearer(secretary),
    )
    assert added.status_code == 201 and added.json["is_leader"] is True
    again = client.post(
        f"/api/v1/teams/{team_id}/members",
        json={"user_id": volunteer.id},
        headers=bearer(secretary),
    )
    assert again.status_code == 409
    listed = client.get(f"/api/v1/teams?community_id={community.id}", headers=bearer(volunteer))
    assert listed.json[0]["members"][0]["name"] == volunteer.display_name
    left = client.post(
        f"/api/v1/teams/{team_id}/members/{volunteer.id}/leave", headers=bearer(volunteer)
    )
    assert left.status_code == 200 and left.json["left_on"] is not None


def test_the_teams_api_refuses_a_blank_name(client, secretary, community):
    response = client.post(
        "/api/v1/teams",
        json={"community_id": community.id, "name": "  "},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 0
