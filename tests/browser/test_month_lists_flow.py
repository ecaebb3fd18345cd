"""A month's figure, followed: on a phone (375 x 812) the secretary follows the hours and the
activities chart's figure for one month to the list filtered to that month, sees the month in the
filter and only that month's rows, and clears it; in 积分台账 she finds a volunteer by name, looks
at one month and exports what she sees."""

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from coop.activities.models import Activity
from coop.auth.models import User
from coop.hours.models import ServiceRecord
from coop.ledger import standings
from coop.ledger.models import Account, AccountType, Entry, Posting, PostingKind
from coop.timeutil import COMMUNITY_TZ
from tests.browser.pages import fits_the_phone, nav, shot

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture
def context(new_context):
    return new_context(**PHONE)


def _month_of_last_bar(chart) -> tuple[str, int]:
    """The latest month whose bar links to a list: its key (from the link) and its figure."""
    bar = chart.locator("svg a").last
    href = bar.get_attribute("href")
    figure = re.search(r": ([\d.]+)$", bar.get_attribute("aria-label")).group(1)
    bar.click()
    return re.search(r"month=(\d{4}-\d{2})", href).group(1), figure


def _verified_ids(page: Page) -> list[int]:
    """The records listed under 已核实 (the queue to verify sits above it, of any month)."""
    rows = page.locator('h2#verified ~ ul.rows > li[id^="record-"]')
    return [
        int(i.removeprefix("record-")) for i in rows.evaluate_all("(els) => els.map(e => e.id)")
    ]


def test_the_secretary_follows_a_months_hours_to_the_filtered_list(page: Page, login, axe, live_db):
    login(page, "secretary")
    nav(page, "社区").click()
    hours_chart = page.locator("figure.chart-figure").filter(has_text="每月核实服务时长")
    month, _figure = _month_of_last_bar(hours_chart)

    expect(page).to_have_url(re.compile(rf"/hours\?month={month}#verified$"))
    expect(page.get_by_label("按服务月份查看")).to_have_value(month)
    expect(page.get_by_role("status").filter(has_text=f"只显示 {month} 的服务记录")).to_be_visible()
    shown = _verified_ids(page)
    assert shown, "the month the chart counts hours for lists its records"
    with live_db() as session:
        served = session.scalars(
            sa.select(ServiceRecord.service_date).where(ServiceRecord.id.in_(shown))
        ).all()
    assert {d.strftime("%Y-%m") for d in served} == {month}
    fits_the_phone(page)
    axe(page)
    shot(page, "hours-month-phone")

    page.get_by_role("link", name="看全部月份").click()
    expect(page).not_to_have_url(re.compile(r"month="))
    expect(page.get_by_label("按服务月份查看")).to_have_value("")
    expect(page.get_by_role("status").filter(has_text="只显示")).to_have_count(0)


def test_the_secretary_follows_a_months_activities_to_the_filtered_list(page: Page, login, live_db):
    login(page, "secretary")
    nav(page, "社区").click()
    chart = page.locator("figure.chart-figure").filter(has_text="每月开展活动场次")
    month, figure = _month_of_last_bar(chart)

    expect(page).to_have_url(re.compile(rf"/activities\?month={month}$"))
    expect(page.get_by_label("按月份查看（该月结束的活动）")).to_have_value(month)
    expect(page.get_by_role("status")).to_contain_text(f"只显示 {month} 结束的活动")
    ended = page.locator("ul.rows > li")
    assert ended.count() >= int(float(figure)) > 0  # held ones, plus any cancelled that month
    links = ended.locator("a[href*='/activities/']").evaluate_all(
        "(els) => els.map(e => e.getAttribute('href'))"
    )
    ids = {int(re.search(r"/activities/(\d+)", h).group(1)) for h in links}
    with live_db() as session:
        ends = session.scalars(sa.select(Activity.ends_at).where(Activity.id.in_(ids))).all()
    assert {e.astimezone(COMMUNITY_TZ).strftime("%Y-%m") for e in ends} == {month}
    fits_the_phone(page)

    page.get_by_role("link", name="看全部月份").click()
    expect(page).not_to_have_url(re.compile(r"month="))
    expect(page.get_by_label("按月份查看（该月结束的活动）")).to_have_value("")


def _a_volunteer_with_points(live_db, community_id: int) -> tuple[str, str]:
    """A volunteer of the community who was issued points for hours, and the month of it."""
    with live_db() as session:
        name, at = session.execute(
            sa.select(Account.owner_id, Entry.created_at)
            .join(Entry, Entry.account_id == Account.id)
            .join(Posting, Posting.id == Entry.posting_id)
            .where(
                Account.type == AccountType.VOLUNTEER,
                Account.community_id == community_id,
                Posting.kind == PostingKind.HOURS,
                Entry.amount > 0,
            )
            .order_by(Entry.created_at.desc())
            .limit(1)
        ).one()
        return session.get(User, name).display_name, at.astimezone(COMMUNITY_TZ).strftime("%Y-%m")


def test_the_secretary_finds_exports_a_volunteers_month_of_points(
    page: Page, login, axe, live_db, live_app, xingwang_id
):
    name, month = _a_volunteer_with_points(live_db, xingwang_id)
    with live_app.test_request_context(), live_db():
        [expected] = [
            s
            for s in standings.all_standings(xingwang_id, q=name, month=month)
            if s.volunteer.display_name == name
        ]
    login(page, "secretary")
    page.get_by_text("更多", exact=True).click()
    nav(page, "积分台账").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("积分台账")
    fits_the_phone(page)
    axe(page)
    shot(page, "points-ledger-phone")

    page.get_by_label("搜索姓名或用户名").fill(name)
    expect(page).to_have_url(re.compile(r"q="))
    rows = page.locator("#standings-rows li")
    expect(rows.first).to_contain_text(name)
    for text in rows.locator(".row-title").all_inner_texts():
        assert name in text
    page.get_by_label("月份（只算该月的获得和兑换）").fill(month)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"month={month}"))
    expect(page.locator("#standings-rows")).to_contain_text(f"获得和兑换：{month}")
    row = page.locator(f"#standing-{expected.account_id}")
    expect(row.locator("dd").nth(2)).to_have_text(str(expected.issued))
    fits_the_phone(page)
    shot(page, "points-ledger-filtered-phone")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    header = values.index(next(r for r in values if r and r[0] == "姓名"))
    mine = [r for r in values[header + 1 :] if r and r[0] == name]
    assert mine and mine[0][3:7] == (
        expected.balance,
        expected.held,
        expected.issued,
        expected.spent,
    )
    assert all(r[0] and name in r[0] for r in values[header + 1 :] if r and r[0])
