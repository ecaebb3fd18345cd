from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.resources.models import Resource, ResourceKind, ResourceStatus
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业")


def _count_resources() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Resource))


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/resources",
        "/communities/{c}/resources/new",
        "/resources/{r}/send-back",
        "/resources/{r}/withdraw",
    ],
)
def test_another_communitys_resource_pages_are_not_found(client, community, unit, path):
    resource = make_resource(unit, community)
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, r=resource.id)).status_code == 404


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_only_units_and_the_secretary_offer_resources(client, community, make):
    login(client, make(community))
    assert client.get(f"/communities/{community.id}/resources/new").status_code == 403


def test_a_liaison_may_not_send_back_an_offer(client, community, unit):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    login(client, make_liaison(unit))
    assert client.get(f"/resources/{resource.id}/send-back").status_code == 403


def test_everyone_reads_the_listed_resources_only(client, community, unit):
    make_resource(unit, community, title="周末义诊医生")
    make_resource(unit, community, title="尚未审核的场地", status=ResourceStatus.OFFERED)
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/resources").get_data(as_text=True)
    assert "周末义诊医生" in html and "康达物业" in html
    assert "尚未审核的场地" not in html and "申报资源" not in html


def test_the_kind_filter_answers_htmx_with_the_rows_only(client, community, unit):
    make_resource(unit, community, title="会议室", kind=ResourceKind.VENUE)
    make_resource(unit, community, title="慰问金", kind=ResourceKind.FUNDS)
    login(client, make_resident(community))
    path = f"/communities/{community.id}/resources?kind=venue"
    response = client.get(path, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "会议室" in html and "慰问金" not in html
    assert "<html" in client.get(path).get_data(as_text=True)


def test_an_empty_resource_list_says_so(client, community):
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/resources").get_data(as_text=True)
    assert "还没有列入清单的资源。" in html


def test_secretary_lists_a_pending_offer(client, community, unit):
    resource = make_resource(unit, community, title="法律咨询", status=ResourceStatus.OFFERED)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/resources"
    html = client.get(path).get_data(as_text=True)
    assert "待审核的资源" in html and "法律咨询" in html and "退回" in html
    response = client.post(
        f"/resources/{resource.id}/list", data={"csrf_token": csrf(client, path)}
    )
    assert response.location == path
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.LISTED


def test_sending_back_needs_a_reason_the_unit_then_reads(client, community, unit):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    login(client, make_secretary(community))
    path = f"/resources/{resource.id}/send-back"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": " "})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.OFFERED
    client.post(path, data={"csrf_token": csrf(client, path), "reason": "请写明可提供的时间"})
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.RETURNED

    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/resources").get_data(as_text=True)
    assert "社区退回：请写明可提供的时间" in html and "重新提交" in html


def test_liaison_offers_for_her_unit(client, community, unit):
    login(client, make_liaison(unit))
    path = f"/communities/{community.id}/resources/new"
    html = client.get(path).get_data(as_text=True)
    assert f'name="unit_id" value="{unit.id}"' in html and "康达物业" in html
    first, second = community.neighbourhoods
    form = {
        "csrf_token": csrf(client, path),
        "unit_id": str(unit.id),
        "kind": "expertise",
        "title": "家电维修",
        "category": "便民服务",
        "quantity": "4",
        "unit_of_measure": "人",
        "available_from": "2026-12-01",
        "available_until": "2027-06-30",
        "neighbourhood_ids": [str(first.id), str(second.id)],
    }
    response = client.post(path, data=form)
    assert response.location == f"/communities/{community.id}/resources"
    resource = db.session.scalars(sa.select(Resource).where(Resource.title == "家电维修")).one()
    assert resource.status is ResourceStatus.OFFERED and resource.unit_id == unit.id
    assert resource.quantity == Decimal("4")
    assert {n.id for n in resource.neighbourhoods} == {first.id, second.id}
    html = client.get(response.location).get_data(as_text=True)
    assert "康达物业申报的资源" in html and "家电维修" in html and "待审核" in html


def test_an_invalid_offer_shows_errors_and_changes_nothing(client, community, unit):
    login(client, make_liaison(unit))
    path = f"/communities/{community.id}/resources/new"
    before = _count_resources()
    form = {
        "csrf_token": csrf(client, path),
        "unit_id": str(unit.id),
        "kind": "venue",
        "title": "",
        "quantity": "0",
        "unit_of_measure": "间",
        "available_from": "2027-01-02",
        "available_until": "2027-01-01",
        "neighbourhood_ids": [str(community.neighbourhoods[1].id)],
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "此项必填" in html and "数量应大于 0" in html
    assert f'value="{community.neighbourhoods[1].id}" checked' in html
    assert _count_resources() == before


def test_a_liaison_cannot_offer_for_another_unit(client, community, unit):
    other = make_unit(community)
    login(client, make_liaison(unit))
    path = f"/communities/{community.id}/resources/new"
    form = {
        "csrf_token": csrf(client, path),
        "unit_id": str(other.id),
        "kind": "venue",
        "title": "别人的会议室",
        "quantity": "1",
        "unit_of_measure": "间",
    }
    assert client.post(path, data=form).status_code == 403
    assert (
        db.session.scalars(sa.select(Resource).where(Resource.title == "别人的会议室")).all() == []
    )


def test_liaison_withdraws_an_offer_after_confirming(client, community, unit):
    resource = make_resource(unit, community)
    login(client, make_liaison(unit))
    path = f"/resources/{resource.id}/withdraw"
    assert "确认撤回" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path)})
    assert response.location == f"/communities/{community.id}/resources"
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.WITHDRAWN


def test_liaison_offers_a_returned_resource_again(client, community, unit):
    resource = make_resource(unit, community, status=ResourceStatus.RETURNED)
    login(client, make_liaison(unit))
    token = csrf(client, f"/communities/{community.id}/resources")
    client.post(f"/resources/{resource.id}/reoffer", data={"csrf_token": token})
    db.session.refresh(resource)
    assert resource.status is ResourceStatus.OFFERED
