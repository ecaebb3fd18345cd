"""The terms JSON API: terms newest first with their deputy, the plan with counts and titles,
recording the deputy, linking and unlinking evidence, and proposals."""

import pytest

from coop.terms import queries
from coop.terms.models import ItemKind
from tests.factories import bearer, make_community, make_secretary
from tests.terms.conftest import held_activity, item_of


def test_terms_are_listed_newest_first_with_the_deputy_or_null(client, plan, community, secretary):
    body = client.get(
        f"/api/v1/alliances/{community.alliance.id}/terms", headers=bearer(secretary)
    ).get_json()
    (term,) = body
    assert term["id"] == plan.term_id
    assert term["deputy"] is None and term["plan_status"] == "awaiting_deputy"
    assert term["assembly_on"] == plan.assembly_on.isoformat()


def test_terms_of_another_community_are_not_found(client, plan, community):
    stranger = make_secretary(make_community())
    response = client.get(
        f"/api/v1/alliances/{community.alliance.id}/terms", headers=bearer(stranger)
    )
    assert response.status_code == 404


def test_the_old_deputy_endpoint_is_gone(client, plan, secretary, unit):
    """The deputy is set by certifying the recorded 推选 (coop.meetings), never typed in."""
    response = client.post(
        f"/api/v1/terms/{plan.term_id}/deputy",
        json={"unit_id": unit.id, "holder_name": "张海燕"},
        headers=bearer(secretary),
    )
    assert response.status_code in (404, 405)
    assert queries.deputy_of(plan.term_id) is None


def test_linking_returns_the_item_with_its_count_and_titles(
    client, open_plan, community, secretary
):
    activity = held_activity(community, title="邻里文化节")
    item = item_of(open_plan, ItemKind.CULTURAL_ACTIVITY)
    response = client.post(
        f"/api/v1/plan-items/{item.id}/evidence",
        json={"evidence_type": "activity", "evidence_id": activity.id, "note": "照片见公示栏"},
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["count"], body["target"], body["done"]) == (1, 1, True)
    (evidence,) = body["evidence"]
    assert evidence["title"] == "邻里文化节" and evidence["note"] == "照片见公示栏"
    plan = client.get(f"/api/v1/terms/{open_plan.term_id}/plan", headers=bearer(secretary))
    items = {i["kind"]: i for i in plan.get_json()["items"]}
    assert items["cultural_activity"]["evidence"][0]["title"] == "邻里文化节"
    assert items["concerns_resolved"]["label"] == "解决一批群众急难愁盼问题"

    removed = client.delete(f"/api/v1/plan-evidence/{evidence['id']}", headers=bearer(secretary))
    assert removed.status_code == 200
    assert (removed.get_json()["count"], removed.get_json()["done"]) == (0, False)


@pytest.mark.parametrize(
    ("kind", "evidence_type", "status", "code"),
    [
        (ItemKind.CONCERNS_RESOLVED, "activity", 422, "wrong_evidence_type"),
        (ItemKind.CULTURAL_ACTIVITY, "activity", 422, "evidence_not_found"),
    ],
)
def test_refusals_are_chinese_errors(
    client, open_plan, secretary, kind, evidence_type, status, code
):
    response = client.post(
        f"/api/v1/plan-items/{item_of(open_plan, kind).id}/evidence",
        json={"evidence_type": evidence_type, "evidence_id": 999999},
        headers=bearer(secretary),
    )
    assert response.status_code == status
    assert response.get_json()["code"] == code
    assert "佐证" in response.get_json()["message"] or "活动" in response.get_json()["message"]


def test_linking_before_the_deputy_is_a_conflict(client, plan, community, secretary):
    response = client.post(
        f"/api/v1/plan-items/{item_of(plan, ItemKind.VOLUNTEER_ACTIVITY).id}/evidence",
        json={"evidence_type": "activity", "evidence_id": held_activity(community).id},
        headers=bearer(secretary),
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "awaiting_deputy"


def test_proposals_are_filed_and_listed(client, open_plan, community, secretary, unit):
    created = client.post(
        f"/api/v1/communities/{community.id}/proposals",
        json={"title": "增设老年助餐点", "body": "利用党群服务中心一楼", "unit_id": unit.id},
        headers=bearer(secretary),
    )
    assert created.status_code == 201
    assert created.get_json()["term_id"] == open_plan.term_id
    listed = client.get(
        f"/api/v1/communities/{community.id}/proposals", headers=bearer(secretary)
    ).get_json()
    assert listed["total"] == 1 and listed["items"][0]["unit_name"] == unit.name


def test_a_proposal_without_a_title_is_invalid(client, open_plan, community, secretary):
    response = client.post(
        f"/api/v1/communities/{community.id}/proposals", json={}, headers=bearer(secretary)
    )
    assert response.status_code == 422
    assert "title" in response.get_json()["errors"]
