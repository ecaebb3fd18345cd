"""积分超市月度汇总 as Excel: the month's points spent, by item and by supplier, with totals.

Pure functions over plain values: no request, no session. The sheet always speaks Chinese.
Every name goes in as text, never as a formula: an item called "=HYPERLINK(…)" must not run in
the secretary's Excel.
"""

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from coop.rewards.queries import SummaryRow

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "月度汇总"
COMMUNITY = "社区"  # the supplier when no partner unit supplied the item
HEADERS = (("物品", 28), ("供应方", 28), ("领取件数", 12), ("消耗积分", 12))
SUPPLIER_HEADERS = (("供应方", 28), ("领取件数", 12), ("消耗积分", 12))

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FDECEC")


def _text(cell, value: str):
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    return cell


def _header(sheet, row: int, headers) -> None:
    for column, (text, _width) in enumerate(headers, 1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL


def _line(sheet, row: int, texts: Iterable[str], numbers: Iterable[int], *, bold=False) -> None:
    column = 1
    for text in texts:
        _text(sheet.cell(row=row, column=column), text).font = Font(bold=bold)
        column += 1
    for number in numbers:
        sheet.cell(row=row, column=column, value=number).font = Font(bold=bold)
        column += 1


def supplier_totals(rows: list[SummaryRow]) -> list[tuple[str | None, int, int]]:
    """(supplier name or None for the community, picked up, points), most points first."""
    totals: dict[int | None, list] = {}
    for summary in rows:
        entry = totals.setdefault(summary.supplier_unit_id, [summary.supplier_name, 0, 0])
        entry[1] += summary.picked_up
        entry[2] += summary.points
    return sorted(
        ((name, picked_up, points) for name, picked_up, points in totals.values()),
        key=lambda total: (-total[2], total[0] or ""),
    )


def write_summary(community_name: str, month: str, rows: list[SummaryRow]) -> bytes:
    """Title, the item table with its 合计 row, then the same by supplier."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for column, (_header_text, width) in enumerate(HEADERS, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _text(sheet.cell(row=1, column=1), f"积分超市月度汇总 · {community_name} · {month}")
    sheet.cell(row=1, column=1).font = TITLE_FONT
    _text(sheet.cell(row=2, column=1), "按志愿者在柜台领取物品的日期统计（北京时间）")

    row = 4
    _header(sheet, row, HEADERS)
    for summary in rows:
        row += 1
        names = (summary.item_name, summary.supplier_name or COMMUNITY)
        _line(sheet, row, names, (summary.picked_up, summary.points))
    total_picked_up = sum(summary.picked_up for summary in rows)
    total_points = sum(summary.points for summary in rows)
    row += 1
    _line(sheet, row, ("合计", ""), (total_picked_up, total_points), bold=True)

    row += 2
    _header(sheet, row, SUPPLIER_HEADERS)
    for name, picked_up, points in supplier_totals(rows):
        row += 1
        _line(sheet, row, (name or COMMUNITY,), (picked_up, points))
    row += 1
    _line(sheet, row, ("合计",), (total_picked_up, total_points), bold=True)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
