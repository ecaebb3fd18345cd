"""满意度评价 on the phone: a resident rates her solved need 2 stars with a comment (the stars
chosen with the keyboard), is thanked, and the secretary finds it reopened in her 待办 with the
comment (回访) on the need's page."""

import re
import uuid

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.alliance.models import Community
from coop.auth.models import User
from coop.needs.models import Need, NeedStatus
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot
from tests.factories import make_need


def _her_solved_need(live_db, xingwang_id) -> tuple[int, str]:
    title = f"评价测试楼道灯-{uuid.uuid4().hex[:6]}"
    with live_db() as session:
        resident = session.scalar(sa.select(User).where(User.username == "resident"))
        need = make_need(
            session.get(Community, xingwang_id),
            title=title,
            status=NeedStatus.RESOLVED,
            requester_id=resident.id,
            resolution="物业已更换灯泡。",
        )
        return need.id, title


def test_a_resident_rates_her_solved_need_two_stars_and_the_secretary_sees_it_reopened(
    page: Page, new_context, login, axe, live_db, xingwang_id
):
    need_id, title = _her_solved_need(live_db, xingwang_id)
    login(page, "resident")
    page.goto(f"/needs/{need_id}")

    stars = page.get_by_role("group", name=re.compile("这次解决，您满意吗"))
    expect(stars.get_by_role("radio")).to_have_count(5)
    # Keyboard: into the group, then down from 5 星 to 2 星, as in any radio group.
    page.locator("label[for=f-stars-5]").click()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="2 星 不满意")).to_be_checked()
    page.get_by_label("您的意见（可不填）").fill("灯只亮了两天又坏了，希望再派人来看看。")
    fits_the_phone(page)
    axe(page)
    shot(page, "rating-form-phone")

    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status").filter(has_text="感谢您的评价")).to_be_visible()
    expect(page.get_by_text("2 星 不满意")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)  # once per resolution
    shot(page, "rating-thanks-phone")
    with live_db() as session:
        assert session.get(Need, need_id).status is NeedStatus.LISTED

    secretary = new_context(**VIEWPORTS["phone"]).new_page()
    login(secretary, "secretary")
    card = secretary.locator("#todo-needs_reopened")
    expect(card).to_contain_text("因居民评价较低重新打开")
    card.get_by_role("link", name=re.compile(re.escape(title))).click()
    expect(secretary).to_have_url(re.compile(rf"/needs/{need_id}$"))
    callback = secretary.get_by_role("note")
    expect(callback).to_contain_text("回访：居民评价 2 星，需求已重新打开")
    expect(callback).to_contain_text("灯只亮了两天又坏了")
    expect(secretary.get_by_text("已列入清单").first).to_be_visible()
    fits_the_phone(secretary)
    axe(secretary)
    shot(secretary, "rating-callback-secretary-phone")
