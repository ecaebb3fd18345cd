"""Who sees what, sign-in failures, and the units filter with and without JavaScript."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import nav


def test_unit_liaison_lands_on_her_todo_and_finds_her_unit(page: Page, login, axe):
    login(page, "unit")

    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    nav(page, "我的单位").click()
    expect(page).to_have_url(re.compile(r"/units/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("康达物业公司")
    expect(page.get_by_text("我的单位", exact=True).and_(page.locator(".badge"))).to_be_visible()
    menu = page.get_by_role("navigation", name="主导航")
    expect(menu.get_by_role("link", name="我的单位")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("生效中", exact=True)).to_be_visible()
    # A liaison reads her agreements; only the community's secretary may end or record them.
    expect(page.get_by_role("link", name="终止协议")).to_have_count(0)
    expect(page.get_by_role("link", name="记录协议")).to_have_count(0)
    axe(page)


def test_another_communitys_secretary_gets_the_404_page(page: Page, login, axe, xingwang_id):
    login(page, "secretary2")

    response = page.goto(f"/communities/{xingwang_id}")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("找不到该内容，或您无权查看。")
    expect(page.get_by_text("兴旺社区")).to_have_count(0)
    expect(page.get_by_role("link", name="回到首页")).to_be_visible()
    axe(page)


def test_wrong_password_is_reported_on_the_login_page(page: Page, login, axe):
    login(page, "secretary2", "not-the-password", ok=False)

    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_label("用户名")).to_have_value("secretary2")
    expect(page.get_by_label("密码")).to_have_value("")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    axe(page)


def test_units_filter_by_kind_swaps_rows_with_htmx(page: Page, login, axe, xingwang_id):
    login(page, "secretary")
    nav(page, "社区").click()
    page.get_by_role("link", name="按类别筛选、搜索单位").click()
    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}/units$"))
    rows = page.locator("#unit-rows li")
    expect(rows.filter(has_text="市图书馆")).to_have_count(1)
    expect(rows.filter(has_text="区司法所")).to_have_count(1)
    axe(page)  # also waits for the load event: htmx (deferred) is listening
    page.evaluate("window.__sameDocument = true")  # gone if the page is reloaded

    with page.expect_response(re.compile(r"/units\?.*kind=district")) as answer:
        page.get_by_label("单位类别").select_option(label="区级包联单位")

    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}/units\?.*kind=district"))
    expect(rows).to_have_count(3)
    expect(page.get_by_text("共 3 家")).to_be_visible()
    for name in ("区文化馆", "区卫生健康服务站", "区司法所"):
        expect(rows.filter(has_text=name)).to_contain_text("区级包联单位")
    expect(rows.filter(has_text="市图书馆")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_label("单位类别")).to_have_value("district")
    axe(page)

    # Back restores the unfiltered list.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}/units$"))
    expect(rows.filter(has_text="市图书馆")).to_have_count(1)


def test_units_filter_works_without_javascript(new_context, viewport, login, xingwang_id):
    context = new_context(java_script_enabled=False, **VIEWPORTS[viewport])
    page = context.new_page()
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/units")
    rows = page.locator("#unit-rows li")
    expect(rows.filter(has_text="市图书馆")).to_have_count(1)

    page.get_by_label("单位类别").select_option(label="区级包联单位")
    expect(page).to_have_url(re.compile(r"/units$"))  # nothing happens until 筛选
    page.get_by_role("button", name="筛选").click()

    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}/units\?.*kind=district"))
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="市图书馆")).to_have_count(0)
    expect(page.get_by_label("单位类别")).to_have_value("district")
