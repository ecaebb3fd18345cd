"""The needs JSON API: status codes, masking, and what a resident sees of her own need."""

import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.extensions import db
from coop.needs.models import Need, NeedStatus
from tests.factories import (
    bearer,
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_unit,
)

NEW_NEED = {
    "title": "独居老人家中灯泡更换",
    "category": "关心关爱",
    "beneficiary_group": "elderly",
    "urgency": "soon",
    "requester_name": "刘桂兰",
    "requester_phone": "13812341234",
    "requester_address": "阳光苑3号楼2单元501",
}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _count_needs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Need))


def test_secretary_records_a_need_straight_onto_the_list(client, community, secretary):
    neighbourhood = community.neighbourhoods[0]
    response = client.post(
        "/api/v1/needs",
        json={**NEW_NEED, "community_id": community.id, "neighbourhood_id": neighbourhood.id},
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    need = response.json
    assert need["status"] == "listed" and need["status_label"] == "已列入清单"
    assert need["source"] == "hall" and need["source_label"] == "服务大厅登记"
    assert need["beneficiary_group_label"] == "老年人" and need["urgency_label"] == "较急"
    assert need["neighbourhood_name"] == "邻里单元1"
    assert need["created_at"].endswith("+08:00")


def test_the_requesters_phone_and_address_are_masked(client, community, secretary):
    need = make_need(community)
    body = client.get(f"/api/v1/needs/{need.id}", headers=bearer(secretary)).json
    assert body["requester_phone"] == "138****1234"
    assert body["requester_address"].endswith("****")
    assert "3号楼2单元" not in body["requester_address"]


def test_a_resident_submits_her_need_and_reads_why_it_was_rejected(client, community, secretary):
    resident = make_resident(community, phone="13900001111")
    mine = bearer(resident)
    response = client.post(
        "/api/v1/needs",
        json={
            "community_id": community.id,
            "title": "楼道灯坏了",
            "category": "便民服务",
            "source": "hall",  # not hers to choose: she submits online
            "requester_phone": "13700000000",
        },
        headers=mine,
    )
    assert response.status_code == 201
    need = response.json
    assert need["status"] == "submitted" and need["source"] == "resident"
    assert need["requester_name"] == resident.display_name
    assert need["requester_phone"] == "139****1111"

    rejected = client.post(
        f"/api/v1/needs/{need['id']}/reject",
        json={"reason": "属物业维修范围，已转物业公司"},
        headers=bearer(secretary),
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"

    seen = client.get(f"/api/v1/needs/{need['id']}", headers=mine).json
    assert seen["status_label"] == "未受理"
    assert seen["reject_reason"] == "属物业维修范围，已转物业公司"
    own = client.get("/api/v1/needs?mine=true", headers=mine).json
    assert [n["id"] for n in own["items"]] == [need["id"]]


def test_residents_see_the_public_list_and_their_own(client, community):
    resident = make_resident(community)
    listed = make_need(community)
    make_need(community, status=NeedStatus.SUBMITTED)
    own = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    make_need(make_community())
    body = client.get("/api/v1/needs", headers=bearer(resident)).json
    assert {n["id"] for n in body["items"]} == {listed.id, own.id} and body["total"] == 2


def test_needs_filter_by_field_and_text(client, community, secretary):
    wanted = make_need(community, title="助餐送餐", category="关心关爱")
    make_need(community, title="助餐点选址", category="便民服务")
    make_need(community, title="理发", category="关心关爱")
    response = client.get(
        f"/api/v1/needs?community_id={community.id}&category=关心关爱&q=助餐&status=listed",
        headers=bearer(secretary),
    )
    assert [n["id"] for n in response.json["items"]] == [wanted.id]
    assert client.get("/api/v1/needs?status=nope", headers=bearer(secretary)).status_code == 422


def test_a_secretary_corrects_a_need_field_by_field(client, community, secretary):
    need = make_need(community, title="旧标题")
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"urgency": "urgent", "version": need.version},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["urgency"] == "urgent" and response.json["title"] == "旧标题"


def test_a_resolved_need_cannot_be_edited(client, community, secretary):
    need = make_need(community, status=NeedStatus.RESOLVED)
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"title": "新标题", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "need_not_editable"


def test_a_need_moves_through_list_resolve_and_close(client, community, secretary):
    need = make_need(community, status=NeedStatus.SUBMITTED)
    headers = bearer(secretary)
    listed = client.post(f"/api/v1/needs/{need.id}/list", headers=headers)
    assert listed.status_code == 200 and listed.json["status"] == "listed"
    resolved = client.post(
        f"/api/v1/needs/{need.id}/resolve", json={"resolution": "已上门更换"}, headers=headers
    )
    assert resolved.json["status"] == "resolved" and resolved.json["resolution"] == "已上门更换"
    closed = client.post(f"/api/v1/needs/{need.id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json["status"] == "closed"


def test_resolve_needs_no_body(client, community, secretary):
    need = make_need(community)
    response = client.post(f"/api/v1/needs/{need.id}/resolve", headers=bearer(secretary))
    assert response.status_code == 200 and response.json["resolution"] == ""


def test_an_illegal_move_is_409_and_changes_nothing(client, community, secretary):
    need = make_need(community)
    response = client.post(f"/api/v1/needs/{need.id}/close", headers=bearer(secretary))
    assert response.status_code == 409 and response.json["code"] == "illegal_transition"
    assert "已列入清单" in response.json["message"]
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED


def test_reject_needs_a_reason(client, community, secretary):
    need = make_need(community, status=NeedStatus.SUBMITTED)
    response = client.post(f"/api/v1/needs/{need.id}/reject", json={}, headers=bearer(secretary))
    assert response.status_code == 422 and "reason" in response.json["errors"]
    db.session.refresh(need)
    assert need.status is NeedStatus.SUBMITTED


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "", "category": "关心关爱", "beneficiary_group": "elderly"}, "title"),
        ({"title": "修灯", "category": "其他", "beneficiary_group": "elderly"}, "category"),
        ({"title": "修灯", "category": "关心关爱"}, "beneficiary_group"),
        ({**NEW_NEED, "requester_phone": "12345"}, "requester_phone"),
        ({**NEW_NEED, "urgency": "yesterday"}, "urgency"),
    ],
)
def test_a_bad_need_is_422_and_creates_nothing(client, community, secretary, body, field):
    before = _count_needs()
    response = client.post(
        "/api/v1/needs", json={**body, "community_id": community.id}, headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _count_needs() == before


def test_a_neighbourhood_of_another_community_is_422(client, community, secretary):
    elsewhere = make_community().neighbourhoods[0]
    response = client.post(
        "/api/v1/needs",
        json={**NEW_NEED, "community_id": community.id, "neighbourhood_id": elsewhere.id},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "neighbourhood_id" in response.json["errors"]
    assert _count_needs() == 0


def test_a_liaison_cannot_raise_a_need(client, community):
    liaison = make_liaison(make_unit(community))
    response = client.post(
        "/api/v1/needs", json={**NEW_NEED, "community_id": community.id}, headers=bearer(liaison)
    )
    assert response.status_code == 403 and _count_needs() == 0


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/list", None),
        ("post", "/reject", {"reason": "不予受理"}),
        ("post", "/resolve", {}),
        ("post", "/reveal", {"reason": "回访"}),
    ],
)
def test_a_resident_may_not_handle_needs(client, community, method, path, body):
    resident = make_resident(community)
    need = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    response = getattr(client, method)(
        f"/api/v1/needs/{need.id}{path}", json=body, headers=bearer(resident)
    )
    assert response.status_code == 403 and response.json["code"] == "forbidden"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("patch", "", {"title": "改标题", "version": 1}),
        ("post", "/list", None),
        ("post", "/reject", {"reason": "不予受理"}),
        ("post", "/close", None),
        ("post", "/reveal", {"reason": "回访"}),
    ],
)
def test_another_communitys_need_is_404(client, community, secretary, method, path, body):
    theirs = make_need(make_community(), status=NeedStatus.SUBMITTED)
    response = getattr(client, method)(
        f"/api/v1/needs/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_recording_in_another_community_is_404(client, secretary):
    other = make_community()
    response = client.post(
        "/api/v1/needs", json={**NEW_NEED, "community_id": other.id}, headers=bearer(secretary)
    )
    assert response.status_code == 404 and _count_needs() == 0


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/needs"), ("post", "/api/v1/needs"), ("get", "/api/v1/needs/1")]
    + [("post", f"/api/v1/needs/1/{action}") for action in ("list", "close", "reveal")],
)
def test_the_needs_api_needs_a_token(client, community, method, path):
    body = {**NEW_NEED, "community_id": community.id, "reason": "回访"}
    response = getattr(client, method)(path, json=body if method == "post" else None)
    assert response.status_code == 401


def test_the_secretary_reveals_the_requester_and_the_reason_is_logged(client, community, secretary):
    need = make_need(community)
    response = client.post(
        f"/api/v1/needs/{need.id}/reveal",
        json={"reason": "上门服务前电话确认"},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json == {"phone": "13812341234", "address": "阳光苑3号楼2单元"}
    row = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "reveal", AuditLog.object_id == str(need.id))
    )
    assert row.actor_id == secretary.id and row.after["reason"] == "上门服务前电话确认"


def test_revealing_without_a_reason_is_422_and_logs_nothing(client, community, secretary):
    need = make_need(community)
    response = client.post(f"/api/v1/needs/{need.id}/reveal", json={}, headers=bearer(secretary))
    assert response.status_code == 422 and "reason" in response.json["errors"]
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reveal")) is None


def test_a_resident_cannot_reveal_a_listed_need(client, community):
    need = make_need(community)
    response = client.post(
        f"/api/v1/needs/{need.id}/reveal",
        json={"reason": "想联系她"},
        headers=bearer(make_resident(community)),
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reveal")) is None


def test_openapi_documents_the_needs_operations(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/needs"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(post["responses"])
    reject = spec["paths"]["/api/v1/needs/{need_id}/reject"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(reject["responses"])
    assert "requestBody" in spec["paths"]["/api/v1/needs/{need_id}"]["patch"]
