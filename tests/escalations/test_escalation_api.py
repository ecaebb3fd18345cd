"""The 街道吹哨 JSON API: status codes, error shapes, and that refusals change nothing."""

import pytest
import sqlalchemy as sa

from coop.escalations.models import Escalation
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.timeutil import local_today
from tests.escalations.helpers import NEXT_WEEK, department
from tests.factories import (
    bearer,
    make_community,
    make_need,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def need(community, resident):
    return make_need(community, requester_id=resident.id)


def _escalate(client, user, need, reason="社区无执法权，需城管处置"):
    return client.post(
        f"/api/v1/needs/{need.id}/escalate", json={"reason": reason}, headers=bearer(user)
    )


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Escalation))


def test_secretary_escalates_and_gets_201(client, secretary, need):
    response = _escalate(client, secretary, need)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open" and body["status_label"] == "待分派"
    assert body["need_id"] == need.id and body["departments"] == []


def test_escalating_a_solved_need_is_409_with_a_message_and_changes_nothing(
    client, community, secretary
):
    need = make_need(community, status=NeedStatus.RESOLVED)
    response = _escalate(client, secretary, need)
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "need_not_escalatable" and "已解决" in body["message"]
    assert _count() == 0


def test_a_second_escalation_is_409(client, secretary, need):
    _escalate(client, secretary, need)
    response = _escalate(client, secretary, need)
    assert response.status_code == 409 and response.get_json()["code"] == "already_escalated"
    assert _count() == 1


def test_a_volunteer_escalating_is_403(client, community, need):
    response = _escalate(client, make_volunteer(community), need)
    assert response.status_code == 403 and _count() == 0


def test_a_blank_reason_is_422(client, secretary, need):
    response = _escalate(client, secretary, need, reason="  ")
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert _count() == 0


def test_the_street_handles_it_through_the_api(client, community, secretary, admin, need):
    escalation_id = _escalate(client, secretary, need).get_json()["id"]
    cg = department(community.street, "城管")
    assigned = client.post(
        f"/api/v1/escalations/{escalation_id}/assign",
        json={"department_ids": [cg.id], "deadline": NEXT_WEEK.isoformat()},
        headers=bearer(admin),
    )
    assert assigned.status_code == 200
    assert [d["name"] for d in assigned.get_json()["departments"]] == ["城管"]
    today = local_today()
    entry = client.post(
        f"/api/v1/escalations/{escalation_id}/entries",
        json={"department_id": cg.id, "on": today.isoformat(), "text": "约谈业主，限期整改"},
        headers=bearer(admin),
    )
    assert entry.status_code == 201 and entry.get_json()["department_name"] == "城管"
    resolved = client.post(
        f"/api/v1/escalations/{escalation_id}/resolve",
        json={"outcome": "违建已拆除"},
        headers=bearer(admin),
    )
    assert resolved.status_code == 200 and resolved.get_json()["status"] == "resolved"
    need_now = client.get(f"/api/v1/needs/{need.id}", headers=bearer(secretary)).get_json()
    assert need_now["status"] == "resolved"
    queue = client.get(
        f"/api/v1/streets/{community.street_id}/escalations?status=resolved",
        headers=bearer(admin),
    ).get_json()
    assert [e["id"] for e in queue["items"]] == [escalation_id]


def test_a_department_of_another_street_is_422_and_nothing_changes(
    client, community, secretary, admin, need
):
    escalation_id = _escalate(client, secretary, need).get_json()["id"]
    foreign = department(make_community().street, "城管")
    response = client.post(
        f"/api/v1/escalations/{escalation_id}/assign",
        json={"department_ids": [foreign.id], "deadline": NEXT_WEEK.isoformat()},
        headers=bearer(admin),
    )
    assert response.status_code == 422 and "department_ids" in response.get_json()["errors"]
    after = client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer(admin)).get_json()
    assert after["status"] == "open" and after["departments"] == []


def test_returning_is_for_the_street_and_twice_is_409(client, secretary, admin, need):
    escalation_id = _escalate(client, secretary, need).get_json()["id"]
    path = f"/api/v1/escalations/{escalation_id}/return"
    assert (
        client.post(path, json={"reason": "自行办理"}, headers=bearer(secretary)).status_code == 403
    )
    assert client.post(path, json={"reason": "自行办理"}, headers=bearer(admin)).status_code == 200
    again = client.post(path, json={"reason": "自行办理"}, headers=bearer(admin))
    assert again.status_code == 409 and again.get_json()["code"] == "illegal_transition"


def test_another_streets_queue_and_escalations_are_404(client, community, secretary, need):
    escalation_id = _escalate(client, secretary, need).get_json()["id"]
    stranger = make_street_admin(make_community().street)
    assert (
        client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer(stranger)).status_code
        == 404
    )
    queue = client.get(
        f"/api/v1/streets/{community.street_id}/escalations", headers=bearer(stranger)
    )
    assert queue.status_code == 404


def test_departments_api_lists_adds_and_deactivates(client, community, admin):
    path = f"/api/v1/streets/{community.street_id}/departments"
    department(community.street, "城管")  # the defaults
    added = client.post(path, json={"name": "司法所"}, headers=bearer(admin))
    assert added.status_code == 201
    duplicate = client.post(path, json={"name": "司法所"}, headers=bearer(admin))
    assert duplicate.status_code == 422
    patched = client.patch(
        f"/api/v1/departments/{added.get_json()['id']}",
        json={"active": False},
        headers=bearer(admin),
    )
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    names = [d["name"] for d in client.get(path, headers=bearer(admin)).get_json()]
    assert names == ["综治", "民政", "城管", "信访", "应急管理", "司法所"]
