"""The community page's charts: figures with a table behind them, each linked to its list."""

import re
from datetime import timedelta

from coop.categories import Category
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.stats_monthly import month
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    login,
    make_activity,
    make_community,
    make_need,
    make_secretary,
    make_unit,
    make_volunteer,
)


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


def _grow(community, numbers: range) -> None:
    """More of everything the dashboard shows: units with offices, terms and mechanisms,
    needs that came in and were solved over several months, sessions held, a rating."""
    from coop.alliance.models import AllianceOffice, Mechanism, OfficeRole, Term
    from coop.needs.models import NeedRating
    from coop.timeutil import local_today

    alliance = community.alliance
    today = local_today()
    secretary = make_secretary(community)
    for i in numbers:
        unit = make_unit(community)
        term = Term(
            alliance_id=alliance.id,
            name=f"第{i}届",
            starts_on=today - timedelta(days=400 * (i + 1)),
            ends_on=today - timedelta(days=400 * i + 1) if i else today + timedelta(days=90),
        )
        db.session.add(term)
        db.session.flush()
        db.session.add_all(
            [
                AllianceOffice(
                    alliance_id=alliance.id,
                    role=OfficeRole.MEMBER,
                    holder_name=f"委员{i}",
                    unit_id=unit.id,
                ),
                AllianceOffice(
                    alliance_id=alliance.id,
                    role=OfficeRole.DEPUTY,
                    holder_name=f"副书记{i}",
                    unit_id=unit.id,
                    term_id=term.id,
                ),
                Mechanism(alliance_id=alliance.id, name=f"机制{i}", position=i),
            ]
        )
        came_in = utcnow() - timedelta(days=31 * i)
        solved = make_need(
            community,
            status=NeedStatus.RESOLVED,
            created_at=came_in,
            respond_by=came_in + timedelta(days=1),
            resolve_by=came_in + timedelta(days=7),
            listed_at=came_in,
            resolved_at=came_in + timedelta(days=2),
        )
        db.session.add(NeedRating(need_id=solved.id, round=1, stars=5, rated_by_id=secretary.id))
        make_activity(community, starts_at=came_in - timedelta(days=1))
    db.session.flush()


def test_the_dashboard_sends_as_many_statements_for_a_busy_year_as_for_a_quiet_one(
    client, ctx, count_queries
):
    community = make_community()
    login(client, make_secretary(community))
    path = f"/communities/{community.id}"
    _grow(community, range(1))
    assert client.get(path).status_code == 200  # the first request also renews her session
    with count_queries() as quiet:
        first = client.get(path)
    _grow(community, range(1, 6))
    with count_queries() as busy:
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert "委员4" in second.get_data(as_text=True)  # what was added is shown
    assert busy.n == quiet.n <= 24, f"{quiet.n} statements, then {busy.n}"


def test_the_dashboards_figures_in_one_statement_are_community_stats_own(ctx, count_queries):
    from coop import stats
    from coop.timeutil import local_today

    community = make_community()
    _grow(community, range(3))
    make_volunteer(community)
    make_volunteer(community, party=False)
    today, now = local_today(), utcnow()

    with count_queries() as sent:
        figures = stats.dashboard_figures(community, today, now)

    assert sent.n == 1
    full = stats.community_stats(community, today, now)
    assert figures == {name: full[name] for name in figures}
    assert figures["alliance_units"] == 3 and figures["party_member_volunteers"] == 1
    assert figures["activities_held"] == 3 and figures["people_visited"] == 1
