"""The street's comparison of its communities: sortable table, chart, period, Excel export."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from coop.dbtypes import utcnow
from coop.needs.models import NeedStatus
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    login,
    make_community,
    make_need,
    make_secretary,
    make_street,
    make_street_admin,
)


@pytest.fixture
def street(ctx):
    street = make_street()
    busy = make_community(street, name="甲社区")
    quiet = make_community(street, name="乙社区")
    for _ in range(3):
        make_need(busy)
    make_need(quiet)
    make_need(quiet, status=NeedStatus.RESOLVED, resolved_at=utcnow())
    return street


def _names_in_order(page: str) -> list[str]:
    return sorted(("甲社区", "乙社区"), key=lambda n: page.index(f">{n}</a></th>"))


def _row(page: str, name: str) -> str:
    return page.split(f">{name}</a></th>")[1].split("</tr>")[0].strip()


def test_street_admin_sees_her_communities_side_by_side(client, street):
    login(client, make_street_admin(street))

    page = client.get(f"/streets/{street.id}/comparison").get_data(as_text=True)

    assert 'class="chart"' in page
    assert _row(page, "甲社区").startswith("<td>3</td><td>0</td>")
    assert _row(page, "乙社区").startswith("<td>2</td><td>1</td>")
    assert "社区对比" in page  # in her menu


def test_comparison_sorts_on_the_server_by_the_column_asked(client, street):
    login(client, make_street_admin(street))

    most_first = client.get(f"/streets/{street.id}/comparison?sort=-needs_in").get_data(
        as_text=True
    )
    least_first = client.get(f"/streets/{street.id}/comparison?sort=needs_in").get_data(
        as_text=True
    )
    solved_first = client.get(f"/streets/{street.id}/comparison?sort=-needs_solved").get_data(
        as_text=True
    )

    assert _names_in_order(most_first) == ["甲社区", "乙社区"]
    assert _names_in_order(least_first) == ["乙社区", "甲社区"]
    assert _names_in_order(solved_first) == ["乙社区", "甲社区"]
    assert 'aria-sort="descending"' in most_first


def test_a_year_adds_up_its_months(client, street):
    login(client, make_street_admin(street))
    year = utcnow().astimezone(COMMUNITY_TZ).year

    page = client.get(f"/streets/{street.id}/comparison?period={year}").get_data(as_text=True)

    assert _row(page, "甲社区").startswith("<td>3</td>")


@pytest.mark.parametrize("query", ["period=2026-13", "period=26", "sort=password", "period=2099"])
def test_comparison_refuses_a_period_or_sort_that_is_not_one(client, street, query):
    login(client, make_street_admin(street))

    assert client.get(f"/streets/{street.id}/comparison?{query}").status_code == 422
    assert client.get(f"/streets/{street.id}/comparison.xlsx?{query}").status_code == 422


def test_only_the_streets_admin_compares_its_communities(client, street, ctx):
    other_street = make_street()
    login(client, make_street_admin(other_street))
    assert client.get(f"/streets/{street.id}/comparison").status_code == 404
    login(client, make_secretary(make_community(street)))
    assert client.get(f"/streets/{street.id}/comparison").status_code == 404


def test_export_holds_the_table_as_sorted(client, street):
    login(client, make_street_admin(street))

    response = client.get(f"/streets/{street.id}/comparison.xlsx?sort=-needs_solved")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("社区", "新登记需求", "办结需求")
    assert rows[1][:3] == ("乙社区", 2, 1)
    assert rows[2][:3] == ("甲社区", 3, 0)


def test_last_months_needs_count_in_last_month_only(client, street, ctx):
    login(client, make_street_admin(street))
    busy = next(c for c in street.communities if c.name == "甲社区")
    make_need(busy, created_at=utcnow() - timedelta(days=45))

    page = client.get(f"/streets/{street.id}/comparison").get_data(as_text=True)

    assert _row(page, "甲社区").startswith("<td>3</td>")


def test_comparison_queries_do_not_grow_with_the_communities(client, street, count_queries):
    login(client, make_street_admin(street))
    client.get(f"/streets/{street.id}/comparison")  # warm: session, grants, translations
    with count_queries() as two:
        client.get(f"/streets/{street.id}/comparison")
    for _ in range(4):
        make_need(make_community(street))
    with count_queries() as six:
        page = client.get(f"/streets/{street.id}/comparison").get_data(as_text=True)

    assert page.count('<th scope="row">') == 6
    assert six.n == two.n
