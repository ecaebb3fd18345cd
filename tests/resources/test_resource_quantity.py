"""A resource's quantity: shown as a plain number, and refused past its limit with that limit."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.resources.models import Resource
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_liaison,
    make_project,
    make_resource,
    make_unit,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业")


def _count_resources() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Resource))


def _offer(community, unit, quantity) -> dict:
    return {
        "community_id": community.id,
        "unit_id": unit.id,
        "kind": "funds",
        "title": "车棚建设资金",
        "quantity": quantity,
        "unit_of_measure": "元",
    }


@pytest.mark.parametrize(
    ("quantity", "shown"),
    [
        (Decimal("1000000000"), "1,000,000,000"),
        (Decimal("123456.50"), "123,456.5"),
        (Decimal("2.25"), "2.25"),
        (Decimal("4"), "4"),
    ],
)
def test_the_resource_list_shows_a_quantity_as_a_plain_number(
    client, community, unit, quantity, shown
):
    make_resource(unit, community, quantity=quantity, unit_of_measure="元")
    login(client, make_liaison(unit))
    html = client.get(f"/communities/{community.id}/resources").get_data(as_text=True)
    assert f"数量 {shown} 元" in html and "e+" not in html


def test_the_claim_panel_shows_a_pledgeable_quantity_as_a_plain_number(client, community, unit):
    make_resource(
        unit, community, title="车棚建设资金", quantity=Decimal("1e9"), unit_of_measure="元"
    )
    project = make_project(community)
    login(client, make_liaison(unit))
    html = client.get(f"/projects/{project.id}/claim").get_data(as_text=True)
    assert "车棚建设资金（1,000,000,000 元）" in html and "1e+09" not in html


def test_a_quantity_of_a_billion_is_accepted(client, community, unit):
    response = client.post(
        "/api/v1/resources",
        json=_offer(community, unit, 1_000_000_000),
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 201 and response.json["quantity"] == 1_000_000_000
    resource = db.session.get(Resource, response.json["id"])
    assert resource.quantity == Decimal("1000000000")


@pytest.mark.parametrize(
    "quantity", [2_147_483_648, "1000000000.01", "1e12", "9" * 40, 10**40, "1e999999"]
)
def test_a_quantity_past_the_limit_says_the_limit_and_creates_nothing(
    client, community, unit, quantity
):
    response = client.post(
        "/api/v1/resources",
        json=_offer(community, unit, quantity),
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 422
    assert response.json["errors"]["quantity"] == ["数量不能超过 1,000,000,000。"]
    assert _count_resources() == 0


@pytest.mark.parametrize("quantity", [0, "-1", "0.001"])
def test_a_quantity_of_nothing_says_it_should_be_more(client, community, unit, quantity):
    response = client.post(
        "/api/v1/resources",
        json=_offer(community, unit, quantity),
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 422
    assert response.json["errors"]["quantity"] == ["数量应大于 0。"]
    assert _count_resources() == 0


@pytest.mark.parametrize("quantity", ["NaN", "Infinity", "-Infinity", "很多"])
def test_a_quantity_that_is_no_number_we_store_is_refused(client, community, unit, quantity):
    response = client.post(
        "/api/v1/resources",
        json=_offer(community, unit, quantity),
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 422 and "quantity" in response.json["errors"]
    assert _count_resources() == 0


def test_the_offer_form_refuses_a_quantity_past_the_limit_with_the_limit(client, community, unit):
    login(client, make_liaison(unit))
    path = f"/communities/{community.id}/resources/new"
    form = {
        "csrf_token": csrf(client, path),
        "unit_id": str(unit.id),
        "kind": "funds",
        "title": "车棚建设资金",
        "quantity": "2147483648",
        "unit_of_measure": "元",
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "数量不能超过 1,000,000,000。" in html and "数量应大于 0" not in html
    assert 'value="2147483648"' in html
    assert _count_resources() == 0
