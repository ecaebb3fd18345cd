"""On the phone, a list page's 导出 Excel link is there and downloads the list as a workbook."""

import io

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.pages import fits_the_phone, shot


def test_secretary_downloads_the_project_list_on_her_phone(page: Page, login, xingwang_id):
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/projects")
    link = page.get_by_role("link", name="导出 Excel")
    expect(link).to_be_visible()
    fits_the_phone(page)
    shot(page, "projects-export-phone")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("项目清单-兴旺社区-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    assert next(sheet.iter_rows(values_only=True))[:2] == ("编号", "项目名称")
    assert sheet.max_row > 1  # the demo's projects


def test_secretary_exports_verified_hours_for_a_range_on_her_phone(page: Page, login, xingwang_id):
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/hours")
    page.get_by_label("从").fill("2026-01-01")
    fits_the_phone(page)
    shot(page, "hours-export-phone")
    with page.expect_download() as info:
        page.get_by_role("button", name="导出已核实时长（Excel）").click()
    name = info.value.suggested_filename
    assert name.startswith("志愿服务时长-2026-01-01至") and "兴旺社区" in name
