"""服务需求清单 as Excel: the import template, reading an upload, checking its rows, the export.

Pure functions over bytes and plain values: no request, no session. Labels are lazily translated,
so they need an app context; the sheet always speaks Chinese (``force_locale("zh")``).

The template's example row is the one whose 标题 starts with ``示例``: the parser skips it (and any
other such row) instead of guessing from the grey italic style, which a user copying the row's
format onto her own data would inherit.
"""

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from coop import xlsx
from coop.categories import Category
from coop.errors import Invalid
from coop.needs.models import Beneficiary, Need, NeedSource, Urgency
from coop.people.schemas import PHONE
from coop.privacy import mask_phone
from coop.timeutil import COMMUNITY_TZ

XLSX_MIMETYPE = xlsx.XLSX_MIMETYPE
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Rows scanned at most, blank ones included: a 5 MB file of empty formatted rows would otherwise
# keep the request busy for a long time before it could be refused. The cells, the unpacked size
# and a cell's length have limits of their own, checked while the file streams (coop.xlsx).
MAX_SCANNED_ROWS = 4 * MAX_ROWS
BUDGET = xlsx.Budget(max_bytes=MAX_BYTES, max_rows=MAX_SCANNED_ROWS)
# A bad cell is quoted back (on the page, in the job's report) to this many characters at most.
EXCERPT = 30
EXAMPLE_MARK = "示例"
DATA_SHEET = "需求清单"
HELP_SHEET = "填写说明"
CHOICES_SHEET = "选项"


@dataclass(frozen=True)
class Column:
    key: str  # the record_need keyword
    header: str
    required: bool = False
    min_length: int = 0
    max_length: int | None = None
    width: int = 14


COLUMNS = (
    Column("title", "标题", required=True, min_length=2, max_length=128, width=28),
    Column("description", "描述", max_length=2000, width=36),
    Column("category", "类别", required=True, max_length=32),
    Column("source", "来源", required=True, max_length=32),
    Column("beneficiary_group", "受益群体", required=True, max_length=32),
    Column("urgency", "紧急程度", max_length=32, width=10),
    Column("neighbourhood", "邻里单元", max_length=64),
    Column("requester_name", "求助人", max_length=64, width=10),
    Column("requester_phone", "联系电话", max_length=32, width=16),
    Column("requester_address", "地址", max_length=255, width=28),
)
HEADERS = {column.key: column.header for column in COLUMNS}
ENUM_COLUMNS = {
    "category": Category,
    "source": NeedSource,
    "beneficiary_group": Beneficiary,
    "urgency": Urgency,
}
EXAMPLE = {
    "title": "示例：3号楼楼道灯损坏需维修（本行不会导入）",
    "description": "3号楼2单元1至6层楼道灯不亮，老人夜间出行不便。",
    "category": Category.CONVENIENCE,
    "source": NeedSource.VISIT,
    "beneficiary_group": Beneficiary.ELDERLY,
    "urgency": Urgency.SOON,
    "requester_name": "刘桂兰",
    "requester_phone": "13812341234",
    "requester_address": "阳光苑3号楼2单元",
}
HELP = (
    "1. 在“需求清单”工作表中每行填写一条需求，不要修改第一行表头。",
    "2. 带 * 的列必填：标题、类别、来源、受益群体。",
    "3. 类别、来源、受益群体、紧急程度、邻里单元请从下拉列表中选择；紧急程度不填则为“一般”。",
    "4. 联系电话填写 11 位手机号或带区号的座机号（如 0477-1234567）。",
    "5. 标题 2–128 个字，描述最多 2000 个字，求助人最多 64 个字，地址最多 255 个字。",
    "6. 标题以“示例”开头的行是填写示例，不会导入，可以保留或删除。",
    f"7. 每次最多导入 {MAX_ROWS} 条，文件不超过 5 MB，请保存为 .xlsx 格式。",
    "8. 只要有一行有误，整个文件都不会导入；请按页面提示的行号修改后重新上传。",
    "9. 导入的需求直接列入本社区服务需求清单（状态为“已列入清单”）。",
)


NO_FILE = _l("请选择要上传的 .xlsx 文件。")


class SheetRejected(Invalid):
    """The upload as a whole is unusable: not an .xlsx, too big, wrong header, too many rows.
    The message also goes under ``file`` so the form shows it beside the file input."""

    code = "sheet_rejected"
    default_message = _l("无法读取该文件，请上传用模板填写的 .xlsx 文件。")

    def __init__(self, message=None):
        super().__init__(message)
        self.errors = {"file": [self.message]}


@dataclass(frozen=True)
class Choices:
    """What a cell may say, mapped to what record_need takes."""

    enums: Mapping[str, Mapping[str, enum.Enum]]  # column key → accepted text → member
    neighbourhoods: Mapping[str, int]  # name → id, this community's only


def choices_for(neighbourhoods: Mapping[str, int]) -> Choices:
    """Accept each option's Chinese label and its English code (any case)."""
    with force_locale("zh"):
        enums = {
            key: {
                **{member.value.lower(): member for member in enum_cls},
                **{member.label: member for member in enum_cls},
            }
            for key, enum_cls in ENUM_COLUMNS.items()
        }
    return Choices(enums=enums, neighbourhoods=dict(neighbourhoods))


def _zh_labels(enum_cls) -> list[str]:
    with force_locale("zh"):
        return [member.label for member in enum_cls]


# --- the template -----------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="B00020")
HEADER_FILL = PatternFill("solid", fgColor="FDECEC")
EXAMPLE_FONT = Font(italic=True, color="808080")


def build_template(neighbourhood_names: Sequence[str]) -> bytes:
    """The import template: header, one example row, dropdowns, and a 填写说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    for index, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(
            row=1, column=index, value=column.header + ("*" if column.required else "")
        )
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    with force_locale("zh"):
        example = {
            key: value.label if isinstance(value, enum.Enum) else value
            for key, value in EXAMPLE.items()
        }
    if neighbourhood_names:
        example["neighbourhood"] = neighbourhood_names[0]
    for index, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=2, column=index, value=example.get(column.key))
        cell.font = EXAMPLE_FONT
    sheet.freeze_panes = "A2"
    letters = {column.key: get_column_letter(i) for i, column in enumerate(COLUMNS, 1)}
    # Keep phone numbers as text, so a landline's leading 0 survives.
    sheet.column_dimensions[letters["requester_phone"]].number_format = "@"

    # The dropdown lists live on a hidden sheet: an inline list is capped at 255 characters,
    # which a community with many neighbourhoods would exceed.
    options = workbook.create_sheet(CHOICES_SHEET)
    lists = {key: _zh_labels(enum_cls) for key, enum_cls in ENUM_COLUMNS.items()}
    lists["neighbourhood"] = list(neighbourhood_names)
    last_row = MAX_ROWS + 2  # header + example + the data rows
    for index, (key, values) in enumerate(lists.items(), 1):
        letter = get_column_letter(index)
        options.cell(row=1, column=index, value=HEADERS[key])
        for row, value in enumerate(values, 2):
            xlsx.as_text(options.cell(row=row, column=index), value)
        if not values:
            continue
        validation = DataValidation(
            type="list",
            formula1=f"'{CHOICES_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从列表中选择",
            error="请从下拉列表中选择一项。",
        )
        validation.add(f"{letters[key]}2:{letters[key]}{last_row}")
        sheet.add_data_validation(validation)
    options.sheet_state = "hidden"

    help_sheet = workbook.create_sheet(HELP_SHEET, index=1)
    help_sheet.column_dimensions["A"].width = 100
    help_sheet["A1"] = "服务需求清单导入说明"
    help_sheet["A1"].font = Font(bold=True, size=14)
    for row, line in enumerate(HELP, 3):
        help_sheet.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
    row = len(HELP) + 4
    help_sheet.cell(row=row, column=1, value="可选项").font = HEADER_FONT
    for key, values in lists.items():
        row += 1
        help_sheet.cell(
            row=row, column=1, value=f"{HEADERS[key]}：{'、'.join(values) or '（本社区尚未设置）'}"
        )
    return xlsx.saved(workbook)


# --- reading an upload ------------------------------------------------------------------------

Row = tuple[int, dict[str, object]]  # (row number as Excel shows it, column key → raw value)


def read_sheet(data: bytes) -> list[Row]:
    """The data rows of an uploaded workbook, blank and example rows left out.

    :raise SheetRejected: over BUDGET (bytes, unpacked size, rows or cells scanned, a cell's
        length: the first breach stops the read), not an .xlsx, no 需求清单 header, no rows, or
        more than MAX_ROWS rows.
    """
    try:
        workbook = xlsx.open_workbook(data, BUDGET)
        try:
            sheet = (
                workbook[DATA_SHEET]
                if DATA_SHEET in workbook.sheetnames
                else workbook.worksheets[0]
            )
            return _rows(xlsx.iter_values(sheet, BUDGET))
        finally:
            workbook.close()
    except xlsx.OverBudget as error:
        raise SheetRejected(xlsx.refusal(error)) from error
    except xlsx.Unreadable as error:
        raise SheetRejected() from error


def _header_key(value) -> str | None:
    text = _text(value).rstrip("*＊").strip()
    return next((column.key for column in COLUMNS if column.header == text), None)


def _rows(values: Iterable[tuple]) -> list[Row]:
    values = iter(values)
    header = next(values, ())
    positions = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key and key not in positions:
            positions[key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise SheetRejected(
            _("表头缺少“%(columns)s”列，请使用下载的模板填写。", columns="、".join(missing))
        )
    rows: list[Row] = []
    for number, row in enumerate(values, 2):
        if number > MAX_SCANNED_ROWS:
            raise xlsx.OverBudget("max_rows", BUDGET)
        cells = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        if _text(cells.get("title")).startswith(EXAMPLE_MARK):
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise _too_many()
    if not rows:
        raise SheetRejected(_("表格中没有需求数据，请从第 2 行起每行填写一条需求。"))
    return rows


def _too_many() -> SheetRejected:
    return SheetRejected(_("每次最多导入 %(n)d 条需求，请分批导入。", n=MAX_ROWS))


def _text(value) -> str:
    """A cell as text: Excel stores typed-in phone numbers as numbers, 13812341234.0 included."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def validate_row(cells: Mapping[str, object], choices: Choices) -> tuple[dict, list[str]]:
    """(record_need's fields, []) for a good row; (partial fields, every reason) for a bad one."""
    fields: dict = {}
    errors: list[str] = []
    for column in COLUMNS:
        text = _text(cells.get(column.key))
        if not text:
            if column.required:
                errors.append(_("“%(column)s”必填。", column=column.header))
            continue
        if len(text) < column.min_length:
            errors.append(
                _("“%(column)s”至少 %(n)d 个字。", column=column.header, n=column.min_length)
            )
        elif column.max_length and len(text) > column.max_length:
            errors.append(
                _(
                    "“%(column)s”最多 %(n)d 个字（现有 %(length)d 个）。",
                    column=column.header,
                    n=column.max_length,
                    length=len(text),
                )
            )
        elif column.key in ENUM_COLUMNS:
            member = choices.enums[column.key].get(text) or choices.enums[column.key].get(
                text.lower()
            )
            if member is None:
                errors.append(
                    _(
                        "“%(column)s”不能填“%(value)s”，请从下拉列表中选择。",
                        column=column.header,
                        value=xlsx.excerpt(text, EXCERPT),
                    )
                )
            else:
                fields[column.key] = member
        elif column.key == "neighbourhood":
            if text in choices.neighbourhoods:
                fields["neighbourhood_id"] = choices.neighbourhoods[text]
            else:
                errors.append(
                    _("“%(value)s”不是本社区的邻里单元。", value=xlsx.excerpt(text, EXCERPT))
                )
        elif column.key == "requester_phone":
            # NFKC turns full-width digits and dashes, common in Chinese input, into ASCII.
            phone = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
            if phone.isascii() and PHONE.regex.match(phone):
                fields[column.key] = phone
            else:
                errors.append(_("“联系电话”应为 11 位手机号或带区号的座机号。"))
        else:
            fields[column.key] = text
    return fields, errors


# --- the export -------------------------------------------------------------------------------

EXPORT_HEADERS = (
    ("编号", 8),
    ("标题", 28),
    ("描述", 36),
    ("类别", 10),
    ("来源", 12),
    ("受益群体", 10),
    ("紧急程度", 10),
    ("状态", 12),
    ("邻里单元", 12),
    ("求助人", 10),
    ("联系电话", 14),
    ("登记时间", 17),
    ("更新时间", 17),
)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: write the wall-clock time in Asia/Shanghai.
    return value.astimezone(COMMUNITY_TZ).replace(tzinfo=None) if value else None


def write_export(needs: Iterable[Need], *, with_requester: bool) -> bytes:
    """The demand list as a sheet; phones masked, addresses left out, requesters only for staff."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    for index, (_header, width) in enumerate(EXPORT_HEADERS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for text, _width in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    with force_locale("zh"):
        for need in needs:
            texts = [
                need.title,
                need.description,
                need.category.label,
                need.source.label,
                need.beneficiary_group.label,
                need.urgency.label,
                need.status.label,
                need.neighbourhood.name if need.neighbourhood else "",
                need.requester_name if with_requester else "",
                mask_phone(need.requester_phone) if with_requester else "",
            ]
            dates = []
            for value in (need.created_at, need.updated_at):
                cell = WriteOnlyCell(sheet, value=_local(value))
                cell.number_format = DATETIME_FORMAT
                dates.append(cell)
            sheet.append(
                [need.id, *(xlsx.as_text(WriteOnlyCell(sheet), text) for text in texts), *dates]
            )
    return xlsx.saved(workbook)
