"""服务落地 end to end on a phone: the secretary schedules a session; the volunteer signs up on
the card (htmx, no reload), checks in and out with the code, the secretary verifies the hours in
时长核实, and 我的积分 grows by the record's points. And 代签到: an organiser checks in an elderly
volunteer without a phone, found by name, and the roster says who checked her in. axe checks
every page.

Each person has a browser context of her own. The tests schedule their own sessions under fresh
names and read balances before and after: the demo's own activities and points may change.

Time. Hours run from check-in to check-out in hundredths of an hour rounded down, and points are
whole (hours × the rate, rounded down), so a check-out seconds after check-in makes no record
("签到不足一分钟") and a real wait would need six minutes for a single point. And the demo books
``volunteer`` for a session starting within the half hour, so a session of ours around the real
now would clash with it ("您已报名同一时间的…"). So the service flow runs on a day of its own: the
activity pages' clock (``coop.activities.views.utcnow``, which hands ``now`` to every check-in
and check-out) is set to a day after every session in the database, and moved on by the test
from check-in to the session's end. The live server runs in this process, so that is one
``monkeypatch``, undone after the test; the demo moves the ledger's clock the same way. 代签到
needs no clock: it runs in real time.
"""

import re
import uuid
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.activities import views as activity_views
from coop.activities.models import Activity
from coop.auth.models import Role, RoleGrant, User
from coop.people.models import Team, TeamMember
from coop.timeutil import COMMUNITY_TZ, local_today
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, nav, shot

ACTIVITY_URL = re.compile(r"/activities/(\d+)$")
ELDERLY_TEAM = "红色夕阳志愿服务队"  # coop/demo: 退休老党员为主
SESSION = timedelta(hours=2)


def unique(what: str) -> str:
    return f"浏览器{what}-{uuid.uuid4().hex[:8]}"


def local_input(moment: datetime) -> str:
    """A datetime-local value: the moment in Beijing time, to the minute."""
    return moment.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M")


def hhmm(moment: datetime) -> str:
    return moment.astimezone(COMMUNITY_TZ).strftime("%H:%M")


class ServerClock:
    """What ``utcnow()`` answers in the activity pages while a test holds it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        assert moment >= self.now, "the clock only goes forward"
        self.now = moment


@pytest.fixture
def server_clock(monkeypatch, live_db):
    """The activity pages' clock, stopped at 09:50 (Beijing) on a day after every session in the
    live database, when nobody is booked for anything."""
    with live_db() as session:
        last = session.scalar(
            sa.select(Activity.ends_at).order_by(Activity.ends_at.desc()).limit(1)
        )
    day = (
        local_today() if last is None else max(local_today(), last.astimezone(COMMUNITY_TZ).date())
    )
    start = datetime.combine(day + timedelta(days=1), time(9, 50), tzinfo=COMMUNITY_TZ)
    clock = ServerClock(start)
    monkeypatch.setattr(activity_views, "utcnow", clock)
    return clock


def display_name(live_db, username: str) -> str:
    with live_db() as session:
        return session.scalar(sa.select(User.display_name).where(User.username == username))


def schedule(page: Page, axe, community_id: int, title: str, starts_at: datetime) -> int:
    """The signed-in secretary schedules a two-hour session from 活动; returns its id."""
    nav(page, "活动").click()
    expect(page).to_have_url(re.compile(rf"/communities/{community_id}/activities$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("志愿活动")
    axe(page)
    page.get_by_role("link", name="安排活动").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("安排活动")
    axe(page)
    page.get_by_label("活动名称").fill(title)
    page.get_by_label("活动地点").fill("党群服务中心一楼大厅")
    page.get_by_label("开始时间").fill(local_input(starts_at))
    page.get_by_label("结束时间").fill(local_input(starts_at + SESSION))
    page.get_by_label("报名名额").fill("10")
    page.get_by_label("活动内容（可不填）").fill("帮老年人在手机上办理医保认证。")
    page.get_by_role("button", name="安排活动").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_url(ACTIVITY_URL)
    expect(page.get_by_role("status").filter(has_text="已安排活动")).to_contain_text(title)
    expect(page.locator("#roster")).to_contain_text("已报名 0/10 人，已签到 0 人")
    return int(ACTIVITY_URL.search(page.url).group(1))


def checkin_code(page: Page) -> str:
    """The code on the organiser's activity page: six digits, shown as 123 456."""
    code = re.sub(r"\D", "", page.locator(".checkin-code").inner_text())
    assert re.fullmatch(r"\d{6}", code), code
    return code


def balance(page: Page) -> int:
    """The signed-in volunteer's 可用积分, read from 我的积分."""
    nav(page, "我的积分").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的积分")
    amount = page.locator("#points-summary .balance")
    expect(amount).to_have_text(re.compile(r"^\d+$"))
    return int(amount.inner_text())


def test_a_volunteer_signs_up_checks_in_and_out_and_earns_points(
    page: Page, new_context, login, axe, xingwang_id, live_db, server_clock
):
    title = unique("活动")
    starts_at = server_clock.now + timedelta(minutes=10)  # 10:00: check-in opened at 09:30
    ends_at = starts_at + SESSION
    volunteer_name = display_name(live_db, "volunteer")
    secretary_name = display_name(live_db, "secretary")

    # --- The secretary schedules the session and reads the code on its page ------------------
    secretary = page
    login(secretary, "secretary")
    activity_id = schedule(secretary, axe, xingwang_id, title, starts_at)
    expect(secretary.get_by_role("heading", name="现场签到")).to_be_visible()
    code = checkin_code(secretary)
    expect(secretary.get_by_role("img", name="签到二维码")).to_be_visible()
    axe(secretary)

    # --- The volunteer's balance before, then she signs up on the card --------------------------
    volunteer = new_context(**VIEWPORTS["phone"]).new_page()
    login(volunteer, "volunteer")
    before = balance(volunteer)
    axe(volunteer)

    nav(volunteer, "活动").click()
    expect(volunteer.get_by_role("heading", level=1)).to_contain_text("志愿活动")
    card = volunteer.locator(f"#activity-{activity_id}")
    expect(card.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(card).to_contain_text(f"{starts_at.astimezone(COMMUNITY_TZ):%Y-%m-%d} 10:00–12:00")
    expect(card).to_contain_text("剩余名额 10/10")
    axe(volunteer)  # also waits for the load event: htmx (deferred) is listening
    signed_up_before = int(volunteer.locator("#signups-badge .count").inner_text())
    volunteer.evaluate("window.__sameDocument = true")  # gone if the page is reloaded

    with volunteer.expect_response(re.compile(rf"/activities/{activity_id}/signup$")) as answer:
        card.get_by_role("button", name="报名", exact=True).click()

    assert answer.value.request.headers.get("hx-request") == "true"
    panel = card.locator(f"#signup-panel-{activity_id}")
    expect(panel.get_by_role("status")).to_have_text(
        "报名成功！请按时到“党群服务中心一楼大厅”签到。"
    )
    expect(panel.get_by_text("已报名", exact=True)).to_be_visible()
    expect(panel).to_contain_text("剩余名额 9/10")
    expect(panel.get_by_role("button", name="报名", exact=True)).to_have_count(0)
    expect(panel.get_by_text("取消报名", exact=True)).to_be_visible()
    expect(volunteer.locator("#signups-badge .count")).to_have_text(str(signed_up_before + 1))
    assert volunteer.evaluate("window.__sameDocument") is True
    axe(volunteer)

    # --- She opens the check-in page and types the code -----------------------------------------
    panel.get_by_role("link", name="去签到").click()
    expect(volunteer).to_have_url(re.compile(rf"/activities/{activity_id}/checkin$"))
    expect(volunteer.get_by_role("heading", level=1)).to_have_text("签到")
    expect(volunteer.get_by_text("签到时间：09:30 至 12:00")).to_be_visible()
    axe(volunteer)
    volunteer.get_by_label("签到码（6 位数字）").fill(code)
    volunteer.get_by_role("button", name="签到", exact=True).click()

    expect(volunteer.get_by_role("status").filter(has_text="签到成功")).to_be_visible()
    done = volunteer.locator(".done")
    expect(done).to_contain_text(f"已签到 {hhmm(server_clock.now)}")
    expect(done).to_contain_text("活动结束时，请在这里签退。")
    axe(volunteer)

    # --- At the session's end, 2 h 10 min on by the server's clock, she checks out ---------
    server_clock.move_to(ends_at)
    volunteer.get_by_label("签到码（6 位数字）").fill(code)
    volunteer.get_by_role("button", name="签退", exact=True).click()

    # Counted for the session: from check-in, at most its two hours.
    expect(volunteer.get_by_role("status").filter(has_text="签退成功")).to_have_text(
        "签退成功！服务时长 2小时，社区核实后计入积分。"
    )
    expect(done).to_contain_text("已签到 09:50 · 已签退 12:00")
    expect(done).to_contain_text("服务时长 2小时")
    expect(done.get_by_text("待核实", exact=True)).to_be_visible()
    expect(volunteer.get_by_label("签到码（6 位数字）")).to_have_count(0)
    axe(volunteer)

    # --- The secretary verifies the hours in 时长核实 ------------------------------------------
    nav(secretary, "时长核实").click()
    expect(secretary).to_have_url(re.compile(rf"/communities/{xingwang_id}/hours$"))
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("时长核实")
    pending_count = secretary.locator("#queue-counts dd").first
    pending_before = int(pending_count.inner_text())
    record = secretary.locator("#pending + ul.rows > li").filter(has_text=title)
    expect(record).to_have_count(1)
    expect(record.locator(".row-title")).to_have_text(volunteer_name)
    expect(record).to_contain_text("2小时")
    expect(record).to_contain_text("本人签到签退")
    expect(record.get_by_text("待核实", exact=True)).to_be_visible()
    axe(secretary)  # also waits for the load event: htmx (deferred) is listening
    record_id = record.get_attribute("id")
    secretary.evaluate("window.__sameDocument = true")

    record.get_by_role("button", name="核实", exact=True).click()
    verified = secretary.locator(f"#{record_id}")
    expect(verified.get_by_text("已核实", exact=True)).to_be_visible()
    expect(verified).to_contain_text(f"核实人：{secretary_name}")
    expect(verified).to_contain_text("20 积分")  # 2 hours × 10
    expect(verified.get_by_role("button", name="核实", exact=True)).to_have_count(0)
    expect(pending_count).to_have_text(str(pending_before - 1))  # refetched on hours-changed
    assert secretary.evaluate("window.__sameDocument") is True
    axe(secretary)

    # --- Her 我的积分 has grown by the record's points ------------------------------------------
    assert balance(volunteer) == before + 20
    expect(volunteer.locator("#points-summary")).to_contain_text("每小时 10 积分")
    entry = volunteer.locator("ul.entries > li").filter(has_text=title)
    expect(entry.locator(".amount")).to_have_text("+20")
    expect(entry.locator(".row-title")).to_have_text("志愿服务时长")
    axe(volunteer)


def test_on_the_phone_check_out_waits_for_the_start_and_then_leaves_my_activities(
    page: Page, login, axe, xingwang_id, live_db, server_clock
):
    """Checked in early, she cannot check out before the start (the refusal keeps her checked
    in); after it she checks out, reads her hours in 小时/分钟, and 我的活动 offers no 去签退."""
    title = unique("活动")
    starts_at = server_clock.now + timedelta(minutes=10)  # 10:00; check-in opened at 09:30
    with live_db() as session:
        secretary_id = session.scalar(sa.select(User.id).where(User.username == "secretary"))
        activity = Activity(
            community_id=xingwang_id,
            title=title,
            place="党群服务中心一楼大厅",
            starts_at=starts_at,
            ends_at=starts_at + SESSION,
            capacity=10,
            created_by_id=secretary_id,
        )
        session.add(activity)
        session.flush()
        activity_id, code = activity.id, activity.checkin_code

    volunteer = page  # a phone: the context fixture's default viewport
    login(volunteer, "volunteer")
    nav(volunteer, "活动").click()
    card = volunteer.locator(f"#activity-{activity_id}")
    card.get_by_role("button", name="报名", exact=True).click()
    expect(card.get_by_text("已报名", exact=True)).to_be_visible()
    card.get_by_role("link", name="去签到").click()
    volunteer.get_by_label("签到码（6 位数字）").fill(code)
    volunteer.get_by_role("button", name="签到", exact=True).click()
    expect(volunteer.get_by_role("status").filter(has_text="签到成功")).to_be_visible()

    # 09:55, before the start: refused, and she is still checked in with the 签退 form.
    server_clock.move_to(starts_at - timedelta(minutes=5))
    volunteer.get_by_label("签到码（6 位数字）").fill(code)
    volunteer.get_by_role("button", name="签退", exact=True).click()
    expect(volunteer.get_by_role("alert")).to_contain_text("活动 10:00 才开始，开始后才能签退")
    expect(volunteer.locator(".done")).to_contain_text("已签到 09:50")
    expect(volunteer.get_by_role("button", name="签退", exact=True)).to_be_visible()
    axe(volunteer)

    # 11:20: an hour and a half after she checked in.
    server_clock.move_to(starts_at + timedelta(minutes=80))
    volunteer.get_by_label("签到码（6 位数字）").fill(code)
    volunteer.get_by_role("button", name="签退", exact=True).click()
    expect(volunteer.get_by_role("status").filter(has_text="签退成功")).to_have_text(
        "签退成功！服务时长 1小时30分钟，社区核实后计入积分。"
    )
    expect(volunteer.locator(".done")).to_contain_text("服务时长 1小时30分钟")

    volunteer.get_by_role("main").get_by_role("link", name="我的活动", exact=True).click()
    expect(volunteer.get_by_role("heading", level=1)).to_have_text("我的活动")
    mine = volunteer.locator("li.card").filter(has_text=title)
    expect(mine).to_contain_text("已签到 09:50")
    expect(mine).to_contain_text("已签退 11:20")
    expect(mine).to_contain_text("服务时长 1小时30分钟")
    expect(mine.get_by_text("待核实", exact=True)).to_be_visible()
    expect(mine.get_by_role("link", name="去签退")).to_have_count(0)
    expect(mine.get_by_role("link", name="去签到")).to_have_count(0)
    fits_the_phone(volunteer)
    axe(volunteer)
    mine.scroll_into_view_if_needed()
    shot(volunteer, "my-activities-after-check-out")


def an_elderly_volunteer(live_db, community_id: int) -> str:
    """A member of 红色夕阳志愿服务队 (retired party members), whose name no other volunteer of the
    community has: the organiser finds her by name. Returns her name."""
    with live_db() as session:
        names = sa.select(User.display_name).where(
            User.grants.any(
                sa.and_(RoleGrant.role == Role.VOLUNTEER, RoleGrant.community_id == community_id)
            )
        )
        unique_names = names.group_by(User.display_name).having(sa.func.count() == 1)
        name = session.scalar(
            sa.select(User.display_name)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(
                Team.community_id == community_id,
                Team.name == ELDERLY_TEAM,
                TeamMember.is_leader.is_(False),
                User.display_name.in_(unique_names),
            )
            .order_by(User.username)
            .limit(1)
        )
    assert name, f"no member of {ELDERLY_TEAM} with a name of her own"
    return name


def test_an_organiser_checks_in_an_elderly_volunteer_on_her_behalf(
    page: Page, login, axe, xingwang_id, live_db
):
    title = unique("活动")
    elder = an_elderly_volunteer(live_db, xingwang_id)
    organiser_name = display_name(live_db, "secretary")
    # Real time: starting in a few minutes, so check-in (from 30 minutes before) is open.
    starts_at = datetime.now(COMMUNITY_TZ) + timedelta(minutes=5)

    secretary = page
    login(secretary, "secretary")
    activity_id = schedule(secretary, axe, xingwang_id, title, starts_at)
    roster = secretary.locator("#roster")
    expect(roster.get_by_text("还没有人报名。")).to_be_visible()
    axe(secretary)  # also waits for the load event: htmx (deferred) is listening
    secretary.evaluate("window.__sameDocument = true")

    # She is not signed up: the organiser finds her by name.
    secretary.get_by_label("志愿者姓名").fill(elder)
    results = secretary.locator("#volunteer-results")
    found = results.locator("li").filter(has_text=elder)
    expect(found).to_have_count(1)
    axe(secretary)

    with secretary.expect_response(
        re.compile(rf"/activities/{activity_id}/checkin-for$")
    ) as answer:
        found.get_by_role("button", name="报名并代签到").click()

    assert answer.value.request.headers.get("hx-request") == "true"
    expect(roster).to_contain_text("已报名 1/10 人，已签到 1 人")
    row = roster.locator("li").filter(has_text=elder)
    expect(row).to_have_count(1)
    expect(row.get_by_text("已报名", exact=True)).to_be_visible()
    expect(row.locator(".badge", has_text="已签到")).to_have_text(
        re.compile(r"^已签到 \d{2}:\d{2}$")
    )
    expect(row).to_contain_text(f"{organiser_name}代签")
    expect(row.get_by_role("button", name="代签退")).to_be_visible()
    # The search asks again on signups-changed: she is signed up now, so no longer offered.
    expect(results).to_contain_text(f"没有找到还没报名的志愿者“{elder}”。")
    assert secretary.evaluate("window.__sameDocument") is True
    axe(secretary)

    # The whole page, loaded afresh, says the same.
    secretary.reload()
    row = secretary.locator("#roster li").filter(has_text=elder)
    expect(row).to_contain_text(f"{organiser_name}代签")
    expect(row.locator(".badge", has_text="已签到")).to_be_visible()
    axe(secretary)
