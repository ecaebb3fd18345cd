"""People in bulk in a real browser: the secretary downloads the import template, fills in 50
volunteers (here openpyxl does) with one bad row and uploads it: the job page names the row and
nobody is imported. Fixed, all 50 arrive at once; she prints their invitations, and one of them,
on her phone in a browser of her own, opens her invitation's link, sets her password and is
signed in."""

import os
import random
import re

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import User
from coop.people import excel
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot

FIRST_DATA_ROW = 3  # row 1 the header, row 2 the template's example
VOLUNTEERS = 50
BAD_ROW = 17  # the 17th volunteer's phone is one digit short
CODE = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}$")


def columns(sheet) -> dict[str, int]:
    return {str(c.value).rstrip("*"): c.column for c in sheet[1] if c.value is not None}


def fill(path, template, rows: list[dict]):
    workbook = openpyxl.load_workbook(template)
    sheet = workbook[excel.BY_KIND[excel.Kind.VOLUNTEER].name]
    where = columns(sheet)
    for number, row in enumerate(rows, FIRST_DATA_ROW):
        for header, value in row.items():
            sheet.cell(row=number, column=where[header], value=value)
    workbook.save(path)
    return path


def open_import_page(page: Page, axe, community_id: int) -> None:
    page.goto(f"/communities/{community_id}")
    page.get_by_role("link", name="人员名单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("人员名单")
    fits_the_phone(page)
    shot(page, "people-list")
    page.get_by_role("link", name="从 Excel 批量导入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("批量导入人员")
    axe(page)


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_fifty_volunteers_imported_and_one_sets_her_password_on_her_phone(
    page: Page, login, axe, tmp_path, live_db, new_context, xingwang_id, viewport
):
    batch = random.SystemRandom().randrange(10_000)
    phones = [f"15{batch:04d}{n:05d}" for n in range(1, VOLUNTEERS + 1)]
    rows = [
        {"姓名": f"导入志愿者{batch}-{n}", "手机号": phone, "是否党员": "是" if n % 2 else "否",
         "技能特长": "理发，测血压", "加入日期": "2024-03-05"}
        for n, phone in enumerate(phones, 1)
    ]  # fmt: skip
    rows[BAD_ROW - 1]["手机号"] = phones[BAD_ROW - 1][:-1]

    def imported() -> int:
        with live_db() as session:
            return session.scalar(sa.select(sa.func.count()).where(User.phone.in_(phones)))

    login(page, "secretary")
    open_import_page(page, axe, xingwang_id)
    fits_the_phone(page)
    shot(page, f"people-import-page-{viewport}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel 模板").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    template = tmp_path / "template.xlsx"
    download.save_as(template)
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames[:3] == [spec.name for spec in excel.SHEETS]
    volunteers = workbook["志愿者"]
    assert list(columns(volunteers)) == [
        "姓名",
        "手机号",
        "是否党员",
        "工作单位",
        "技能特长",
        "加入日期",
    ]
    assert len(volunteers.data_validations.dataValidation) == 2  # 是否党员, 工作单位
    workbook.close()

    # One bad row: the job page names it, by sheet and row, and nobody is imported.
    page.get_by_label("选择填好的 Excel 文件").set_input_files(
        fill(tmp_path / f"志愿者-{batch}-有误.xlsx", template, rows)
    )
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/people/imports/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text(
        f"共 {VOLUNTEERS} 行，其中 1 行有误，没有导入任何人员"
    )
    errors = page.get_by_role("table", name="有误的行")
    expect(errors.get_by_role("row")).to_have_count(2)
    bad = errors.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=f"第 {FIRST_DATA_ROW + BAD_ROW - 1} 行")
    )
    expect(bad).to_contain_text("志愿者")
    expect(bad).to_contain_text(
        f"“手机号”应为 11 位手机号或带区号的座机号，不能填“{phones[BAD_ROW - 1][:-1]}”"
    )
    axe(page)
    fits_the_phone(page)
    shot(page, f"people-import-bad-row-{viewport}")
    assert imported() == 0

    # Fixed, the same sheet imports all 50 at once.
    rows[BAD_ROW - 1]["手机号"] = phones[BAD_ROW - 1]
    open_import_page(page, axe, xingwang_id)
    page.get_by_label("选择填好的 Excel 文件").set_input_files(
        fill(tmp_path / f"志愿者-{batch}-已改.xlsx", template, rows)
    )
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/people/imports/\d+$"))
    expect(page.get_by_role("status")).to_have_text(f"导入完成：新增 {VOLUNTEERS} 人，已有 0 人")
    axe(page)
    fits_the_phone(page)
    shot(page, f"people-import-done-{viewport}")
    assert imported() == VOLUNTEERS

    # The invitation list: one sheet per new person, each with her code and QR.
    page.get_by_role("button", name="打印邀请单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("邀请单")
    sheets = page.locator("section.invitation-sheet")
    expect(sheets).to_have_count(VOLUNTEERS)
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    axe(page)
    fits_the_phone(page)
    if os.environ.get("COOP_SCREENSHOTS"):  # the first sheet: the whole page is 50 of them
        sheets.first.screenshot(
            path=f"{os.environ['COOP_SCREENSHOTS']}/people-invitation-sheet-{viewport}.png"
        )
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(sheets.first).to_be_visible()
    page.emulate_media(media="screen")
    hers = page.get_by_role("region", name=f"导入志愿者{batch}-1 的邀请单")
    expect(hers.locator(".username")).to_have_text(phones[0])
    expect(hers.locator("svg")).to_be_visible()
    code = hers.locator("[data-code]").inner_text()
    assert CODE.match(code), code

    # She opens her invitation on her own phone, sets her password and is signed in.
    phone = new_context(**VIEWPORTS["phone"])
    mine = phone.new_page()
    mine.goto(f"/invite/{code}")
    expect(mine.get_by_role("heading", level=1)).to_have_text("用邀请码设置密码")
    expect(mine.get_by_text(f"您的登录名是 {phones[0]}")).to_be_visible()
    fits_the_phone(mine)
    axe(mine)
    shot(mine, "people-invitation-redeem-phone")
    mine.get_by_label(re.compile(r"^新密码")).fill("my-own-pass-2026")
    mine.get_by_label("再次输入新密码").fill("my-own-pass-2026")
    mine.get_by_role("button", name="设置密码并登录").click()
    expect(mine.get_by_role("status").filter(has_text="密码已设置")).to_be_visible()
    expect(mine.get_by_role("button", name="退出")).to_be_visible()
    fits_the_phone(mine)
    phone.close()
