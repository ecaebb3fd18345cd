"""The 智能匹配 JSON API: reading suggestions, rerunning, acting, and the units' fitting projects."""

import pytest
import sqlalchemy as sa

from coop.categories import Category
from coop.claims.models import ResourceOrder
from coop.extensions import db
from coop.matching import service
from coop.matching.models import CandidateType
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

from .helpers import NOW, suggestions


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


def test_a_needs_suggestions(client, community, secretary, unit):
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    response = client.get(f"/api/v1/needs/{need.id}/suggestions", headers=bearer(secretary))
    assert response.status_code == 200
    assert {row["candidate_id"] for row in response.get_json()} >= {unit.id}


def test_a_liaison_may_not_read_the_suggestions(client, unit, project):
    response = client.get(
        f"/api/v1/projects/{project.id}/suggestions", headers=bearer(make_liaison(unit))
    )
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_the_secretary_reruns_the_matching(client, community, secretary, project):
    response = client.post(f"/api/v1/communities/{community.id}/match", headers=bearer(secretary))
    assert response.status_code == 200
    assert response.get_json() == {"projects": 1, "needs": 0, "suggestions": 2}


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
