import pytest
import sqlalchemy as sa

from coop.alliance.models import Unit
from coop.extensions import db
from tests.factories import (
    PASSWORD,
    bearer,
    make_community,
    make_resident,
    make_secretary,
    make_unit,
    make_user,
)


@pytest.fixture
def community(ctx):
    return make_community()


def test_a_token_is_issued_for_good_credentials(client, ctx):
    user = make_user()
    response = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 201 and response.json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200 and me.json["username"] == user.username


def test_bad_credentials_get_401_in_the_error_shape(client, ctx):
    response = client.post("/api/v1/tokens", json={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    assert response.json["code"] == "invalid_credentials" and response.json["message"]


def test_a_malformed_token_request_is_422_with_field_errors(client, ctx):
    response = client.post("/api/v1/tokens", json={"username": 5})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"username", "password"}


def test_malformed_json_is_400(client, ctx):
    response = client.post(
        "/api/v1/tokens", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json["code"] == "bad_request"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_the_api_needs_a_live_token(client, ctx, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.json["code"] in (
        "unauthorized",
        "invalid_token",
    )


def test_a_revoked_token_stops_working(client, community):
    headers = bearer(make_resident(community))
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_expired_token_stops_working(client, community):
    from datetime import timedelta

    from coop.auth import service
    from coop.dbtypes import utcnow

    raw, token = service.issue_token(make_resident(community))
    token.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_me_tells_grants_and_scope(client, community):
    response = client.get("/api/v1/me", headers=bearer(make_secretary(community)))
    assert response.json["grants"][0]["role"] == "secretary"
    assert response.json["community_ids"] == [community.id]


def test_communities_list_only_the_callers(client, community):
    make_community()
    response = client.get("/api/v1/communities", headers=bearer(make_resident(community)))
    assert [c["id"] for c in response.json["items"]] == [community.id]
    assert response.json["items"][0]["neighbourhoods"][0]["name"] == "邻里单元1"


def test_another_communitys_objects_are_404(client, community):
    other = make_community()
    theirs = make_unit(other)
    headers = bearer(make_secretary(community))
    for path in (
        f"/api/v1/communities/{other.id}",
        f"/api/v1/communities/{other.id}/stats",
        f"/api/v1/units/{theirs.id}",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.json["code"] == "not_found", path


def test_stats_are_computed_from_rows(client, community):
    from coop.alliance.models import UnitKind

    make_unit(community, kind=UnitKind.MUNICIPAL)
    make_unit(community, kind=UnitKind.DISTRICT, live=False)
    response = client.get(
        f"/api/v1/communities/{community.id}/stats", headers=bearer(make_resident(community))
    )
    stats = response.json
    assert stats["neighbourhoods"] == 2 and stats["alliance_units"] == 2
    assert stats["alliance_units_by_kind"] == {
        "municipal": 1,
        "stationed": 0,
        "district": 1,
        "social": 0,
    }
    assert stats["units_with_live_agreement"] == 1


def test_units_filter_and_paginate(client, community):
    from coop.alliance.models import UnitKind

    for n in range(3):
        make_unit(community, name=f"市直{n}", kind=UnitKind.MUNICIPAL)
    make_unit(community, name="驻区", kind=UnitKind.STATIONED)
    headers = bearer(make_resident(community))
    response = client.get("/api/v1/units?kind=municipal&per_page=2&page=2", headers=headers)
    assert response.json["total"] == 3 and response.json["page"] == 2
    assert len(response.json["items"]) == 1
    assert client.get("/api/v1/units?per_page=500", headers=headers).status_code == 422


def test_unit_shows_only_agreements_with_the_callers_communities(client, community):
    from coop.alliance import service
    from coop.timeutil import local_today
    from tests.factories import make_agreement

    other = make_community()
    shared = make_unit(community)
    service.link_unit(make_secretary(other), other.id, shared.id, joined_on=local_today())
    make_agreement(shared, other, scope="另一个社区的协议")
    body = client.get(f"/api/v1/units/{shared.id}", headers=bearer(make_resident(community))).json
    assert body["community_ids"] == [community.id]
    assert {a["community_id"] for a in body["agreements"]} == {community.id}
    assert body["has_live_agreement"] is True


def test_secretary_adds_a_unit_and_its_agreement(client, community):
    headers = bearer(make_secretary(community))
    response = client.post(
        f"/api/v1/communities/{community.id}/units",
        json={"name": "区司法所", "kind": "district"},
        headers=headers,
    )
    assert response.status_code == 201 and response.json["has_live_agreement"] is False
    unit_id = response.json["id"]
    response = client.post(
        f"/api/v1/communities/{community.id}/units/{unit_id}/agreements",
        json={
            "signed_on": "2026-01-01",
            "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
            "scope": "法律咨询",
        },
        headers=headers,
    )
    assert response.status_code == 201 and response.json["status"] == "live"
    agreement_id = response.json["id"]
    response = client.post(
        f"/api/v1/agreements/{agreement_id}/end", json={"reason": "到期前终止"}, headers=headers
    )
    assert response.status_code == 200 and response.json["status"] == "ended"
    again = client.post(
        f"/api/v1/agreements/{agreement_id}/end", json={"reason": "再次"}, headers=headers
    )
    assert again.status_code == 409 and again.json["code"] == "agreement_already_ended"


def test_a_resident_cannot_add_a_unit(client, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/units",
        json={"name": "居民的单位", "kind": "district"},
        headers=bearer(make_resident(community)),
    )
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert db.session.scalars(sa.select(Unit).where(Unit.name == "居民的单位")).all() == []


def test_a_unit_joining_in_the_future_is_422_and_not_added(client, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/units",
        json={"name": "未来的单位", "kind": "district", "joined_on": "2099-01-01"},
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 422
    assert response.json["errors"]["joined_on"] == ["加入日期不能晚于今天。"]
    assert db.session.scalars(sa.select(Unit).where(Unit.name == "未来的单位")).all() == []


def test_bad_agreement_dates_are_422_and_change_nothing(client, community):
    unit = make_unit(community, live=False)
    response = client.post(
        f"/api/v1/communities/{community.id}/units/{unit.id}/agreements",
        json={
            "signed_on": "2026-01-01",
            "starts_on": "2026-06-01",
            "ends_on": "2026-01-01",
            "scope": "x x",
        },
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 422 and "ends_on" in response.json["errors"]
    assert unit.agreements == []


def test_the_api_is_exempt_from_csrf_but_pages_are_not(client, community):
    """Token-authenticated POSTs need no CSRF token (tested above); a cookie does not reach the API."""
    from tests.factories import login

    login(client, make_secretary(community))
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_openapi_describes_operations_and_the_error_shape(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/tokens", "/api/v1/me", "/api/v1/communities/{community_id}/stats"} <= set(
        spec["paths"]
    )
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert error["code"]["type"] == "string" and "errors" in error
    stats_get = spec["paths"]["/api/v1/communities/{community_id}/stats"]["get"]
    assert {"200", "401", "404"} <= set(stats_get["responses"])
    post_unit = spec["paths"]["/api/v1/communities/{community_id}/units"]["post"]
    assert {"201", "403", "422"} <= set(post_unit["responses"]) and "requestBody" in post_unit
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_listing_units_costs_the_same_queries_for_3_or_12_units(client, community, count_queries):
    headers = bearer(make_resident(community))
    for _ in range(3):
        make_unit(community)
    with count_queries() as few:
        client.get("/api/v1/units", headers=headers)
    for _ in range(9):
        make_unit(community)
    with count_queries() as many:
        assert len(client.get("/api/v1/units", headers=headers).json["items"]) == 12
    assert many.n == few.n


def test_no_token_is_401_even_with_a_bad_body(client, community):
    response = client.post(f"/api/v1/communities/{community.id}/units", json={"name": 5})
    assert response.status_code == 401 and response.json["code"] == "unauthorized"
