"""The 智能匹配 JSON API: reading suggestions, rerunning, acting, and the units' fitting projects."""

import pytest
import sqlalchemy as sa

from coop.categories import Category
from coop.claims.models import ResourceOrder
from coop.extensions import db
from coop.matching import service
from coop.matching.models import CandidateType, Suggestion
from coop.notices.models import Notice
from tests.factories import (
    bearer,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
)

from .helpers import NOW, count_rows, suggestions


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    unit = make_unit(community, name="康达物业")
    make_resource(unit, community, category=Category.CARE, title="助老志愿服务队")
    return unit


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def project(community, unit):
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    return project


def test_a_projects_suggestions_carry_names_scores_ranks_and_reasons(client, secretary, project):
    response = client.get(f"/api/v1/projects/{project.id}/suggestions", headers=bearer(secretary))
    assert response.status_code == 200
    body = response.get_json()
    assert {row["candidate_type"] for row in body} == {"unit", "resource"}
    unit_row = next(row for row in body if row["candidate_type"] == "unit")
    assert unit_row["candidate_name"] == "康达物业" and unit_row["rank"] == 1
    assert unit_row["status"] == "open" and "暂无进行中的认领" in unit_row["reasons"]
    resource_row = next(row for row in body if row["candidate_type"] == "resource")
    assert resource_row["candidate_name"] == "助老志愿服务队"
    assert resource_row["candidate_unit"] == "康达物业"


def test_suggestions_filter_by_candidate_type(client, secretary, project):
    response = client.get(
        f"/api/v1/projects/{project.id}/suggestions?candidate_type=resource",
        headers=bearer(secretary),
    )
    assert [row["candidate_type"] for row in response.get_json()] == ["resource"]


def test_a_needs_suggestions_carry_their_ranking_row(client, community, secretary, unit):
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    response = client.get(f"/api/v1/needs/{need.id}/suggestions", headers=bearer(secretary))
    assert response.status_code == 200
    unit_row = next(row for row in response.get_json() if row["candidate_type"] == "unit")
    assert unit_row["candidate_id"] == unit.id and unit_row["candidate_name"] == "康达物业"
    assert unit_row["id"] is None and unit_row["ranking_id"] and unit_row["rank"] == 1
    assert unit_row["status"] == "open" and unit_row["target_id"] == need.id
    assert count_rows(Suggestion) == 0  # reading stores nothing


def test_dismissing_a_needs_suggestion(client, community, secretary, unit):
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (row,) = suggestions(need, CandidateType.UNIT)
    response = client.post(
        f"/api/v1/needs/{need.id}/suggestions/{row.ranking_id}/dismiss", headers=bearer(secretary)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "dismissed" and body["id"] and body["candidate_id"] == unit.id
    listed = client.get(f"/api/v1/needs/{need.id}/suggestions", headers=bearer(secretary))
    assert [(r["candidate_type"], r["status"]) for r in listed.get_json()] == [
        ("resource", "open"),
        ("unit", "dismissed"),
    ]


def test_dismissing_a_replaced_need_suggestion_is_a_409(client, community, secretary, unit):
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (row,) = suggestions(need, CandidateType.UNIT)
    service.match_community(community.id, now=NOW)
    response = client.post(
        f"/api/v1/needs/{need.id}/suggestions/{row.ranking_id}/dismiss", headers=bearer(secretary)
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "suggestion_replaced"
    assert response.get_json()["message"] == "推荐已重新计算，请刷新页面后再操作。"
    assert count_rows(Suggestion) == 0


@pytest.mark.parametrize(("who", "status"), [("liaison", 403), ("other_secretary", 404)])
def test_dismissing_a_needs_suggestion_is_for_its_secretary(client, community, unit, who, status):
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (row,) = suggestions(need, CandidateType.UNIT)
    actor = make_liaison(unit) if who == "liaison" else make_secretary(make_community())
    response = client.post(
        f"/api/v1/needs/{need.id}/suggestions/{row.ranking_id}/dismiss", headers=bearer(actor)
    )
    assert response.status_code == status
    assert count_rows(Suggestion) == 0


def test_openapi_documents_dismissing_a_needs_suggestion(client):
    spec = client.get("/api/v1/openapi.json").json
    dismiss = spec["paths"]["/api/v1/needs/{need_id}/suggestions/{ranking_id}/dismiss"]["post"]
    assert {"200", "401", "403", "404", "409"} <= set(dismiss["responses"])
    listed = spec["paths"]["/api/v1/needs/{need_id}/suggestions"]["get"]
    assert "200" in listed["responses"]


def test_a_liaison_may_not_read_the_suggestions(client, unit, project):
    response = client.get(
        f"/api/v1/projects/{project.id}/suggestions", headers=bearer(make_liaison(unit))
    )
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_the_secretary_reruns_the_matching(client, community, secretary, project):
    response = client.post(f"/api/v1/communities/{community.id}/match", headers=bearer(secretary))
    assert response.status_code == 200
    assert response.get_json() == {"projects": 1, "needs": 0, "suggestions": 2, "rankings": 0}


def test_invite_then_invite_again_is_a_409(client, secretary, unit, project):
    make_liaison(unit)
    (row,) = suggestions(project, CandidateType.UNIT)
    first = client.post(f"/api/v1/suggestions/{row.id}/invite", headers=bearer(secretary))
    assert first.status_code == 200 and first.get_json()["status"] == "acted"
    again = client.post(f"/api/v1/suggestions/{row.id}/invite", headers=bearer(secretary))
    assert again.status_code == 409 and again.get_json()["code"] == "illegal_transition"
    assert "已邀请" in again.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_order_answers_the_resource_order(client, secretary, project):
    (row,) = suggestions(project, CandidateType.RESOURCE)
    response = client.post(
        f"/api/v1/suggestions/{row.id}/order", json={"note": "周六上午"}, headers=bearer(secretary)
    )
    assert response.status_code == 201
    assert (
        response.get_json()["status"] == "requested" and response.get_json()["note"] == "周六上午"
    )
    assert db.session.scalar(sa.select(ResourceOrder.project_id)) == project.id


def test_ordering_a_unit_suggestion_is_a_409_in_chinese(client, secretary, project):
    (row,) = suggestions(project, CandidateType.UNIT)
    response = client.post(
        f"/api/v1/suggestions/{row.id}/order", json={}, headers=bearer(secretary)
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "not_orderable"
    assert response.get_json()["message"] == "只能就推荐给项目的资源点单。"


def test_dismiss(client, secretary, project):
    (row,) = suggestions(project, CandidateType.UNIT)
    response = client.post(f"/api/v1/suggestions/{row.id}/dismiss", headers=bearer(secretary))
    assert response.status_code == 200 and response.get_json()["status"] == "dismissed"


def test_another_communitys_suggestion_is_not_found(client, project):
    (row,) = suggestions(project, CandidateType.UNIT)
    stranger = make_secretary(make_community())
    response = client.post(f"/api/v1/suggestions/{row.id}/dismiss", headers=bearer(stranger))
    assert response.status_code == 404


def test_no_token_is_a_401(client, project):
    assert client.get(f"/api/v1/projects/{project.id}/suggestions").status_code == 401


def test_fitting_projects_for_the_units_liaison(client, unit, project):
    response = client.get(
        f"/api/v1/units/{unit.id}/fitting-projects", headers=bearer(make_liaison(unit))
    )
    assert response.status_code == 200
    (row,) = response.get_json()
    assert row["project_id"] == project.id and row["category"] == "关心关爱"
    assert row["invited"] is False and row["reasons"]


def test_setting_served_neighbourhoods(client, community, secretary, unit):
    from coop.matching.queries import membership_between

    membership = membership_between(unit.id, community.id)
    east = community.neighbourhoods[0]
    response = client.put(
        f"/api/v1/memberships/{membership.id}/neighbourhoods",
        json={"neighbourhood_ids": [east.id]},
        headers=bearer(secretary),
    )
    assert response.status_code == 200 and response.get_json() == {"neighbourhood_ids": [east.id]}


def test_a_needs_suggestion_carries_the_words_that_matched(client, community, secretary, unit):
    light = make_resource(
        unit, community, category=Category.CONVENIENCE, title="电工维修", description="维修楼道灯"
    )
    need = make_need(
        community, category=Category.CONVENIENCE, title="楼道灯维修", description="楼道灯不亮"
    )
    service.match_community(community.id, now=NOW)
    response = client.get(
        f"/api/v1/needs/{need.id}/suggestions?candidate_type=resource", headers=bearer(secretary)
    )
    (row,) = response.get_json()
    assert row["candidate_id"] == light.id
    assert row["matched_words"][:2] == ["楼道灯", "维修"] or {"楼道灯", "维修"} <= set(
        row["matched_words"]
    )
    assert "现可提供志愿服务" in row["reasons"]  # today's reasons stay beside the words
    projects = client.get(f"/api/v1/needs/{need.id}/suggestions", headers=bearer(secretary))
    assert all("matched_words" in r for r in projects.get_json())
