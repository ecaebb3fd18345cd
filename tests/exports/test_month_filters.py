"""The activities and hours lists take ?month=YYYY-MM; the community page's monthly figures open
them filtered to that month; the exports follow the filter; a malformed month is a 422."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from coop.hours.models import RecordStatus
from coop.timeutil import COMMUNITY_TZ, local_midnight
from tests.documents.helpers import served
from tests.exports.test_list_exports import values
from tests.factories import (
    bearer,
    login,
    make_activity,
    make_community,
    make_secretary,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _held(community, title, day: date):
    start = local_midnight(day) + timedelta(hours=9)
    return make_activity(community, title=title, starts_at=start)


def test_the_activities_list_and_its_export_keep_to_the_month(client, community, secretary):
    _held(community, "十月的敬老活动", date(2026, 10, 31))
    _held(community, "十一月的义诊", date(2026, 11, 1))
    _held(community, "十一月的清扫", date(2026, 11, 30))
    login(client, secretary)
    url = f"/communities/{community.id}/activities"
    html = client.get(url, query_string={"month": "2026-11"}).get_data(as_text=True)
    assert "十一月的义诊" in html and "十一月的清扫" in html
    assert "十月的敬老活动" not in html
    assert 'value="2026-11"' in html and "只显示 2026-11 结束的活动" in html
    assert "month=2026-11" in html  # the export link carries it
    _header, rows = values(client.get(f"{url}/export.xlsx", query_string={"month": "2026-11"}))
    assert sorted(row[1] for row in rows) == ["十一月的义诊", "十一月的清扫"]
    everything = client.get(url).get_data(as_text=True)
    assert "十月的敬老活动" in everything


def test_the_api_filters_activities_by_month(client, community, secretary):
    _held(community, "十月的敬老活动", date(2026, 10, 15))
    _held(community, "十一月的义诊", date(2026, 11, 15))
    answer = client.get(
        "/api/v1/activities",
        query_string={"community_id": community.id, "month": "2026-10"},
        headers=bearer(secretary),
    )
    assert answer.status_code == 200
    assert [a["title"] for a in answer.json["items"]] == ["十月的敬老活动"]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "2026-11-01", "二〇二六-11"])
def test_a_malformed_month_is_422_on_every_list(client, community, secretary, month):
    login(client, secretary)
    for url in (
        f"/communities/{community.id}/activities",
        f"/communities/{community.id}/activities/export.xlsx",
        f"/communities/{community.id}/hours",
    ):
        answer = client.get(url, query_string={"month": month})
        assert answer.status_code == 422, url
        assert "请按提示修改" in answer.get_data(as_text=True)
    for url in ("/api/v1/activities", "/api/v1/service-records"):
        answer = client.get(url, query_string={"month": month}, headers=bearer(secretary))
        assert answer.status_code == 422, url
        assert "YYYY-MM" in str(answer.json), answer.json


def test_the_hours_list_keeps_to_the_month_served(client, community, secretary):
    her = make_volunteer(community, display_name="赵春梅")
    him = make_volunteer(community, display_name="孙建国")
    clerk = make_secretary(community)
    served(her, community, clerk, 2, days_ago=0)  # 2026-11-01
    served(him, community, clerk, 3, days_ago=1)  # 2026-10-31
    served(him, community, clerk, 1, days_ago=0, status=RecordStatus.PENDING, activity=False)
    login(client, secretary)
    html = client.get(
        f"/communities/{community.id}/hours", query_string={"month": "2026-11"}
    ).get_data(as_text=True)
    verified = html[html.index('id="verified"') :]
    assert "赵春梅" in verified and "孙建国" not in verified
    assert "只显示 2026-11 的服务记录，共1条" in verified
    # the month's total is the chart's (hours_monthly), and the tile says which month it counts
    assert "当月核实时长合计 2小时" in verified
    assert "2026-11已核实" in html[: html.index('id="verified"')]
    assert 'value="2026-11-01"' in verified and 'value="2026-11-30"' in verified  # export range
    answer = client.get(
        "/api/v1/service-records",
        query_string={"community_id": community.id, "month": "2026-10"},
        headers=bearer(secretary),
    )
    assert [r["hours"] for r in answer.json["items"]] == [3.0]


def test_the_dashboards_monthly_figures_open_the_list_for_that_month(client, community, secretary):
    now = datetime.now(COMMUNITY_TZ)
    this_month = now.strftime("%Y-%m")
    her = make_volunteer(community)
    served(
        her,
        community,
        make_secretary(community),
        Decimal("1.5"),
        days_ago=(date(2026, 11, 1) - now.date()).days,
    )
    login(client, secretary)
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert f"/communities/{community.id}/hours?month={this_month}#verified" in html
    page = client.get(
        f"/communities/{community.id}/hours", query_string={"month": this_month}
    ).get_data(as_text=True)
    assert "共1条" in page


def test_the_street_admins_dashboard_links_only_lists_she_may_open(client, community, secretary):
    """The street reads a community's needs and activities but not its hours or points
    ledgers: those figures are shown without a link, not linked to a 403."""
    her = make_volunteer(community)
    served(her, community, secretary, Decimal("1.5"), days_ago=0)
    admin = make_street_admin(community.street)
    login(client, admin)
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert f"/communities/{community.id}/hours?month=" not in html
    assert f"/communities/{community.id}/points?month=" not in html
    linked = set(re.findall(rf'href="(/communities/{community.id}/[^"#]*)', html))
    assert linked
    for path in linked:
        status = client.get(path.replace("&amp;", "&")).status_code
        assert status == 200, (path, status)
