"""积分台账: the community's volunteers with balance, reserved, issued and spent points, for its
staff; filtered by name and month, paged, exported as shown; refusals write nothing."""

from datetime import timedelta

import pytest

from coop import stats_monthly
from coop.dbtypes import utcnow
from coop.ledger import service as ledger
from coop.ledger import standings
from coop.ledger.models import AccountType, PostingKind
from coop.rewards import service as rewards
from tests.exports.test_list_exports import values
from tests.factories import (
    login,
    make_community,
    make_reward_item,
    make_secretary,
    make_volunteer,
)

_n = iter(range(10_000, 99_999))


def issue(volunteer, community, points, kind=PostingKind.HOURS):
    """Points leave the pool for her, as verified hours post them."""
    pool = ledger.account_for(AccountType.POOL, community.id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    n = next(_n)
    ledger.post(
        key=f"test:issue:{n}",
        kind=kind,
        source_type="test",
        source_id=n,
        lines=[(pool, -points), (mine, points)],
    )


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def people(community, secretary):
    """张 with 120 issued, 50 spent at the supermarket and 30 reserved; 李 with 40 issued."""
    zhang = make_volunteer(community, display_name="张桂兰", phone="13812345678")
    li = make_volunteer(community, display_name="李志强")
    issue(zhang, community, 120)
    issue(li, community, 40)
    now = utcnow()
    picked = rewards.reserve(zhang, make_reward_item(community, cost=50).id, now=now)
    rewards.pickup(secretary, picked.id, now=now)
    rewards.reserve(zhang, make_reward_item(community, cost=30).id, now=now)
    return zhang, li


def test_staff_see_each_volunteers_points(client, community, secretary, people):
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/points").get_data(as_text=True)
    assert "积分台账" in html and "共 2 人" in html and "获得和兑换：累计至今" in html
    # the export sits by the count, above the rows, not after a long page of them
    assert html.index("导出 Excel") < html.index('id="standing-')
    rows = standings.standings(list(standings_accounts(community)), community.id, month=None)
    by_name = {s.volunteer.display_name: s for s in rows}
    assert (by_name["张桂兰"].balance, by_name["张桂兰"].held) == (40, 30)
    assert (by_name["张桂兰"].issued, by_name["张桂兰"].spent) == (120, 50)
    assert (by_name["李志强"].balance, by_name["李志强"].issued, by_name["李志强"].spent) == (
        40,
        40,
        0,
    )
    assert "138****5678" in html and "13812345678" not in html


def standings_accounts(community):
    from coop.extensions import db

    return db.session.scalars(standings.accounts_select(community.id))


def test_the_figures_add_up_to_the_dashboards(client, community, secretary, people):
    now = utcnow()
    period = stats_monthly.month(now.astimezone(stats_monthly.COMMUNITY_TZ).date())
    month = period.key
    rows = list(standings.all_standings(community.id, q="", month=month))
    issued = stats_monthly.points_issued([community.id], [period])[(community.id, 0)]
    spent = stats_monthly.points_spent([community.id], [period])[(community.id, 0)]
    assert sum(s.issued for s in rows) == issued == 160
    assert sum(s.spent for s in rows) == spent == 50
    last_year = (now - timedelta(days=400)).strftime("%Y-%m")
    assert {
        (s.issued, s.spent) for s in standings.all_standings(community.id, q="", month=last_year)
    } == {(0, 0)}


def test_the_dashboards_points_figures_open_the_list_for_the_month(
    client, community, secretary, people
):
    login(client, secretary)
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    month = utcnow().astimezone(stats_monthly.COMMUNITY_TZ).strftime("%Y-%m")
    assert f"/communities/{community.id}/points?month={month}" in html
    page = client.get(f"/communities/{community.id}/points", query_string={"month": month})
    assert f"获得和兑换：{month}" in page.get_data(as_text=True)


def test_filter_by_name_and_the_export_holds_what_is_shown(client, community, secretary, people):
    login(client, secretary)
    url = f"/communities/{community.id}/points"
    html = client.get(url, query_string={"q": "张"}).get_data(as_text=True)
    assert "张桂兰" in html and "李志强" not in html
    assert "q=%E5%BC%A0" in html  # the export link keeps the filter
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"q": "张"}))
    assert header == ("姓名", "用户名", "手机号", "可用积分", "兑换冻结", "获得积分", "已兑换积分")
    assert rows == [("张桂兰", rows[0][1], "138****5678", 40, 30, 120, 50)]
    assert isinstance(rows[0][1], str)
    _header, everyone = values(client.get(f"{url}/export.xlsx"))
    assert {r[0] for r in everyone} == {"张桂兰", "李志强"}


def test_paged(client, community, secretary):
    for i in range(23):
        issue(make_volunteer(community, display_name=f"志愿者{i:02d}"), community, 10 + i)
    login(client, secretary)
    url = f"/communities/{community.id}/points"
    first = client.get(url, query_string={"per_page": 20}).get_data(as_text=True)
    assert "志愿者22" in first and "共 23 人" in first and "下一页" in first
    assert "志愿者00" not in first  # the smallest balance is on the last page
    second = client.get(url, query_string={"page": 2, "per_page": 20}).get_data(as_text=True)
    assert "志愿者00" in second
    _header, rows = values(client.get(f"{url}/export.xlsx", query_string={"per_page": 20}))
    assert len(rows) == 23 and rows[0][0] == "志愿者22"


@pytest.mark.parametrize(
    "args", [{"month": "2026-13"}, {"month": "202611"}, {"page": "0"}, {"q": "长" * 33}]
)
def test_bad_filters_are_422(client, community, secretary, people, args):
    login(client, secretary)
    for suffix in ("", "/export.xlsx"):
        answer = client.get(f"/communities/{community.id}/points{suffix}", query_string=args)
        assert answer.status_code == 422


def test_only_the_communitys_staff(client, community, people):
    zhang, _li = people
    login(client, zhang)
    assert client.get(f"/communities/{community.id}/points").status_code == 403
    assert client.get(f"/communities/{community.id}/points/export.xlsx").status_code == 403
    login(client, make_secretary(make_community()))
    assert client.get(f"/communities/{community.id}/points").status_code == 404
    assert client.get(f"/communities/{community.id}/points/export.xlsx").status_code == 404
