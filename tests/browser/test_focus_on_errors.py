"""A refused form comes back with the keyboard on what to fix: the first field with a message,
or the form's message when no field has one, so nobody has to hunt for it (by keyboard or
with a screen reader) from the top of the page."""

import re

from playwright.sync_api import Page, expect

FOCUSED_ID = "() => document.activeElement.id"


def test_the_first_field_with_a_message_has_the_focus(page: Page, login, xingwang_id):
    login(page, "resident")
    page.goto(f"/communities/{xingwang_id}/needs/submit")
    page.get_by_role("button", name="提交", exact=True).click()

    title = page.get_by_label("需要什么帮助？")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    # the message first, then the hint
    expect(title).to_have_accessible_description(re.compile("^此项必填。 例如"))
    assert page.locator("[autofocus]").count() == 1


def test_a_group_of_choices_with_a_message_has_the_focus(page: Page, login, xingwang_id):
    login(page, "resident")
    page.goto(f"/communities/{xingwang_id}/needs/submit")
    page.get_by_label("需要什么帮助？").fill("楼道灯坏了")
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page.get_by_role("group", name="属于哪一类？")).to_contain_text("此项必填")
    assert page.evaluate(FOCUSED_ID) == "f-category-1"
    assert page.locator("[autofocus]").count() == 1


def test_the_forms_message_has_the_focus_when_no_field_has_one(page: Page):
    page.goto("/login")
    page.get_by_label("用户名").fill("nobody-by-this-name")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()

    message = page.get_by_role("alert")
    expect(message).to_be_visible()
    expect(message).to_be_focused()
