"""An uploaded sheet is read within a budget: hostile files are refused at once, change nothing,
and a bad cell is quoted back only as a short excerpt.

The hostile workbooks are zips built by hand (tests/needs/hostile_xlsx.py), so each test file is
a few kilobytes however much it claims or unpacks to.
"""

import time

import pytest
import sqlalchemy as sa

from coop import xlsx
from coop.extensions import db
from coop.needs import excel
from coop.needs.imports import ImportJob
from tests.needs import hostile_xlsx as hostile
from tests.needs.test_need_excel import GOOD, count_needs, row, sheet, upload

# Refused "at once": far below the minutes the old reader spent (a 0.8 M-cell sheet took 14 s,
# 19 M cells several minutes), with room for a busy CI machine.
QUICK = 10.0
HEADER_ROW = '<row r="1">' + hostile.cells(1, [c.header for c in excel.COLUMNS]) + "</row>"
GOOD_ROW = '<row r="2">' + hostile.cells(2, row()) + "</row>"


def empty_cells_rows(rows: int, width: int = 16_384) -> str:
    """Rows of blank cells to the last column of Excel (4 bytes each unpacked)."""
    one = "<row>" + "<c/>" * width + "</row>"
    return one * rows


def refused(client, community, data: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    response = upload(client, community, data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    return response.get_data(as_text=True), elapsed


def nothing_imported(community) -> bool:
    jobs = db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob))
    return jobs == 0 and count_needs(community) == 0


@pytest.fixture
def community(ctx):
    from tests.factories import make_community

    return make_community()


@pytest.fixture
def secretary(client, community):
    from tests.factories import login, make_secretary

    user = make_secretary(community)
    login(client, user)
    return user


def test_a_sheet_of_millions_of_empty_cells_is_refused_by_its_unpacked_size(
    client, community, secretary
):
    # 1,160 rows of 16,384 blank cells: 19 M cells, 85 KB zipped, 76 MB unpacked.
    data = hostile.workbook(hostile.sheet_xml(HEADER_ROW + empty_cells_rows(1_160)))
    assert len(data) < 200_000
    html, elapsed = refused(client, community, data)
    assert "文件解压后超过 50 MB" in html and elapsed < QUICK
    assert nothing_imported(community)


def test_a_sheet_over_the_cell_budget_is_refused_at_the_first_cell_over(
    client, community, secretary
):
    # 300 rows of 16,384 blank cells: 4.9 M cells in 20 MB, within the unpacked limit.
    data = hostile.workbook(
        hostile.sheet_xml(HEADER_ROW + GOOD_ROW + empty_cells_rows(300), dimension="A1:XFD302")
    )
    html, elapsed = refused(client, community, data)
    assert "工作表超过 100000 个单元格" in html and elapsed < QUICK
    assert nothing_imported(community)


def test_one_row_of_millions_of_cells_is_refused_before_the_row_is_built(community):
    # One row of 8 M cells in 32 MB: openpyxl would build the whole row before yielding it.
    data = hostile.workbook(hostile.sheet_xml(HEADER_ROW + empty_cells_rows(1, 8_000_000)))
    started = time.perf_counter()
    with pytest.raises(excel.SheetRejected, match="工作表超过 100000 个单元格"):
        excel.read_sheet(data)
    assert time.perf_counter() - started < QUICK


def test_a_sheet_whose_rows_run_to_the_last_row_of_excel_is_refused(client, community, secretary):
    # The dimension claims 17 billion cells; one blank cell sits in row 1,048,576.
    data = hostile.workbook(
        hostile.sheet_xml(
            HEADER_ROW + GOOD_ROW + '<row r="1048576"><c r="A1048576" s="1"/></row>',
            dimension="A1:XFD1048576",
        )
    )
    html, elapsed = refused(client, community, data)
    assert "工作表超过 20000 行（空行也计算在内）" in html and elapsed < QUICK
    assert nothing_imported(community)


def test_a_dimension_claiming_millions_of_cells_is_not_believed(client, community, secretary):
    data = hostile.workbook(hostile.sheet_xml(HEADER_ROW + GOOD_ROW, dimension="A1:XFD1048576"))
    response = upload(client, community, data)
    assert response.status_code == 303
    assert count_needs(community) == 1


def test_a_part_declaring_a_huge_unpacked_size_is_refused_unread(client, community, secretary):
    data = hostile.workbook(
        hostile.sheet_xml(HEADER_ROW + GOOD_ROW), declared={hostile.SHEET_PATH: 3_000_000_000}
    )
    html, elapsed = refused(client, community, data)
    assert "文件解压后超过 50 MB" in html and elapsed < QUICK
    assert nothing_imported(community)


def test_a_zip_bomb_that_understates_its_size_is_refused(client, community, secretary):
    # Declares 1 KB, unpacks to 60 MB: the read stops at what the part declared.
    data = hostile.workbook(
        hostile.sheet_xml(HEADER_ROW + GOOD_ROW + empty_cells_rows(900)),
        declared={hostile.SHEET_PATH: 1024},
    )
    html, elapsed = refused(client, community, data)
    assert "无法读取该文件" in html and elapsed < QUICK
    assert nothing_imported(community)


def test_a_part_that_unpacks_to_more_than_it_declared_is_unreadable():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("part.xml", "<a>" + "b" * 10_000 + "</a>")
    archive = xlsx._MeteredZip(io.BytesIO(buffer.getvalue()), budget=xlsx.Budget())
    part = archive.open("part.xml")
    part._left = 100  # as if the headers had declared 100 bytes and the zip not checked them
    with pytest.raises(xlsx.Unreadable):
        part.read()


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_a_50_mb_cell_is_refused_and_never_echoed(client, community, secretary, where):
    huge = "邻" * 17_000_000 if where == "inline" else "A" * 50_000_000
    if where == "shared":
        cell = '<c r="G2" t="s"><v>0</v></c>'
        data = hostile.workbook(
            hostile.sheet_xml(HEADER_ROW + f'<row r="2">{cell}</row>'), hostile.strings_xml(huge)
        )
    else:
        data = hostile.workbook(
            hostile.sheet_xml(HEADER_ROW + f'<row r="2">{hostile.inline("G", 2, huge)}</row>')
        )
    assert len(data) < 200_000
    html, elapsed = refused(client, community, data)
    assert "有单元格超过 32767 个字" in html and elapsed < QUICK
    assert huge[:100] not in html and len(html) < 50_000
    assert nothing_imported(community)


def test_a_cell_longer_than_excel_allows_is_refused(client, community, secretary):
    # openpyxl cuts what it writes to Excel's 32,767, so the sheet is built by hand.
    long = "长" * (xlsx.Budget().max_cell_chars + 1)
    data = hostile.workbook(
        hostile.sheet_xml(
            HEADER_ROW + '<row r="2">' + hostile.cells(2, row(description=long)) + "</row>"
        )
    )
    html, _elapsed = refused(client, community, data)
    assert "有单元格超过 32767 个字" in html
    assert nothing_imported(community)


def test_a_document_type_declaration_is_refused(client, community, secretary):
    # Entity declarations are how "billion laughs" XML bombs grow; no part of an .xlsx has one.
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "阳光苑">]>'
    xml = hostile.sheet_xml(HEADER_ROW + GOOD_ROW)
    assert xml.startswith(declaration)
    data = hostile.workbook(xml.replace(declaration, declaration + doctype, 1))
    html, _elapsed = refused(client, community, data)
    assert "无法读取该文件" in html
    assert nothing_imported(community)


# --- what is shown back ---------------------------------------------------------------------


def test_a_bad_cell_is_quoted_back_in_30_characters(client, community, secretary):
    unknown = "不存在的邻里单元" * 6  # 48 characters, within the column's 64
    response = upload(client, community, sheet(row(neighbourhood=unknown)))
    html = client.get(response.location).get_data(as_text=True)
    assert f"“{unknown[:30]}…”不是本社区的邻里单元" in html and unknown not in html
    job = db.session.scalars(sa.select(ImportJob)).one()
    assert unknown not in " ".join(job.error_rows[0]["errors"])
    assert count_needs(community) == 0


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("category", 32),
        ("source", 32),
        ("beneficiary_group", 32),
        ("urgency", 32),
        ("neighbourhood", 64),
        ("requester_phone", 32),
    ],
)
def test_every_column_has_a_length_and_an_overlong_cell_is_not_quoted(ctx, column, limit):
    header = excel.HEADERS[column]
    value = "超" * (limit + 1)
    choices = excel.choices_for({"邻里单元1": 1})
    fields, errors = excel.validate_row({**GOOD, column: value}, choices)
    assert errors == [f"“{header}”最多 {limit} 个字（现有 {limit + 1} 个）。"]
    assert column not in fields


def test_a_wrong_choice_is_quoted_back_in_30_characters(ctx):
    value = "类" * 32
    _fields, errors = excel.validate_row({**GOOD, "category": value}, excel.choices_for({}))
    assert errors == [f"“类别”不能填“{'类' * 30}…”，请从下拉列表中选择。"]
