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
