"""服务承诺: the community's table of time limits, its API and its settings page."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.needs import commitments
from coop.needs.models import ServiceCommitment, Urgency
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_need,
    make_resident,
    make_secretary,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _table(**change) -> list[dict]:
    """Every cell at its default, with ``change`` applied to each."""
    return [
        {
            "category": cell["category"].value,
            "urgency": cell["urgency"].value,
            "respond_hours": cell["respond_hours"],
            "resolve_days": cell["resolve_days"],
            **change,
        }
        for cell in commitments.commitments_of(0)
    ]


def _own_rows(community) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(ServiceCommitment.community_id == community.id)
    )


def test_defaults_are_24_hours_and_3_days_for_urgent_72_hours_and_30_days_for_normal(community):
    cells = {(c["category"], c["urgency"]): c for c in commitments.commitments_of(community.id)}
    assert len(cells) == 15
    urgent = next(c for (_, u), c in cells.items() if u is Urgency.URGENT)
    normal = next(c for (_, u), c in cells.items() if u is Urgency.NORMAL)
    assert (urgent["respond_hours"], urgent["resolve_days"], urgent["is_default"]) == (24, 3, True)
    assert (normal["respond_hours"], normal["resolve_days"]) == (72, 30)


def test_a_need_comes_in_with_the_communitys_own_commitment(community, secretary):
    table = _table()
    for cell in table:
        if cell["category"] == "关心关爱" and cell["urgency"] == "urgent":
            cell.update(respond_hours=4, resolve_days=2)
    commitments.set_commitments(secretary, community.id, table)
    need = make_need(community, urgency=Urgency.URGENT)
    assert need.respond_by == need.created_at + timedelta(hours=4)
    assert need.resolve_by == need.created_at + timedelta(days=2)


def test_api_reads_and_sets_the_table(client, community, secretary):
    response = client.get(
        f"/api/v1/communities/{community.id}/commitments", headers=bearer(secretary)
    )
    assert response.status_code == 200 and len(response.json["items"]) == 15
    response = client.put(
        f"/api/v1/communities/{community.id}/commitments",
        json={"items": _table(respond_hours=12, resolve_days=5)},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert {
        (c["respond_hours"], c["resolve_days"], c["is_default"]) for c in response.json["items"]
    } == {(12, 5, False)}
    assert _own_rows(community) == 15


@pytest.mark.parametrize(
    "change, field",
    [
        ({"respond_hours": -1}, "respond_hours"),
        ({"respond_hours": 0}, "respond_hours"),
        ({"resolve_days": 100000}, "resolve_days"),
        ({"respond_hours": "abc"}, "respond_hours"),
    ],
)
def test_a_negative_or_absurd_time_is_422_and_changes_nothing(
    client, community, secretary, change, field
):
    table = _table()
    table[0].update(change)
    response = client.put(
        f"/api/v1/communities/{community.id}/commitments",
        json={"items": table},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert field in response.json["errors"]["items"]["0"]
    assert _own_rows(community) == 0


def test_solving_promised_before_answering_is_422_and_changes_nothing(client, community, secretary):
    table = _table()
    table[0].update(respond_hours=72, resolve_days=1)
    response = client.put(
        f"/api/v1/communities/{community.id}/commitments",
        json={"items": table},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    key = f"{table[0]['category']}.{table[0]['urgency']}"
    assert response.json["errors"][key] == ["办结时限不能短于答复时限。"]
    assert _own_rows(community) == 0


def test_a_missing_cell_is_422_and_changes_nothing(client, community, secretary):
    response = client.put(
        f"/api/v1/communities/{community.id}/commitments",
        json={"items": _table()[1:]},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert "请填写这一项。" in next(iter(response.json["errors"].values()))
    assert _own_rows(community) == 0


def test_a_resident_may_read_but_not_set_the_table(client, community):
    resident = make_resident(community)
    url = f"/api/v1/communities/{community.id}/commitments"
    assert client.get(url, headers=bearer(resident)).status_code == 200
    assert client.put(url, json={"items": _table()}, headers=bearer(resident)).status_code == 403
    assert _own_rows(community) == 0


def test_another_communitys_table_is_404(client, community):
    other = make_secretary(make_community())
    url = f"/api/v1/communities/{community.id}/commitments"
    assert client.get(url, headers=bearer(other)).status_code == 404
    assert client.put(url, json={"items": _table()}, headers=bearer(other)).status_code == 404


def _form(**change) -> dict:
    form = {}
    for cell in _table(**change):
        key = f"{cell['category']}.{cell['urgency']}"
        form[f"{key}.respond_hours"] = str(cell["respond_hours"])
        form[f"{key}.resolve_days"] = str(cell["resolve_days"])
    return form


def test_the_settings_page_shows_and_saves_the_table(client, community, secretary):
    login(client, secretary)
    path = f"/communities/{community.id}/commitments"
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "服务承诺" in text and 'name="关心关爱.urgent.respond_hours"' in text
    response = client.post(path, data={**_form(resolve_days=10), "csrf_token": csrf(client, path)})
    assert response.status_code == 302
    assert {row.resolve_days for row in db.session.scalars(sa.select(ServiceCommitment))} == {10}


def test_the_settings_page_redraws_a_bad_time_with_its_message_and_saves_nothing(
    client, community, secretary
):
    login(client, secretary)
    path = f"/communities/{community.id}/commitments"
    form = _form()
    form["便民服务.soon.respond_hours"] = "-5"
    response = client.post(path, data={**form, "csrf_token": csrf(client, path)})
    assert response.status_code == 422
    assert "答复时限应为 1–720 小时。" in response.get_data(as_text=True)
    assert _own_rows(community) == 0
