"""The resources JSON API: offering, reviewing, who sees what, and "committed"."""

import pytest
import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.resources.models import Resource, ResourceKind, ResourceStatus
from tests.factories import (
    bearer,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="区人民医院")


@pytest.fixture
def liaison(unit):
    return make_liaison(unit)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def offer(community, unit, **overrides) -> dict:
    return {
        "community_id": community.id,
        "unit_id": unit.id,
        "kind": "expertise",
        "title": "义诊与健康讲座",
        "category": "关心关爱",
        "quantity": "12.5",
        "unit_of_measure": "小时",
        "available_from": "2026-12-01",
        "available_until": "2027-05-31",
        "neighbourhood_ids": [community.neighbourhoods[1].id],
        **overrides,
    }


def _count_resources() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Resource))


def test_a_liaison_offers_her_units_resource(client, community, unit, liaison):
    response = client.post(
        "/api/v1/resources", json=offer(community, unit), headers=bearer(liaison)
    )
    assert response.status_code == 201
    resource = response.json
    assert resource["status"] == "offered" and resource["status_label"] == "待审核"
    assert resource["unit_name"] == "区人民医院" and resource["kind_label"] == "专业技能"
    assert resource["quantity"] == 12.5 and resource["committed"] is False
    assert [n["name"] for n in resource["neighbourhoods"]] == ["邻里单元2"]


def test_the_secretary_records_an_offer_for_a_unit(client, community, unit, secretary):
    response = client.post(
        "/api/v1/resources", json=offer(community, unit), headers=bearer(secretary)
    )
    assert response.status_code == 201 and response.json["unit_id"] == unit.id


def test_an_offer_goes_back_and_forth_until_listed(client, community, unit, liaison, secretary):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    path = f"/api/v1/resources/{resource.id}"
    sent_back = client.post(
        f"{path}/send_back", json={"reason": "请写明可服务时段"}, headers=bearer(secretary)
    )
    assert sent_back.status_code == 200 and sent_back.json["status"] == "returned"
    assert sent_back.json["return_reason"] == "请写明可服务时段"
    edited = client.patch(
        path,
        json={"description": "每周六上午", "version": sent_back.json["version"]},
        headers=bearer(liaison),
    )
    assert edited.status_code == 200 and edited.json["description"] == "每周六上午"
    assert client.post(f"{path}/reoffer", headers=bearer(liaison)).json["status"] == "offered"
    listed = client.post(f"{path}/list", headers=bearer(secretary))
    assert listed.status_code == 200 and listed.json["status"] == "listed"
    assert listed.json["return_reason"] == ""


def test_a_unit_withdraws_and_then_cannot_edit(client, community, unit, liaison):
    resource = make_resource(unit, community)
    path = f"/api/v1/resources/{resource.id}"
    assert client.post(f"{path}/withdraw", headers=bearer(liaison)).json["status"] == "withdrawn"
    response = client.patch(path, json={"title": "换个名字", "version": 2}, headers=bearer(liaison))
    assert response.status_code == 409
    db.session.refresh(resource)
    assert resource.title != "换个名字"


def test_listing_a_listed_resource_is_an_illegal_move(client, community, unit, secretary):
    resource = make_resource(unit, community)
    response = client.post(f"/api/v1/resources/{resource.id}/list", headers=bearer(secretary))
    assert response.status_code == 409 and response.json["code"] == "illegal_transition"


def test_a_resident_sees_listed_resources_only(client, community, unit):
    listed = make_resource(unit, community, kind=ResourceKind.VENUE)
    make_resource(unit, community, status=ResourceStatus.OFFERED)
    make_resource(make_unit(make_community()), make_community())
    body = client.get("/api/v1/resources", headers=bearer(make_resident(community))).json
    assert [r["id"] for r in body["items"]] == [listed.id]


def test_a_liaison_sees_every_state_of_her_own_units_resources(client, community, unit, liaison):
    offered = make_resource(unit, community, status=ResourceStatus.OFFERED)
    make_resource(make_unit(community), community, status=ResourceStatus.OFFERED)
    body = client.get("/api/v1/resources?status=offered", headers=bearer(liaison)).json
    assert [r["id"] for r in body["items"]] == [offered.id]


def test_resources_filter_by_kind_unit_and_text(client, community, unit, secretary):
    wanted = make_resource(unit, community, kind=ResourceKind.VENUE, title="党群活动室")
    make_resource(unit, community, kind=ResourceKind.FUNDS, title="活动经费")
    make_resource(make_unit(community), community, kind=ResourceKind.VENUE, title="会议室")
    response = client.get(
        f"/api/v1/resources?kind=venue&unit_id={unit.id}&q=活动", headers=bearer(secretary)
    )
    assert [r["id"] for r in response.json["items"]] == [wanted.id]


def test_a_resource_pledged_by_an_approved_claim_is_committed(client, community, unit, liaison):
    pledged = make_resource(unit, community)
    free = make_resource(unit, community)
    pending = make_resource(unit, community)
    project = make_project(community)
    for resource, status in ((pledged, ClaimStatus.APPROVED), (pending, ClaimStatus.PENDING)):
        db.session.add(
            Claim(
                project=make_project(community) if status is ClaimStatus.PENDING else project,
                claimant_type=ClaimantType.UNIT,
                unit_id=unit.id,
                claimant_key=f"unit:{unit.id}",
                status=status,
                resources=[resource],
            )
        )
    db.session.flush()
    body = client.get("/api/v1/resources", headers=bearer(liaison)).json
    committed = {r["id"]: r["committed"] for r in body["items"]}
    assert committed == {pledged.id: True, free.id: False, pending.id: False}
    one = client.get(f"/api/v1/resources/{pledged.id}", headers=bearer(liaison)).json
    assert one["committed"] is True


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": "-3"}, "quantity"),
        ({"quantity": "很多"}, "quantity"),
        ({"kind": "spaceship"}, "kind"),
        ({"title": " "}, "title"),
        ({"available_from": "2027-01-01", "available_until": "2026-01-01"}, "available_until"),
    ],
)
def test_a_bad_offer_is_422_and_creates_nothing(client, community, unit, liaison, overrides, field):
    response = client.post(
        "/api/v1/resources", json=offer(community, unit, **overrides), headers=bearer(liaison)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _count_resources() == 0


def test_a_neighbourhood_of_another_community_is_422(client, community, unit, liaison):
    elsewhere = make_community().neighbourhoods[0].id
    response = client.post(
        "/api/v1/resources",
        json=offer(community, unit, neighbourhood_ids=[elsewhere]),
        headers=bearer(liaison),
    )
    assert response.status_code == 422 and "neighbourhood_ids" in response.json["errors"]
    assert _count_resources() == 0


def test_a_liaison_cannot_offer_for_another_unit(client, community, liaison):
    other = make_unit(community)
    response = client.post(
        "/api/v1/resources", json=offer(community, other), headers=bearer(liaison)
    )
    assert response.status_code == 403 and _count_resources() == 0


def test_a_resident_cannot_offer(client, community, unit):
    response = client.post(
        "/api/v1/resources", json=offer(community, unit), headers=bearer(make_resident(community))
    )
    assert response.status_code == 403 and _count_resources() == 0


@pytest.mark.parametrize("path, body", [("/list", None), ("/send_back", {"reason": "自己退回"})])
def test_a_liaison_cannot_review_her_own_offer(client, community, unit, liaison, path, body):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    response = client.post(
        f"/api/v1/resources/{resource.id}{path}", json=body, headers=bearer(liaison)
    )
    assert response.status_code == 403
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.OFFERED


def test_send_back_needs_a_reason(client, community, unit, secretary):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    response = client.post(
        f"/api/v1/resources/{resource.id}/send_back", json={}, headers=bearer(secretary)
    )
    assert response.status_code == 422 and "reason" in response.json["errors"]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("patch", "", {"title": "改名", "version": 1}),
        ("post", "/list", None),
        ("post", "/withdraw", None),
    ],
)
def test_another_communitys_resource_is_404(client, secretary, method, path, body):
    other = make_community()
    theirs = make_resource(make_unit(other), other, status=ResourceStatus.OFFERED)
    response = getattr(client, method)(
        f"/api/v1/resources/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/resources"), ("post", "/api/v1/resources"), ("get", "/api/v1/resources/1")]
    + [("post", f"/api/v1/resources/1/{a}") for a in ("list", "send_back", "reoffer", "withdraw")],
)
def test_the_resources_api_needs_a_token(client, method, path):
    assert getattr(client, method)(path).status_code == 401


def test_listing_resources_costs_the_same_queries_for_3_or_12(
    client, community, unit, liaison, count_queries
):
    headers = bearer(liaison)
    for _ in range(3):
        make_resource(unit, community)
    with count_queries() as few:
        client.get("/api/v1/resources", headers=headers)
    for _ in range(9):
        make_resource(unit, community)
    with count_queries() as many:
        assert len(client.get("/api/v1/resources", headers=headers).json["items"]) == 12
    assert many.n == few.n


def test_offering_to_another_community_is_404(client, community, unit, liaison):
    other = make_community()
    response = client.post(
        "/api/v1/resources", json=offer(other, unit, neighbourhood_ids=[]), headers=bearer(liaison)
    )
    assert response.status_code == 404 and _count_resources() == 0
