"""On the phone, a link that stands on its own (an action, a way back, the next page) is a
44 px target, as buttons are: a 21 px line of text is too small for a thumb, and for the
elderly residents and volunteers these pages are for."""

import uuid

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from coop.alliance.models import Community
from coop.auth.models import User
from coop.needs.models import NeedStatus
from tests.browser.pages import fits_the_phone
from tests.factories import make_need

TAP = 44  # px, as coop.css says of every target


def tall_enough(link: Locator) -> None:
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box is not None and box["height"] >= TAP, f"{link}: {box}"


def _her_solved_need(live_db, xingwang_id) -> int:
    with live_db() as session:
        resident = session.scalar(sa.select(User).where(User.username == "resident"))
        need = make_need(
            session.get(Community, xingwang_id),
            title=f"触控目标测试-{uuid.uuid4().hex[:6]}",
            status=NeedStatus.RESOLVED,
            requester_id=resident.id,
            resolution="物业已更换灯泡。",
        )
        return need.id


def test_a_residents_links_to_rate_and_to_go_back_are_tall_enough(
    page: Page, login, live_db, xingwang_id
):
    need_id = _her_solved_need(live_db, xingwang_id)
    login(page, "resident")
    page.goto("/my/needs")
    tall_enough(page.get_by_role("link", name="评价这次服务").first)
    fits_the_phone(page)
    page.goto(f"/needs/{need_id}")
    tall_enough(page.get_by_role("link", name="返回我的需求"))
    fits_the_phone(page)


def test_a_volunteers_community_link_on_her_page_is_tall_enough(page: Page, login):
    login(page, "volunteer")
    page.goto("/me")
    profile = page.locator("dl").filter(has_text="所在社区")
    tall_enough(profile.get_by_role("link", name="兴旺社区"))
    fits_the_phone(page)


def test_the_boards_pages_are_turned_with_a_tall_enough_link(page: Page, xingwang_id):
    page.goto(f"/board/{xingwang_id}")
    pager = page.get_by_role("navigation", name="翻页")
    tall_enough(pager.get_by_role("link", name="下一页"))
    pager.get_by_role("link", name="下一页").click()
    tall_enough(pager.get_by_role("link", name="上一页"))
    fits_the_phone(page)
