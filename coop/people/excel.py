"""The people of a community as one Excel workbook: the import template and reading an upload.

One sheet per kind: 联盟单位及联络员 (a unit and its liaison per row), 志愿者 and 居民, each with a
header row and an example row, dropdowns for the cells that have a list of choices (kept on a
hidden sheet: an inline list is capped at 255 characters), and a 填写说明 sheet. A row whose first
cell starts with ``示例`` is an example and is skipped. Pure functions over bytes and plain values,
like ``coop.needs.excel``; the sheet always speaks Chinese.

A row is checked on its own here (``validate_row``); what needs the other rows or the database
(duplicates, people already there, units already in the alliance) is ``coop.people.imports``'.
"""

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from coop import xlsx
from coop.alliance.models import UnitKind
from coop.people.schemas import PHONE, PersonIn

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # people and units of all sheets together
# Rows scanned at most in one sheet, blank ones included (see coop.needs.excel).
BUDGET = xlsx.Budget(max_bytes=MAX_BYTES, max_rows=4 * MAX_ROWS)
EXCERPT = 30  # a bad cell is quoted back to this many characters at most
EXAMPLE_MARK = "示例"
HELP_SHEET = "填写说明"
CHOICES_SHEET = "选项"
SKILLS = PersonIn().fields["skills"]  # the add-person form's field, rules and all


class Kind(enum.StrEnum):
    UNIT = "unit"
    VOLUNTEER = "volunteer"
    RESIDENT = "resident"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    max_length: int = 64
    width: int = 14
    choices: str = ""  # the name of its dropdown list, if it has one
    phone: bool = False
    date: bool = False


@dataclass(frozen=True)
class Sheet:
    kind: Kind
    name: str
    columns: tuple[Column, ...]
    example: dict = field(default_factory=dict)


PHONE_HEADER = "手机号"
SHEETS = (
    Sheet(
        Kind.UNIT,
        "联盟单位及联络员",
        (
            Column("name", "单位名称", required=True, max_length=128, width=30),
            Column("kind", "单位类别", required=True, width=18, choices="unit_kind"),
            Column("address", "单位地址", max_length=255, width=28),
            Column("contact_phone", "单位电话", max_length=20, width=16, phone=True),
            Column("liaison_name", "联络员姓名", required=True, width=12),
            Column("phone", "联络员手机号", required=True, max_length=20, width=16, phone=True),
        ),
        {
            "name": "示例：阳光物业服务有限公司（本行不会导入）",
            "kind": UnitKind.STATIONED,
            "address": "兴旺路 8 号",
            "contact_phone": "0477-8123456",
            "liaison_name": "赵建国",
            "phone": "13900000000",
        },
    ),
    Sheet(
        Kind.VOLUNTEER,
        "志愿者",
        (
            Column("display_name", "姓名", required=True, width=12),
            Column("phone", PHONE_HEADER, required=True, max_length=20, width=16, phone=True),
            Column("is_party_member", "是否党员", width=10, choices="yes_no"),
            Column("work_unit", "工作单位", max_length=128, width=28, choices="units"),
            Column("skills", "技能特长", max_length=255, width=24),
            Column("joined_on", "加入日期", width=14, date=True),
        ),
        {
            "display_name": "示例：王秀兰（本行不会导入）",
            "phone": "13900000001",
            "is_party_member": "是",
            "skills": "理发，测血压",
            "joined_on": "2024-03-05",
        },
    ),
    Sheet(
        Kind.RESIDENT,
        "居民",
        (
            Column("display_name", "姓名", required=True, width=12),
            Column("phone", PHONE_HEADER, required=True, max_length=20, width=16, phone=True),
            Column("neighbourhood", "邻里单元", width=20, choices="neighbourhoods"),
            Column("address", "住址", max_length=255, width=28),
        ),
        {
            "display_name": "示例：刘桂兰（本行不会导入）",
            "phone": "13900000002",
            "address": "阳光苑 3 号楼 2 单元",
        },
    ),
)
BY_KIND = {sheet.kind: sheet for sheet in SHEETS}
YES, NO = "是", "否"
HELP = (
    "1. 本工作簿有三张表：“联盟单位及联络员”“志愿者”“居民”，用不到的表可以空着。不要修改第一行表头。",
    "2. 带 * 的列必填。每行的手机号必须是 11 位手机号或带区号的座机号（如 0477-1234567）。",
    "3. 单位类别、是否党员、工作单位、邻里单元请从下拉列表中选择；是否党员不填为“否”，"
    "加入日期不填为导入当天。",
    "4. 工作单位可选本社区联盟的单位，也可填本工作簿“联盟单位及联络员”表中的单位。",
    "5. 已在系统中的单位按名称识别：不会重复建立，只把它加入本社区联盟（一个单位最多服务 3 个社区）。",
    "6. 人按手机号识别：同一张表中手机号不能重复；已有账号的人不会重复建立，只补上缺少的身份，"
    "姓名等信息不会被改动。",
    "7. 姓名或单位名称以“示例”开头的行是填写示例，不会导入，可以保留或删除。",
    f"8. 每次最多导入 {MAX_ROWS} 行（三张表合计），文件不超过 5 MB，请保存为 .xlsx 格式。",
    "9. 只要有一行有误，整个文件都不会导入；请按页面提示的工作表和行号修改后重新上传。",
    "10. 导入后，每位新增人员都有一个一次性邀请码：在导入结果页打印邀请单发给本人，"
    "本人扫码或输入邀请码设置自己的密码，之后用手机号登录。",
)


@dataclass(frozen=True)
class Choices:
    """What a cell with a dropdown may say, mapped to what the import takes."""

    unit_kinds: Mapping[str, UnitKind]
    neighbourhoods: Mapping[str, int]  # name → id, this community's only
    units: frozenset[str]  # names of the alliance's units, and of the sheet's own


def choices_for(neighbourhoods: Mapping[str, int], units: Iterable[str]) -> Choices:
    """Unit kinds by Chinese label or English code (any case)."""
    with force_locale("zh"):
        kinds = {member.label: member for member in UnitKind}
    kinds.update({member.value: member for member in UnitKind})
    return Choices(kinds, dict(neighbourhoods), frozenset(units))


def _lists(neighbourhood_names: Sequence[str], unit_names: Sequence[str]) -> dict[str, list]:
    with force_locale("zh"):
        kinds = [member.label for member in UnitKind]
    return {
        "unit_kind": kinds,
        "yes_no": [YES, NO],
        "units": list(unit_names),
        "neighbourhoods": list(neighbourhood_names),
    }


LIST_TITLES = {
    "unit_kind": "单位类别",
    "yes_no": "是否党员",
    "units": "工作单位",
    "neighbourhoods": "邻里单元",
}

# --- the template -----------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="B00020")
HEADER_FILL = PatternFill("solid", fgColor="FDECEC")
EXAMPLE_FONT = Font(italic=True, color="808080")


def build_template(neighbourhood_names: Sequence[str], unit_names: Sequence[str]) -> bytes:
    """The import template: a sheet per kind with header, example row and dropdowns, the hidden
    lists the dropdowns read, and a 填写说明 sheet."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    lists = _lists(neighbourhood_names, unit_names)
    options = workbook.create_sheet(CHOICES_SHEET)
    ranges = {}
    for index, (key, values) in enumerate(lists.items(), 1):
        letter = get_column_letter(index)
        options.cell(row=1, column=index, value=LIST_TITLES[key])
        for row, value in enumerate(values, 2):
            xlsx.as_text(options.cell(row=row, column=index), value)
        if values:
            ranges[key] = f"'{CHOICES_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    options.sheet_state = "hidden"

    last_row = MAX_ROWS + 2  # header + example + the data rows
    for position, spec in enumerate(SHEETS):
        sheet = workbook.create_sheet(spec.name, position)
        with force_locale("zh"):
            example = {
                k: v.label if isinstance(v, enum.Enum) else v for k, v in spec.example.items()
            }
        if spec.kind is Kind.RESIDENT and neighbourhood_names:
            example["neighbourhood"] = neighbourhood_names[0]
        for index, column in enumerate(spec.columns, 1):
            letter = get_column_letter(index)
            header = sheet.cell(
                row=1, column=index, value=column.header + ("*" if column.required else "")
            )
            header.font = REQUIRED_FONT if column.required else HEADER_FONT
            header.fill = HEADER_FILL
            sheet.column_dimensions[letter].width = column.width
            if column.phone or column.date:  # a landline's leading 0 survives as text
                sheet.column_dimensions[letter].number_format = "@"
            if column.key in example:
                xlsx.as_text(
                    sheet.cell(row=2, column=index), example[column.key]
                ).font = EXAMPLE_FONT
            if column.choices in ranges:
                validation = DataValidation(
                    type="list",
                    formula1=ranges[column.choices],
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="请从列表中选择",
                    error="请从下拉列表中选择一项。",
                )
                validation.add(f"{letter}2:{letter}{last_row}")
                sheet.add_data_validation(validation)
        sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(HELP_SHEET, len(SHEETS))
    help_sheet.column_dimensions["A"].width = 110
    help_sheet["A1"] = "人员批量导入说明"
    help_sheet["A1"].font = Font(bold=True, size=14)
    for row, line in enumerate(HELP, 3):
        help_sheet.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
    row = len(HELP) + 4
    help_sheet.cell(row=row, column=1, value="可选项").font = HEADER_FONT
    for key, values in lists.items():
        row += 1
        text = f"{LIST_TITLES[key]}：{'、'.join(values) or '（本社区尚未设置）'}"
        xlsx.as_text(help_sheet.cell(row=row, column=1), text).alignment = Alignment(wrap_text=True)
    workbook.active = 0
    return xlsx.saved(workbook)


# --- reading an upload ------------------------------------------------------------------------

Row = tuple[int, dict[str, object]]  # (row number as Excel shows it, column key → raw value)


def read_workbook(data: bytes) -> dict[Kind, list[Row]]:
    """The data rows of each kind's sheet, blank and example rows left out; a sheet that is not
    there has none.

    :raise SheetRejected: over BUDGET (checked while the file streams: the first breach stops
        the read), not an .xlsx, none of the three sheets, a sheet without its required
        columns, no rows at all, or more than MAX_ROWS.
    """
    try:
        workbook = xlsx.open_workbook(data, BUDGET)
        try:
            found = [spec for spec in SHEETS if spec.name in workbook.sheetnames]
            if not found:
                raise xlsx.SheetRejected(
                    _(
                        "找不到“%(sheets)s”工作表，请使用下载的模板填写。",
                        sheets="”“".join(spec.name for spec in SHEETS),
                    )
                )
            rows: dict[Kind, list[Row]] = {}
            total = 0
            for spec in found:
                values = xlsx.iter_values(workbook[spec.name], BUDGET)
                rows[spec.kind] = _rows(spec, values, MAX_ROWS - total)
                total += len(rows[spec.kind])
        finally:
            workbook.close()
    except xlsx.OverBudget as error:
        raise xlsx.SheetRejected(xlsx.refusal(error)) from error
    except xlsx.Unreadable as error:
        raise xlsx.SheetRejected() from error
    if total == 0:
        raise xlsx.SheetRejected(_("表格中没有要导入的数据，请从每张表的第 2 行起每行填写一条。"))
    return rows


def _rows(spec: Sheet, values: Iterable[tuple], room: int) -> list[Row]:
    values = iter(values)
    header = next(values, ())
    positions = {}
    for index, value in enumerate(header):
        text = xlsx.cell_text(value).rstrip("*＊").strip()
        key = next((c.key for c in spec.columns if c.header == text), None)
        if key and key not in positions:
            positions[key] = index
    if not positions and all(xlsx.cell_text(v) == "" for v in header):
        return []  # an empty sheet: nothing of this kind
    missing = [c.header for c in spec.columns if c.required and c.key not in positions]
    if missing:
        raise xlsx.SheetRejected(
            _(
                "“%(sheet)s”表的表头缺少“%(columns)s”列，请使用下载的模板填写。",
                sheet=spec.name,
                columns="、".join(missing),
            )
        )
    first = spec.columns[0].key
    rows: list[Row] = []
    for number, row in enumerate(values, 2):
        if number > BUDGET.max_rows:
            raise xlsx.OverBudget("max_rows", BUDGET)
        cells = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if all(xlsx.cell_text(v) == "" for v in cells.values()):
            continue
        if xlsx.cell_text(cells.get(first)).startswith(EXAMPLE_MARK):
            continue
        rows.append((number, cells))
        if len(rows) > room:
            raise xlsx.SheetRejected(
                _("每次最多导入 %(n)d 行（三张表合计），请分批导入。", n=MAX_ROWS)
            )
    return rows


def normal_phone(text: str) -> str | None:
    """The phone as stored, or None when it is not one. NFKC turns full-width digits and dashes,
    common in Chinese input, into ASCII."""
    phone = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    return phone if phone.isascii() and PHONE.regex.match(phone) else None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date(value, text: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def validate_row(
    kind: Kind, cells: Mapping[str, object], choices: Choices, *, today: date
) -> tuple[dict, list[str]]:
    """(the row's fields, []) for a good row; (partial fields, every reason) for a bad one."""
    fields: dict = {}
    errors: list[str] = []
    for column in BY_KIND[kind].columns:
        value = cells.get(column.key)
        text = xlsx.cell_text(value)
        if not text:
            if column.required:
                errors.append(_("“%(column)s”必填。", column=column.header))
            continue
        quoted = xlsx.excerpt(text, EXCERPT)
        if len(text) > column.max_length:
            errors.append(
                _(
                    "“%(column)s”最多 %(n)d 个字（现有 %(length)d 个）。",
                    column=column.header,
                    n=column.max_length,
                    length=len(text),
                )
            )
        elif column.phone:
            phone = normal_phone(text)
            if phone is None:
                errors.append(
                    _(
                        "“%(column)s”应为 11 位手机号或带区号的座机号，不能填“%(value)s”。",
                        column=column.header,
                        value=quoted,
                    )
                )
            else:
                fields[column.key] = phone
        elif column.date:
            day = _date(value, text)
            if day is None or not date(1950, 1, 1) <= day <= today:
                errors.append(
                    _(
                        "“%(column)s”应为不晚于今天的日期，例如 2024-03-05，不能填“%(value)s”。",
                        column=column.header,
                        value=quoted,
                    )
                )
            else:
                fields[column.key] = day
        elif column.choices == "unit_kind":
            member = choices.unit_kinds.get(text) or choices.unit_kinds.get(text.lower())
            if member is None:
                errors.append(_choose(column, quoted))
            else:
                fields[column.key] = member
        elif column.choices == "yes_no":
            if text not in (YES, NO):
                errors.append(_choose(column, quoted))
            else:
                fields[column.key] = text == YES
        elif column.choices == "neighbourhoods":
            if text in choices.neighbourhoods:
                fields["neighbourhood_id"] = choices.neighbourhoods[text]
            else:
                errors.append(_("“%(value)s”不是本社区的邻里单元。", value=quoted))
        elif column.choices == "units":
            if text in choices.units:
                fields[column.key] = text
            else:
                errors.append(
                    _(
                        "“%(value)s”不是本社区联盟的单位，请从下拉列表中选择，"
                        "或先在“联盟单位及联络员”表中填写该单位。",
                        value=quoted,
                    )
                )
        elif column.key == "skills":
            try:  # the add-person form's rules: the same separators, limit and no repeats
                fields[column.key] = SKILLS.deserialize(text)
            except ValidationError:
                errors.append(_("“技能特长”每项最多 32 个字，多项用逗号分隔。"))
        else:
            fields[column.key] = text
    return fields, errors


def _choose(column: Column, quoted: str) -> str:
    return _(
        "“%(column)s”不能填“%(value)s”，请从下拉列表中选择。",
        column=column.header,
        value=quoted,
    )
