"""The secretary holds an alliance meeting: she schedules it (a second 联盟大会 in the half year
is refused, so a 联席会议), shows its QR at the door, a liaison signs her unit in from her phone
with the QR's link, she ticks another unit, writes the minutes and a 决议, and turns the 决议
into a draft project; then she records the alliance's 推选 of the next term's deputy (协商一致)
and certifies it."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.alliance.models import Alliance
from coop.dbtypes import utcnow
from coop.meetings import views as meetings_views
from coop.terms import queries as terms_queries
from coop.terms import service as terms_service
from coop.timeutil import COMMUNITY_TZ
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr(meetings_views, "utcnow", clock)
    return clock


@pytest.fixture
def next_term(live_db, xingwang_id):
    """The half year after this one, opened as the clock opens it (its deputy not chosen yet)."""
    with live_db() as session:
        alliance = session.scalar(sa.select(Alliance).where(Alliance.community_id == xingwang_id))
        today = terms_queries.local_day(utcnow())
        after = (today.replace(day=1) + timedelta(days=190)).replace(day=1)
        period = terms_queries.half_year_of(after)
        terms_service.open_term_for(alliance.id, period, now=utcnow())
        session.flush()
        starts = terms_queries.term_at(alliance.id, after)
        return starts.id


def local(moment) -> str:
    return moment.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M")


def test_the_secretary_holds_an_assembly_and_records_the_deputy_choice(
    page: Page, new_context, login, axe, xingwang_id, clock, next_term
):
    title = f"浏览器测试联盟会议{clock.now:%H%M%S}"
    starts_at = clock.now + timedelta(minutes=30)

    # --- The secretary schedules the assembly -------------------------------------------------
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/meetings")
    expect(page.get_by_role("heading", level=1)).to_contain_text("联盟会议")
    axe(page)
    page.get_by_role("link", name="安排联盟大会").click()
    page.get_by_label("会议名称").fill(title)
    page.get_by_label("召开时间").fill(local(starts_at))
    page.get_by_label("地点").fill("党群服务中心二楼")
    page.get_by_label("议程").fill("1. 推选轮值副书记\n2. 车棚改造")
    page.get_by_role("button", name="安排并通知").click()
    # The demo's term has its 联盟大会 already: one a half year, so she is told, beside the type,
    # with what she typed kept, and holds a 联席会议 instead.
    kind = page.get_by_label("会议类型")
    expect(page.locator("#e-kind")).to_contain_text("联盟大会每半年一次")
    expect(kind).to_be_focused()
    expect(page.get_by_label("会议名称")).to_have_value(title)
    kind.select_option(label="联席会议")
    page.get_by_role("button", name="安排并通知").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_role("status").filter(has_text="已安排联席会议")).to_be_visible()
    expect(page.get_by_role("img", name="会议签到二维码")).to_be_visible()
    meeting_id = int(re.search(r"/meetings/(\d+)", page.url)[1])
    code = re.sub(r"\D", "", page.locator(".checkin-code").inner_text())
    axe(page)

    # --- The liaison of 康达物业公司 scans the QR with her phone --------------------------------
    phone = new_context(**VIEWPORTS["phone"]).new_page()
    login(phone, "unit")
    phone.goto(f"/meetings/{meeting_id}/checkin?code={code}")  # what the QR encodes
    expect(phone.get_by_role("heading", level=1)).to_have_text("会议签到")
    expect(phone.get_by_text("为康达物业公司签到")).to_be_visible()
    expect(phone.get_by_label("签到码（6 位数字）")).to_have_value(code)
    axe(phone)
    fits_the_phone(phone)
    phone.get_by_role("button", name="签到", exact=True).click()
    expect(phone.get_by_role("status").filter(has_text="签到成功")).to_be_visible()
    expect(phone.locator(".done")).to_contain_text("康达物业公司已签到")
    shot(phone, "meeting-checkin-phone")

    # --- The secretary sees it, and ticks a unit whose liaison has no phone with her --------------
    page.reload()
    kangda = page.locator(".rows li", has_text="康达物业公司")
    expect(kangda).to_contain_text("扫码签到")
    other = page.locator(".rows li", has=page.get_by_role("button", name="登记出席")).first
    other_name = other.locator(".row-title").inner_text()
    other.get_by_role("button", name="登记出席").click()
    expect(page.get_by_role("status").filter(has_text="已登记出席")).to_be_visible()
    expect(page.locator(".rows li", has_text=other_name)).to_contain_text("工作人员登记")

    # --- After the start: minutes and a 决议 turned into a project ------------------------------
    clock.now = starts_at + timedelta(hours=1)
    page.reload()
    page.get_by_label("纪要").fill("会议推选轮值副书记，商定新建车棚加装充电装置。")
    page.get_by_role("button", name="保存纪要").click()
    expect(page.get_by_role("status").filter(has_text="已保存会议纪要")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("已召开")
    page.get_by_label("决议内容").fill("新建车棚加装充电计时装置")
    page.get_by_label("牵头单位").select_option(label="康达物业公司")
    due = (starts_at + timedelta(days=30)).astimezone(COMMUNITY_TZ).date().isoformat()
    page.get_by_label("完成期限").fill(due)
    page.get_by_role("button", name="记录决议").click()
    expect(page.get_by_role("status").filter(has_text="已记录决议")).to_be_visible()
    resolution = page.locator("li.card", has_text="新建车棚加装充电计时装置")
    expect(resolution).to_contain_text("牵头单位：康达物业公司")
    axe(page)
    shot(page, "meeting-held")
    resolution.get_by_label("项目类别").select_option(label="便民服务")
    resolution.get_by_role("button", name="转为项目").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("新建车棚加装充电计时装置")
    expect(page.get_by_text("来自会议决议")).to_contain_text(title)  # the link back
    page.goto(f"/meetings/{meeting_id}")
    expect(page.locator("li.card", has_text="新建车棚加装充电计时装置")).to_contain_text(
        "已转为项目"
    )

    # --- The next term's deputy: nominated, agreed by consensus, certified ----------------------
    page.goto(f"/terms/{next_term}/election")
    expect(page.get_by_role("heading", level=1)).to_contain_text("推选轮值副书记")
    expect(page.get_by_role("heading", name="轮值情况")).to_be_visible()
    axe(page)
    page.get_by_label("推选方式").select_option(label="协商一致")
    candidate = page.locator("#start .check, form .check").first
    candidate_name = candidate.locator("label").inner_text()
    candidate.locator("input").check()
    page.get_by_role("button", name="提名", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已提名候选单位")).to_be_visible()
    boxes = page.locator("form .check input[name=unit_ids]")
    for index in range(3):
        boxes.nth(index).check()
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已登记同意的单位")).to_be_visible()
    page.get_by_label("担任轮值副书记的同志").fill("钱志远")
    page.get_by_role("button", name="确认结果").click()
    expect(page.get_by_role("status").filter(has_text="推选结果已确认")).to_be_visible()
    expect(page.locator(".card dl")).to_contain_text(f"{candidate_name} · 钱志远")
    expect(page.locator("#rotation").locator("xpath=following::table[1]")).to_contain_text(
        "尚未担任"
    )
    axe(page)
    shot(page, "meeting-election")
    page.goto(f"/terms/{next_term}")
    expect(page.locator(".term-summary")).to_contain_text(f"钱志远（{candidate_name}")
