"""People leave, on a phone: the secretary opens 停用 on a volunteer in the people list, reads
what will end, gives a reason and confirms; the volunteer, signed in on her own phone, is signed
out at once and her password no longer lets her in; then the secretary erases her personal data.

Set COOP_SCREENSHOTS to a directory to keep phone screenshots of 我的 (with 下载我的数据), the
confirmation pages and the list afterwards.
"""

import re
import uuid

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import Role, User
from coop.dbtypes import utcnow
from coop.people import service as people
from coop.timeutil import local_today
from tests.browser.conftest import LOGIN_URL, PASSWORD, VIEWPORTS
from tests.browser.pages import fits_the_phone, shot


def test_the_secretary_deactivates_a_volunteer_who_then_cannot_sign_in(
    page: Page, new_context, live_db, xingwang_id, login, axe
):
    username = f"leaver{uuid.uuid4().hex[:8]}"
    name = f"离开{uuid.uuid4().hex[:4]}"
    with live_db() as session:
        secretary = session.scalar(sa.select(User).where(User.username == "secretary"))
        added = people.add_person(
            secretary,
            xingwang_id,
            role=Role.VOLUNTEER,
            username=username,
            display_name=name,
            joined_on=local_today(),
            now=utcnow(),
        )
        added.person.set_password(PASSWORD)  # as if she had used her invitation
    her = new_context(**VIEWPORTS["phone"]).new_page()
    login(her, username)
    her.goto("/me")
    expect(her.get_by_role("link", name="下载我的数据")).to_be_visible()
    shot(her, "departure-me-phone")

    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/people?q={username}")
    page.get_by_role("link", name=re.compile(f"^停用\\s*{name}$")).click()
    expect(page.get_by_role("heading", name=f"停用“{name}”")).to_be_visible()
    expect(page.locator("#departure-effects")).to_contain_text("她立即退出登录")
    fits_the_phone(page)
    axe(page)
    shot(page, "departure-confirm-phone")

    page.get_by_role("button", name="确认停用").click()  # no reason yet
    expect(page.get_by_text("此项必填")).to_be_visible()
    page.get_by_label("停用原因").fill("本人申请退出志愿服务")
    page.get_by_role("button", name="确认停用").click()
    expect(page.get_by_role("status").filter(has_text=f"已停用“{name}”")).to_be_visible()
    row = page.locator("li", has_text=name)
    expect(row.get_by_text("已停用", exact=True)).to_be_visible()
    expect(row).to_contain_text("本人申请退出志愿服务")
    expect(row.get_by_role("button", name=re.compile("^恢复"))).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "departure-list-phone")

    her.goto("/me")  # her session ended with the deactivation
    expect(her).to_have_url(LOGIN_URL)
    login(her, username, ok=False)
    expect(her.get_by_text("用户名或密码不正确")).to_be_visible()
    expect(her).to_have_url(LOGIN_URL)

    # Her personal data goes too, once the secretary confirms it cannot be undone.
    row.get_by_role("link", name=re.compile("^注销个人信息")).click()
    expect(page.get_by_text("此操作不可撤销。")).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "departure-anonymise-phone")
    page.get_by_label("我已了解此操作不可撤销").check()
    page.get_by_role("button", name="确认注销（不可撤销）").click()
    expect(page.get_by_role("status").filter(has_text="个人信息")).to_be_visible()
    expect(page.get_by_text(name)).to_have_count(1)  # in the flash only; the row says 已注销用户
    expect(page.locator("li", has_text="个人信息已注销").first).to_contain_text("已注销用户")
