"""Importing the demand list from Excel in a real browser: the secretary downloads the template,
fills it (here openpyxl does), uploads it. One bad row and nothing is imported, the job page
names the row as Excel numbers it and says why; fixed, all rows arrive at once."""

import re
import uuid
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from coop.needs import excel

BAD_CATEGORY = "不存在的类别"
FIRST_DATA_ROW = 3  # row 1 the header, row 2 the template's example


def open_import_page(page: Page, axe) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="需求清单", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务需求清单")
    page.get_by_role("link", name="从 Excel 导入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("导入服务需求清单")
    axe(page)


def search_needs(page: Page, axe, text: str):
    """The needs list searched for ``text``: its rows, once the search has answered."""
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="需求清单", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务需求清单")
    axe(page)  # also waits for the load event: htmx (deferred) is listening to the search box
    page.get_by_label("搜索标题、内容或求助人").fill(text)
    expect(page).to_have_url(re.compile(r"/needs\?.*q="))
    expect(page.get_by_label("搜索标题、内容或求助人")).to_have_value(text)
    return page.locator("#need-rows ul.rows > li")


def columns(sheet) -> dict[str, int]:
    """Header text (without the required mark) → column number."""
    return {str(cell.value).rstrip("*"): cell.column for cell in sheet[1] if cell.value is not None}


def fill(path: Path, template: Path, rows: list[dict]) -> Path:
    """The downloaded template with ``rows`` from row 3 on, saved as ``path``."""
    workbook = openpyxl.load_workbook(template)
    sheet = workbook[excel.DATA_SHEET]
    where = columns(sheet)
    for number, row in enumerate(rows, FIRST_DATA_ROW):
        for header, value in row.items():
            sheet.cell(row=number, column=where[header], value=value)
    workbook.save(path)
    return path


def test_a_bad_row_imports_nothing_and_the_fixed_sheet_imports_all(
    page: Page, login, axe, tmp_path
):
    batch = uuid.uuid4().hex[:8]
    titles = [f"导入测试{batch}-{n}号楼楼道灯维修" for n in range(1, 5)]
    rows = [
        {
            "标题": title,
            "描述": "楼道灯不亮，老人夜间出行不便。",
            "类别": "便民服务",
            "来源": "入户走访",
            "受益群体": "老年人",
            "紧急程度": "较急",
            "邻里单元": "第一邻里单元·阳光苑",
            "求助人": "刘桂兰",
            "联系电话": "13812341234",
        }
        for title in titles
    ]
    rows[2]["类别"] = BAD_CATEGORY
    bad_row_number = FIRST_DATA_ROW + 2

    login(page, "secretary")
    open_import_page(page, axe)

    # The template downloads as an .xlsx that openpyxl opens, with the header the import reads.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel 模板").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    template = tmp_path / "template.xlsx"
    download.save_as(template)
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames[0] == excel.DATA_SHEET
    assert list(columns(workbook[excel.DATA_SHEET])) == [c.header for c in excel.COLUMNS]
    workbook.close()

    # One bad row: the job page names it and nothing is imported.
    page.get_by_label("选择填好的 Excel 文件").set_input_files(
        fill(tmp_path / f"需求-{batch}-有误.xlsx", template, rows)
    )
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/needs/imports/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("共 4 行，其中 1 行有误，没有导入任何需求")
    errors = page.get_by_role("table", name="有误的行")
    expect(errors.get_by_role("row")).to_have_count(2)  # the header and the one bad row
    bad = errors.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=f"第 {bad_row_number} 行")
    )
    expect(bad).to_contain_text(f"“类别”不能填“{BAD_CATEGORY}”，请从下拉列表中选择。")
    expect(page.get_by_text("已导入", exact=False)).to_have_count(0)
    axe(page)

    found = search_needs(page, axe, f"导入测试{batch}")
    expect(page.get_by_text("没有符合条件的需求。")).to_be_visible()
    expect(found).to_have_count(0)
    for title in titles:
        expect(page.get_by_role("link", name=title)).to_have_count(0)

    # Fixed, the same sheet imports every row at once.
    rows[2]["类别"] = "便民服务"
    open_import_page(page, axe)
    expect(page.get_by_role("link", name=f"需求-{batch}-有误.xlsx")).to_be_visible()
    page.get_by_label("选择填好的 Excel 文件").set_input_files(
        fill(tmp_path / f"需求-{batch}-已改.xlsx", template, rows)
    )
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/needs/imports/\d+$"))
    expect(page.get_by_role("status")).to_have_text("已导入 4 条需求")
    expect(page.get_by_role("table", name="有误的行")).to_have_count(0)
    axe(page)

    found = search_needs(page, axe, f"导入测试{batch}")
    expect(found).to_have_count(4)
    for title in titles:
        row = found.filter(has=page.get_by_role("link", name=title, exact=True))
        expect(row).to_contain_text("已列入清单")
        expect(row).to_contain_text("入户走访 · 老年人 · 第一邻里单元·阳光苑")
    expect(page.get_by_text("共 4 条")).to_be_visible()
