"""Editing a team: the page (staff and the leader) and PUT /api/v1/teams/{id}; bad input is a
clear 4xx and changes nothing."""

import pytest

from coop.extensions import db
from tests.factories import bearer, csrf, login, make_community, make_unit, make_volunteer
from tests.honours.conftest import make_team


@pytest.fixture
def leader(community):
    return make_volunteer(community)


@pytest.fixture
def member(community):
    return make_volunteer(community)


@pytest.fixture
def team(community, leader, member):
    return make_team(community, [leader, member], name="红色夕阳志愿服务队")


def _put(client, team, actor, body):
    return client.put(f"/api/v1/teams/{team.id}", json=body, headers=bearer(actor))


def _unchanged(team):
    db.session.refresh(team)
    assert team.name == "红色夕阳志愿服务队" and team.unit_id is None and team.skills == ""


def test_staff_edit_a_team_by_api(client, secretary, unit, team):
    body = {"name": " 义诊服务队 ", "skills": "义诊", "unit_id": unit.id, "description": "每月义诊"}
    response = _put(client, team, secretary, body)
    assert response.status_code == 200
    assert response.json["name"] == "义诊服务队" and response.json["unit_id"] == unit.id
    assert response.json["skills"] == "义诊" and response.json["description"] == "每月义诊"


def test_the_leader_edits_and_no_unit_makes_it_the_communitys(client, unit, leader, team):
    team.unit_id = unit.id
    db.session.flush()
    response = _put(client, team, leader, {"name": "红色夕阳志愿服务队", "skills": "陪伴"})
    assert response.status_code == 200 and response.json["unit_id"] is None


def test_a_member_may_not_edit(client, member, team):
    assert _put(client, team, member, {"name": "改名"}).status_code == 403
    _unchanged(team)


def test_a_taken_name_is_refused(client, community, secretary, team):
    make_team(community, [], name="义诊服务队")
    response = _put(client, team, secretary, {"name": "义诊服务队"})
    assert response.status_code == 409 and response.json["code"] == "team_name_taken"
    _unchanged(team)


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "x" * 65}, {"skills": "义诊"}, {"name": "新名", "unit_id": "abc"}],
)
def test_bad_fields_are_refused(client, secretary, team, body):
    assert _put(client, team, secretary, body).status_code == 422
    _unchanged(team)


def test_a_unit_that_is_not_a_member_is_refused(client, secretary, team):
    stranger = make_unit(make_community())
    response = _put(client, team, secretary, {"name": "新名", "unit_id": stranger.id})
    assert response.status_code == 422 and "unit_id" in response.json["errors"]
    _unchanged(team)


def test_another_communitys_team_is_not_found(client, team):
    elsewhere = make_community()
    from tests.factories import make_secretary

    assert _put(client, team, make_secretary(elsewhere), {"name": "x"}).status_code == 404


def test_the_edit_page_is_filled_and_saves(client, unit, leader, team):
    login(client, leader)
    page = f"/teams/{team.id}/edit"
    assert "编辑服务队" in client.get(f"/teams/{team.id}").get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert 'value="红色夕阳志愿服务队"' in html and unit.name in html
    response = client.post(
        page,
        data={
            "csrf_token": csrf(client, page),
            "name": "银发先锋服务队",
            "unit_id": str(unit.id),
            "skills": "陪伴、理发",
            "description": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/teams/{team.id}"
    )
    db.session.refresh(team)
    assert team.name == "银发先锋服务队" and team.unit_id == unit.id and team.skills == "陪伴、理发"
    assert "服务队信息已保存" in client.get(f"/teams/{team.id}").get_data(as_text=True)


def test_a_bad_edit_shows_the_message_and_keeps_the_form(client, community, secretary, team):
    make_team(community, [], name="义诊服务队")
    login(client, secretary)
    page = f"/teams/{team.id}/edit"
    response = client.post(
        page, data={"csrf_token": csrf(client, page), "name": "义诊服务队", "skills": "义诊"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "本社区已有同名的志愿服务队" in html
    assert 'value="义诊服务队"' in html
    _unchanged(team)
    response = client.post(page, data={"csrf_token": csrf(client, page), "name": ""})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    _unchanged(team)


def test_a_member_cannot_open_the_edit_page(client, member, team):
    login(client, member)
    assert client.get(f"/teams/{team.id}/edit").status_code == 403
    assert "编辑服务队" not in client.get(f"/teams/{team.id}").get_data(as_text=True)
