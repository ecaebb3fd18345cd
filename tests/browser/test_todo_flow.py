"""待办 on the phone: a liaison finds the community's order in her 待办, follows it and accepts
it, and it is gone; a secretary's home page with what waits for her (screenshot)."""

import re
import uuid

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.alliance.models import Unit
from coop.auth.models import User
from coop.claims import service as claims
from coop.needs.models import NeedStatus
from tests.browser.pages import fits_the_phone, nav, shot
from tests.factories import make_need, make_project, make_resource


def _order_for_the_liaisons_unit(live_db, xingwang_id) -> tuple[str, str]:
    """The secretary orders a fresh resource of 康达物业公司 for a fresh project."""
    title, resource = (f"待办测试{what}-{uuid.uuid4().hex[:6]}" for what in ("项目", "资源"))
    with live_db() as session:
        from coop.alliance.models import Community

        community = session.get(Community, xingwang_id)
        unit = session.scalar(sa.select(Unit).where(Unit.name == "康达物业公司"))
        secretary = session.scalar(sa.select(User).where(User.username == "secretary"))
        project = make_project(community, needs=[], title=title)
        offered = make_resource(unit, community, title=resource)
        claims.order_resource(secretary, project.id, offered.id)
    return title, resource


def test_a_liaison_finds_the_order_in_her_todo_and_accepts_it(
    page: Page, login, axe, live_db, xingwang_id
):
    title, resource = _order_for_the_liaisons_unit(live_db, xingwang_id)
    login(page, "unit")

    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    card = page.locator("#todo-orders_to_answer")
    expect(card.get_by_role("link", name=re.compile(r"\d+ 个点单待回复"))).to_be_visible()
    entry = card.get_by_role("link", name=f"“{title}”点单：{resource}")
    expect(entry).to_be_visible()
    # The menu's count came with htmx after the page.
    expect(page.locator("#nav-count-todo")).to_have_text(re.compile(r"^[1-9]\d*$"))
    fits_the_phone(page)
    axe(page)
    shot(page, "todo-liaison-home")

    entry.click()
    expect(page).to_have_url(re.compile(r"/orders#order-\d+$"))
    order = page.locator("li").filter(has=page.get_by_role("link", name=title, exact=True))
    order.get_by_role("button", name="接单").click()
    expect(page.get_by_role("status").filter(has_text="已接单")).to_be_visible()

    nav(page, "待办").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    expect(page.get_by_role("link", name=f"“{title}”点单：{resource}")).to_have_count(0)
    axe(page)


def test_a_secretarys_home_page_on_the_phone(page: Page, login, axe, live_db, xingwang_id):
    with live_db() as session:
        from coop.alliance.models import Community

        community = session.get(Community, xingwang_id)
        for what in ("小区路灯坏了", "想参加书法班", "楼道堆物清理"):
            make_need(community, status=NeedStatus.SUBMITTED, title=what)
    login(page, "secretary")

    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    card = page.locator("#todo-needs_to_review")
    expect(card.get_by_role("link", name=re.compile(r"\d+ 条需求待审核"))).to_be_visible()
    expect(page.locator("#nav-count-todo")).to_have_text(re.compile(r"^[1-9]\d*$"))
    fits_the_phone(page)
    axe(page)
    shot(page, "todo-secretary-home")

    # 更多 folds the rest of her pages; they are there when she opens it.
    page.get_by_text("更多", exact=True).click()
    expect(nav(page, "操作记录")).to_be_visible()
    fits_the_phone(page)
    shot(page, "todo-secretary-menu")
