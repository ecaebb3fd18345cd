"""Team claims over HTTP: the JSON API, the menu's choice of claimant, the team page, 我的认领 and
the secretary's 认领审核."""

import pytest
import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.projects.models import ProjectMode
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_project,
    make_secretary,
    make_volunteer,
)
from tests.honours.conftest import make_team

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def leader(community):
    return make_volunteer(community, display_name="王队长")


@pytest.fixture
def member(community):
    return make_volunteer(community)


@pytest.fixture
def team(community, leader, member):
    return make_team(community, [leader, member], name="红色夕阳志愿服务队")


@pytest.fixture
def routine(community):
    return make_project(community, title="每周陪伴独居老人", mode=ProjectMode.ROUTINE, slots=1)


def _claims() -> list[Claim]:
    return list(db.session.scalars(sa.select(Claim).order_by(Claim.id)))


def _team_claim(project, team, status=ClaimStatus.PENDING) -> Claim:
    claim = Claim(
        project=project,
        claimant_type=ClaimantType.TEAM,
        team_id=team.id,
        claimant_key=f"team:{team.id}",
        status=status,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def _post(client, project, actor, body):
    return client.post(f"/api/v1/projects/{project.id}/claims", json=body, headers=bearer(actor))


def test_the_leader_claims_for_her_team_by_api(client, routine, leader, team):
    response = _post(client, routine, leader, {"claimant": "team", "team_id": team.id})
    assert response.status_code == 201
    assert response.json["team_id"] == team.id and response.json["claimant_type"] == "team"
    assert response.json["claimant_name"] == "红色夕阳志愿服务队"
    listed = client.get(f"/api/v1/claims?team_id={team.id}", headers=bearer(leader)).json
    assert [c["id"] for c in listed["items"]] == [response.json["id"]]
    mine = client.get("/api/v1/claims?mine=true", headers=bearer(leader)).json
    assert [c["team_id"] for c in mine["items"]] == [team.id]


def test_staff_claim_for_a_team_by_api(client, community, routine, team):
    response = _post(
        client, routine, make_secretary(community), {"claimant": "team", "team_id": team.id}
    )
    assert response.status_code == 201


def test_a_member_who_does_not_lead_is_forbidden(client, routine, member, team):
    response = _post(client, routine, member, {"claimant": "team", "team_id": team.id})
    assert response.status_code == 403 and _claims() == []


def test_a_team_of_another_community_is_refused(client, community, routine):
    elsewhere = make_community()
    outsider_team = make_team(elsewhere, [make_volunteer(elsewhere)], name="别处服务队")
    response = _post(
        client,
        routine,
        make_secretary(community),
        {"claimant": "team", "team_id": outsider_team.id},
    )
    assert response.status_code == 422 and "team_id" in response.json["errors"]
    assert _claims() == []


def test_a_team_claim_without_a_team_is_refused(client, community, routine):
    response = _post(client, routine, make_secretary(community), {"claimant": "team"})
    assert response.status_code == 422 and _claims() == []


def test_a_team_cannot_claim_a_team_project(client, community, leader, team):
    project = make_project(community)
    response = _post(client, project, leader, {"claimant": "team", "team_id": team.id})
    assert response.status_code == 409 and response.json["code"] == "not_claimable"
    assert _claims() == []


def test_a_second_live_claim_of_the_team_is_refused(client, community, routine, leader, team):
    assert (
        _post(client, routine, leader, {"claimant": "team", "team_id": team.id}).status_code == 201
    )
    again = _post(
        client, routine, make_secretary(community), {"claimant": "team", "team_id": team.id}
    )
    assert again.status_code == 409 and again.json["code"] == "already_claimed"
    assert len(_claims()) == 1


def test_the_menu_offers_the_leader_her_team_and_herself(client, community, routine, leader, team):
    other = make_project(community, title="组团项目")
    login(client, leader)
    menu = f"/communities/{community.id}/menu"
    html = client.get(menu).get_data(as_text=True)
    assert f'href="/projects/{routine.id}/claim?' in html
    assert f'href="/projects/{other.id}/claim?' not in html
    html = client.get(f"/projects/{routine.id}/claim", headers=HTMX).get_data(as_text=True)
    assert f'value="team:{team.id}"' in html and "我本人" in html and "以谁的名义认领" in html
    response = client.post(
        f"/projects/{routine.id}/claim",
        data={"csrf_token": csrf(client, menu), "claimant": f"team:{team.id}", "note": "4 人"},
        headers=HTMX,
    )
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "claims-changed"
    assert "红色夕阳志愿服务队" in response.get_data(as_text=True)
    (claim,) = _claims()
    assert claim.team_id == team.id and claim.note == "4 人" and claim.volunteer_id is None


def test_a_member_sees_no_team_choice_and_a_forged_one_is_refused(
    client, community, routine, member, team
):
    login(client, member)
    menu = f"/communities/{community.id}/menu"
    html = client.get(f"/projects/{routine.id}/claim", headers=HTMX).get_data(as_text=True)
    assert f'value="team:{team.id}"' not in html and 'value="volunteer"' in html
    response = client.post(
        f"/projects/{routine.id}/claim",
        data={"csrf_token": csrf(client, menu), "claimant": f"team:{team.id}"},
        headers=HTMX,
    )
    assert response.status_code == 403 and _claims() == []


def test_a_bad_team_choice_shows_an_error(client, community, routine, leader, team):
    login(client, leader)
    menu = f"/communities/{community.id}/menu"
    response = client.post(
        f"/projects/{routine.id}/claim",
        data={"csrf_token": csrf(client, menu), "claimant": "team:abc"},
        headers=HTMX,
    )
    assert response.status_code == 422 and _claims() == []


def test_the_team_page_lists_the_teams_claims(client, community, routine, leader, member, team):
    _team_claim(routine, team, ClaimStatus.APPROVED)
    login(client, member)
    html = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "认领的日常型项目" in html and "每周陪伴独居老人" in html and "已认领" in html
    assert "以本队名义认领" not in html  # only the leader is pointed to the menu


def test_an_empty_team_page_says_so(client, leader, team):
    login(client, leader)
    html = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "本队还没有认领项目。" in html and "以本队名义认领" in html


def test_my_claims_of_the_leader_hold_the_teams(client, routine, leader, member, team):
    _team_claim(routine, team)
    login(client, leader)
    html = client.get("/my/claims").get_data(as_text=True)
    assert "每周陪伴独居老人" in html and "红色夕阳志愿服务队" in html and "撤回认领" in html
    login(client, member)
    assert "每周陪伴独居老人" not in client.get("/my/claims").get_data(as_text=True)


def test_the_secretary_reviews_and_approves_a_team_claim(client, community, routine, leader, team):
    claim = _team_claim(routine, team)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/claims"
    html = client.get(queue).get_data(as_text=True)
    assert "红色夕阳志愿服务队" in html and "志愿服务队" in html
    response = client.post(
        f"/claims/{claim.id}/approve",
        data={"csrf_token": csrf(client, queue)},
        headers=HTMX,
    )
    assert response.status_code == 200
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.APPROVED
