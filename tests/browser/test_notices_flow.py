"""A resident sees each step of her need arrive in her inbox, on her phone: listed, put into a
project, solved. The unread count on her home page goes up with each, the inbox shows them
newest first with working links, and opening one marks it read."""

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import User
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.needs.models import Need
from coop.projects import service as projects
from coop.projects.models import ProjectMode
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot
from tests.browser.test_lists_flow import open_submitted_need, submit_need

NEED_URL = re.compile(r"/needs/(\d+)$")


def unread_on_home(page: Page) -> int:
    """The unread count on her home page (loaded with htmx; none shown when 0)."""
    page.goto("/")
    summary = page.locator("#notices-summary")
    expect(summary).to_be_visible()
    count = summary.locator(".count")
    return int(count.inner_text()) if count.count() else 0


def test_a_resident_sees_each_step_of_her_need_in_her_inbox(
    page: Page, new_context, login, axe, live_db, xingwang_id
):
    title = f"浏览器消息-{uuid.uuid4().hex[:8]}"
    resident = page
    login(resident, "resident")
    before = unread_on_home(resident)
    submit_need(resident, axe, title)

    # --- Listed: on the page, by the secretary -------------------------------------------
    secretary = new_context(**VIEWPORTS["phone"]).new_page()
    login(secretary, "secretary")
    open_submitted_need(secretary, axe, title)
    need_id = int(NEED_URL.search(secretary.url).group(1))
    secretary.get_by_role("button", name="列入清单").click()
    expect(secretary.get_by_role("status")).to_contain_text("已列入需求清单")
    assert unread_on_home(resident) == before + 1

    # --- Put into a project (the secretary's service, as the project form calls it) ---------
    with live_db() as session:
        secretary_user = session.scalar(sa.select(User).where(User.username == "secretary"))
        now = utcnow()
        projects.create_project(
            secretary_user,
            xingwang_id,
            need_ids=[need_id],
            title=f"{title}-项目",
            category=Category.CONVENIENCE,
            mode=ProjectMode.ROUTINE,
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=8),
            claim_deadline=now + timedelta(days=5),
        )
    assert unread_on_home(resident) == before + 2

    # --- Solved: on the page -------------------------------------------------------------
    secretary.goto(f"/needs/{need_id}")
    secretary.get_by_label("解决情况（可不填）").fill("物业已更换楼道灯。")
    secretary.get_by_role("button", name="标记为已解决").click()
    expect(secretary.get_by_text("已解决", exact=True).first).to_be_visible()
    assert unread_on_home(resident) == before + 3

    # --- Her inbox: the three steps, newest first, unread, each with its link ---------------
    resident.goto("/my/notices")
    expect(resident.get_by_role("heading", level=1)).to_contain_text("我的消息")
    rows = resident.locator("ul.notices > li").filter(has_text=title)
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("您的需求已解决")
    expect(rows.nth(0)).to_contain_text("物业已更换楼道灯。")
    expect(rows.nth(1)).to_contain_text("您的需求已纳入服务项目")
    expect(rows.nth(2)).to_contain_text("您的需求已受理")
    for n in range(3):
        expect(rows.nth(n).get_by_text("新", exact=True)).to_be_visible()
    fits_the_phone(resident)
    axe(resident)
    shot(resident, "notices-inbox-phone")

    # --- Opening one marks it read and lands on her need ------------------------------------
    rows.nth(0).get_by_role("link", name="您的需求已解决").click()
    expect(resident).to_have_url(re.compile(rf"/needs/{need_id}$"))
    expect(resident.get_by_role("heading", level=1)).to_have_text(title)
    assert unread_on_home(resident) == before + 2
    resident.goto("/my/notices")
    expect(rows.nth(0).get_by_text("新", exact=True)).to_have_count(0)

    # --- 全部标为已读 ------------------------------------------------------------------------
    resident.get_by_role("button", name="全部标为已读").click()
    expect(resident.get_by_role("button", name="全部标为已读")).to_have_count(0)
    expect(resident.locator("ul.notices > li.unread")).to_have_count(0)
    assert unread_on_home(resident) == 0
    with live_db() as session:
        assert session.get(Need, need_id).requester_id is not None
