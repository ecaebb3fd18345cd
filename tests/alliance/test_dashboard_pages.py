"""The community page's charts: figures with a table behind them, each linked to its list."""

import re
from datetime import timedelta

from coop.categories import Category
from coop.dbtypes import utcnow
from coop.needs.models import NeedStatus
from coop.stats_monthly import month
from coop.timeutil import COMMUNITY_TZ
from tests.factories import login, make_community, make_need, make_secretary, make_volunteer


def _this_month():
    return month(utcnow().astimezone(COMMUNITY_TZ).date()).key


def test_community_page_charts_each_month_with_a_table_behind(client, ctx):
    community = make_community()
    make_need(community, category=Category.CARE)
    login(client, make_secretary(community))

    page = client.get(f"/communities/{community.id}").get_data(as_text=True)

    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    assert page.count("<table>") >= 6
    assert "查看数据表" in page
    assert " style=" not in page.split('id="trends-title"')[1].split('id="rates-title"')[0]


def test_a_months_figure_links_to_the_needs_that_came_in_that_month(client, ctx):
    community = make_community()
    for _ in range(3):
        make_need(community, category=Category.CARE)
    make_need(community, category=Category.POLICY)
    make_need(community, category=Category.CARE, created_at=utcnow() - timedelta(days=40))
    login(client, make_secretary(community))
    key = _this_month()

    page = client.get(f"/communities/{community.id}").get_data(as_text=True)
    link = (
        f"/communities/{community.id}/needs?category=%E5%85%B3%E5%BF%83%E5%85%B3%E7%88%B1"
        f"&amp;created_in={key}"
    )
    assert f'<a href="{link}">3</a>' in page

    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(r'href="/needs/\d+"', listed)) == 3


def test_solved_figure_links_to_the_needs_solved_that_month(client, ctx):
    community = make_community()
    make_need(community, status=NeedStatus.RESOLVED, resolved_at=utcnow())
    make_need(community)
    login(client, make_secretary(community))

    listed = client.get(f"/communities/{community.id}/needs?resolved_in={_this_month()}").get_data(
        as_text=True
    )

    assert len(re.findall(r'href="/needs/\d+"', listed)) == 1


def test_needs_month_filter_refuses_a_month_that_is_not_one(client, ctx):
    community = make_community()
    login(client, make_secretary(community))

    response = client.get(f"/communities/{community.id}/needs?created_in=2026-13")

    assert response.status_code == 422


def test_a_volunteer_sees_the_charts_without_links_to_staff_lists(client, ctx):
    community = make_community()
    make_need(community, category=Category.CARE)
    login(client, make_volunteer(community))

    page = client.get(f"/communities/{community.id}").get_data(as_text=True)

    assert 'class="chart"' in page
    assert "created_in=" not in page


def test_tiles_link_to_the_lists_they_count(client, ctx):
    community = make_community()
    login(client, make_secretary(community))

    page = client.get(f"/communities/{community.id}").get_data(as_text=True)
    tiles = page.split('<dl class="stats">')[1].split("</dl>")[0]

    assert f'href="/communities/{community.id}/units"' in tiles
    assert f'href="/communities/{community.id}/activities"' in tiles
    assert f'href="/communities/{community.id}/people"' in tiles
