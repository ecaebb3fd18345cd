"""编辑 end to end on phones: the secretary moves a published project and one of its sessions;
the volunteer signed up for that session finds both changes, old time → new time, in her
inbox. axe checks every page; the edit pages fit the phone.

The project and its session are made for the test on a day after every session in the live
database, so signing the demo's ``volunteer`` up clashes with nothing she is booked for.
"""

import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.activities import service as activities
from coop.activities.models import Activity
from coop.alliance.models import Community
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.needs.models import Need, NeedStatus
from coop.projects.models import Project
from coop.timeutil import COMMUNITY_TZ, local_today
from tests import factories
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot
from tests.factories import make_need


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=COMMUNITY_TZ)


def said(moment: datetime) -> str:
    """A moment as a notice says it: 12月9日 14:00."""
    local = moment.astimezone(COMMUNITY_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def local_input(moment: datetime) -> str:
    return moment.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def planned(live_db, xingwang_id):
    """A published project of 兴旺社区 running 20 days from day D, its session on D+1 09:00–11:00,
    and the demo's volunteer signed up for it."""
    with live_db() as session:
        last = session.scalar(sa.select(sa.func.max(Activity.ends_at)))
        first = max(local_today(), last.astimezone(COMMUNITY_TZ).date()) + timedelta(days=30)
        community = session.get(Community, xingwang_id)
        project = factories.make_project(
            community,
            needs=[make_need(community)],
            title=f"浏览器编辑项目-{uuid.uuid4().hex[:6]}",
            starts_at=at(first, 9),
            ends_at=at(first + timedelta(days=20), 17),
            claim_deadline=at(first - timedelta(days=3), 18),
        )
        activity = factories.make_activity(
            community,
            project_id=project.id,
            title=f"浏览器编辑活动-{uuid.uuid4().hex[:6]}",
            starts_at=at(first + timedelta(days=1), 9),
        )
        volunteer = session.scalar(sa.select(User).where(User.username == "volunteer"))
        activities.sign_up(volunteer, activity.id, now=utcnow())
        return {
            "project": project.id,
            "activity": activity.id,
            "day": first,
            "project_title": project.title,
            "activity_title": activity.title,
        }


def save(page: Page) -> None:
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("status").filter(has_text="已保存修改")).to_be_visible()


def test_the_volunteer_reads_the_new_time_after_the_secretary_edits(
    page: Page, new_context, login, axe, live_db, planned
):
    day = planned["day"]
    secretary = page
    login(secretary, "secretary")

    # --- The project: its start moves from D 09:00 to D+1 08:00 ---------------------------------
    secretary.goto(f"/projects/{planned['project']}")
    secretary.get_by_role("link", name="编辑", exact=True).click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("编辑项目")
    expect(secretary.get_by_label("开始时间")).to_have_value(local_input(at(day, 9)))
    fits_the_phone(secretary)
    axe(secretary)
    shot(secretary, "edit-project-phone")
    secretary.get_by_label("开始时间").fill(local_input(at(day + timedelta(days=1), 8)))
    save(secretary)
    expect(secretary).to_have_url(re.compile(rf"/projects/{planned['project']}$"))
    expect(secretary.locator("#project-summary")).to_contain_text(
        f"{day + timedelta(days=1):%Y-%m-%d} 08:00"
    )

    # --- The session: from D+1 09:00–11:00 to D+2 14:00–16:00 -----------------------------------
    secretary.goto(f"/activities/{planned['activity']}")
    secretary.get_by_role("link", name="编辑", exact=True).click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("编辑活动")
    fits_the_phone(secretary)
    axe(secretary)
    shot(secretary, "edit-activity-phone")
    new_start = at(day + timedelta(days=2), 14)
    secretary.get_by_label("开始时间").fill(local_input(new_start))
    secretary.get_by_label("结束时间").fill(local_input(new_start + timedelta(hours=2)))
    save(secretary)
    expect(secretary.locator(".when").first).to_contain_text(f"{new_start:%Y-%m-%d} 14:00")

    # --- The volunteer, on her phone, opens 我的消息 -------------------------------------------
    volunteer = new_context(**VIEWPORTS["phone"]).new_page()
    login(volunteer, "volunteer")
    volunteer.get_by_role("region", name="我的消息").get_by_role("link", name="我的消息").click()
    expect(volunteer.get_by_role("heading", level=1)).to_contain_text("我的消息")
    old_session = said(at(day + timedelta(days=1), 9)) + "–11:00"
    new_session = said(new_start) + "–16:00"
    moved = volunteer.get_by_role("listitem").filter(
        has=volunteer.get_by_role("link", name=f"活动“{planned['activity_title']}”有变更")
    )
    expect(moved).to_contain_text(f"时间：{old_session} → {new_session}")
    project_moved = volunteer.get_by_role("listitem").filter(
        has=volunteer.get_by_role("link", name=f"项目“{planned['project_title']}”有变更")
    )
    expect(project_moved).to_contain_text(
        f"{said(at(day, 9))} – {said(at(day + timedelta(days=20), 17))} → "
        f"{said(at(day + timedelta(days=1), 8))} – {said(at(day + timedelta(days=20), 17))}"
    )
    fits_the_phone(volunteer)
    axe(volunteer)
    shot(volunteer, "edit-notices-phone")
    with live_db() as session:
        assert session.get(Project, planned["project"]).version == 2
        assert session.get(Activity, planned["activity"]).version == 3  # sign-up, edit


def test_the_secretary_corrects_a_need_then_only_its_notes_once_in_a_project(
    page: Page, login, axe, live_db, xingwang_id
):
    with live_db() as session:
        community = session.get(Community, xingwang_id)
        need = make_need(community, title=f"浏览器需求-{uuid.uuid4().hex[:6]}")
        need_id = need.id
    login(page, "secretary")
    page.goto(f"/needs/{need_id}")
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("编辑需求")
    expect(page.get_by_label("联系电话")).to_have_value("")  # shown whole only with a reason
    expect(page.get_by_text("现为 138****1234，不改请留空")).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "edit-need-phone")
    page.get_by_label("需求标题").fill("阳光苑独居老人每周买菜两次")
    page.get_by_label("工作备注").fill("已与家属电话确认")
    save(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("阳光苑独居老人每周买菜两次")
    expect(page.get_by_text("已与家属电话确认", exact=True)).to_be_visible()

    with live_db() as session:
        session.get(Need, need_id).status = NeedStatus.IN_PROJECT
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_text("只能修改备注")).to_be_visible()
    expect(page.get_by_label("需求标题")).to_have_count(0)
    axe(page)
    shot(page, "edit-need-notes-phone")
