"""The secretary corrects a volunteer's name and phone on her phone, from the people list, and
sees the correction there with the phone masked."""

import secrets
import uuid

from playwright.sync_api import Page, expect

from coop.auth.models import Role, RoleGrant, User
from coop.people.models import VolunteerProfile
from tests.browser.pages import fits_the_phone, shot


def test_the_secretary_corrects_a_volunteers_name_and_phone_on_her_phone(
    page: Page, login, axe, live_db, xingwang_id
):
    tag = uuid.uuid4().hex[:6]
    typo, name = f"浏览器王小朋{tag}", f"浏览器王小明{tag}"
    phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    with live_db() as session:
        volunteer = User(username=f"edit-{tag}", display_name=typo, password_hash="!invited")
        volunteer.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=xingwang_id))
        session.add(volunteer)
        session.add(VolunteerProfile(user=volunteer, home_community_id=xingwang_id))

    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/people")
    axe(page)  # also waits for htmx, which listens to the search box
    page.get_by_label("搜索姓名或用户名").fill(typo)
    row = page.locator("#people-rows li").filter(has_text=typo)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="修改").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("修改人员资料")
    expect(page.get_by_label("姓名")).to_have_value(typo)
    fits_the_phone(page)
    shot(page, "edit-person-phone")
    axe(page)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill("1390000")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("请填写 11 位手机号或带区号的座机号。")).to_be_visible()
    expect(page.get_by_label("姓名")).to_have_value(name)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("人员名单")
    expect(page.get_by_role("status")).to_contain_text(f"已保存“{name}”的资料。")
    page.get_by_label("搜索姓名或用户名").fill(name)
    row = page.locator("#people-rows li").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{phone[:3]}****{phone[-4:]}")
    expect(page.locator("#people-rows")).not_to_contain_text(phone)
    fits_the_phone(page)
    shot(page, "edit-person-list-phone")
