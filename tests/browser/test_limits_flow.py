"""服务承诺 on the phone: the secretary's need list opens with the overdue needs, each flagged
已超时 with its time limit; the commitments table fits the phone (screenshots)."""

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import fits_the_phone, shot


def test_the_secretarys_list_starts_with_overdue_needs(page: Page, login, axe, xingwang_id):
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/needs")
    first = page.locator("#need-rows ul.rows > li").first
    expect(first.locator(".badge.late")).to_have_text("已超时")
    expect(first).to_contain_text(re.compile(r"(答复|办结)时限 \d{4}-\d{2}-\d{2}"))
    fits_the_phone(page)
    axe(page)
    shot(page, "needs-overdue-first")


def test_the_commitments_table_fits_the_phone(page: Page, login, axe, xingwang_id):
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/commitments")
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务承诺")
    expect(page.locator('input[name="关心关爱.normal.resolve_days"]')).to_have_value("45")
    fits_the_phone(page)
    axe(page)
    shot(page, "commitments")
