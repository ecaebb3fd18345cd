"""The honours API: status codes and shapes for each rule and bad input; nothing written when
refused."""

import pytest
import sqlalchemy as sa

from coop.alliance.models import Honour, PioneerWeights
from coop.auth.models import Role, RoleGrant
from coop.extensions import db
from tests.factories import bearer, make_community, make_secretary, make_unit
from tests.honours.conftest import YEAR, fulfilled_claim


def _count(model=Honour) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _nominate(client, secretary, community, unit, **overrides):
    body = {
        "community_id": community.id,
        "kind": "pioneer",
        "holder_id": unit.id,
        "year": YEAR,
        **overrides,
    }
    return client.post("/api/v1/nominations", json=body, headers=bearer(secretary))


def test_nominate_approve_and_list(client, secretary, admin, community, unit):
    fulfilled_claim(unit, community)
    response = _nominate(client, secretary, community, unit, citation="按期完成")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "nominated" and body["holder_name"] == "康达物业测试"
    assert body["record"]["claims"] == 1 and body["title"] == "同心共建先锋"
    approved = client.post(f"/api/v1/nominations/{body['id']}/approve", headers=bearer(admin))
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    listed = client.get(
        f"/api/v1/nominations?community_id={community.id}&status=approved",
        headers=bearer(secretary),
    )
    assert listed.json["total"] == 1 and listed.json["items"][0]["id"] == body["id"]


def test_approval_by_the_nominator_is_403_and_changes_nothing(client, community, unit):
    both = make_secretary(community)
    both.grants.append(RoleGrant(role=Role.STREET_ADMIN, street_id=community.street_id))
    db.session.flush()
    honour_id = _nominate(client, both, community, unit).json["id"]
    response = client.post(f"/api/v1/nominations/{honour_id}/approve", headers=bearer(both))
    assert response.status_code == 403 and response.json["code"] == "own_nomination"
    assert db.session.get(Honour, honour_id).status.value == "nominated"


def test_a_second_honour_for_the_same_unit_and_year_is_409(client, secretary, community, unit):
    assert _nominate(client, secretary, community, unit).status_code == 201
    response = _nominate(client, secretary, community, unit)
    assert response.status_code == 409 and response.json["code"] == "already_honoured"
    assert _count() == 1


def test_nominating_a_unit_that_is_not_a_member_is_422(client, secretary, community):
    stranger = make_unit(make_community())
    response = _nominate(client, secretary, community, stranger)
    assert response.status_code == 422 and response.json["code"] == "not_a_member"
    assert _count() == 0


@pytest.mark.parametrize(
    "overrides",
    [{"kind": "gold"}, {"holder_id": 0}, {"year": "last"}, {"citation": "长" * 1001}],
)
def test_bad_input_is_422_and_nothing_written(client, secretary, community, unit, overrides):
    response = _nominate(client, secretary, community, unit, **overrides)
    assert response.status_code == 422 and _count() == 0


def test_the_street_admin_cannot_nominate(client, admin, community, unit):
    assert _nominate(client, admin, community, unit).status_code == 403
    assert _count() == 0


def test_another_communitys_secretary_gets_404(client, secretary, community, unit):
    honour_id = _nominate(client, secretary, community, unit).json["id"]
    stranger = make_secretary(make_community())
    response = client.get(f"/api/v1/nominations/{honour_id}", headers=bearer(stranger))
    assert response.status_code == 404


def test_return_needs_a_reason(client, secretary, admin, community, unit):
    honour_id = _nominate(client, secretary, community, unit).json["id"]
    url = f"/api/v1/nominations/{honour_id}/return"
    assert client.post(url, json={"reason": " "}, headers=bearer(admin)).status_code == 422
    response = client.post(url, json={"reason": "请补充"}, headers=bearer(admin))
    assert response.status_code == 200 and response.json["return_reason"] == "请补充"


def test_revoke_an_approved_honour(client, secretary, admin, community, unit):
    honour_id = _nominate(client, secretary, community, unit).json["id"]
    client.post(f"/api/v1/nominations/{honour_id}/approve", headers=bearer(admin))
    response = client.post(
        f"/api/v1/nominations/{honour_id}/revoke", json={"reason": "虚报"}, headers=bearer(admin)
    )
    assert response.status_code == 200 and response.json["status"] == "revoked"
    assert _count() == 1


def test_the_pioneer_index_lists_every_unit_with_weights(
    client, secretary, community, unit, other_unit
):
    fulfilled_claim(unit, community)
    response = client.get(
        f"/api/v1/communities/{community.id}/pioneer-index", headers=bearer(secretary)
    )
    assert response.status_code == 200
    body = response.json
    assert body["weights"]["claims"] == 30
    assert [u["name"] for u in body["units"]] == ["康达物业测试", "兴旺小学测试"]
    assert body["units"][0]["index"] == 30.0


def test_weights_that_do_not_sum_to_100_are_422(client, secretary, community):
    weights = {"claims": 30, "hours": 30, "activities": 30, "ratings": 30, "resources": 30}
    response = client.put(
        f"/api/v1/communities/{community.id}/pioneer-weights",
        json=weights,
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and response.json["code"] == "bad_weights"
    assert _count(PioneerWeights) == 0


@pytest.mark.parametrize("year", ["-34", "0", "99999999999", "1999", "2101"])
def test_a_year_off_the_calendar_is_422_not_an_error(client, secretary, community, year):
    for path in (
        f"/api/v1/communities/{community.id}/pioneer-index?year={year}",
        f"/api/v1/nominations?community_id={community.id}&year={year}",
    ):
        response = client.get(path, headers=bearer(secretary))
        assert response.status_code == 422, (path, response.json)
        assert response.json["errors"]["year"] == ["请填写 2000–2100 年之间的年份。"]
