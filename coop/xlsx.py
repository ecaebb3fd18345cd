"""Reading an uploaded workbook within a budget, so that a hostile file is refused in a moment.

An .xlsx is a zip of XML parts. A few kilobytes can unpack to gigabytes (a zip bomb), hold
millions of empty cells, or one cell of 50 MB, and openpyxl would read all of it while a web
worker waits. Here the zip's declared sizes are checked before anything is unpacked, and every
part openpyxl opens is metered while it streams: the bytes unpacked (never more than the part
declared: zip bombs lie), the rows, the cells, and the characters of one cell. The first breach
stops the read.

The caller turns ``OverBudget`` into its own message (``refusal`` has the standard ones) and
``Unreadable`` into "not a workbook we read".

Writing is here too: ``write_table`` makes a one-sheet export and ``attachment`` sends it.
"""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from xml.parsers import expat

from flask import Response
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from coop.errors import Invalid
from coop.extensions import db
from coop.timeutil import COMMUNITY_TZ, local_today

MB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Budget:
    max_bytes: int = 5 * MB  # the file as uploaded
    max_unpacked: int = 50 * MB  # the parts' declared sizes, added up
    max_parts: int = 100  # Excel writes a dozen or two
    max_rows: int = 20_000  # rows of one sheet, blank ones and gaps in the numbering included
    max_cells: int = 100_000  # cells of one sheet, blank formatted ones included
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_columns: int = 64  # columns read; further right is ignored, not refused


class OverBudget(Exception):
    """The upload breaks a limit of its budget; ``limit`` is the Budget field it breaks."""

    def __init__(self, limit: str, budget: Budget):
        super().__init__(f"{limit} over {getattr(budget, limit)}")
        self.limit = limit
        self.budget = budget


class Unreadable(Exception):
    """Not a zip, or a part that is not the XML it should be, or larger than it declared."""


def refusal(error: OverBudget) -> str:
    """What the person uploading reads, naming the limit she met."""
    budget = error.budget
    messages = {
        "max_bytes": lambda: _(
            "文件超过 %(mb)d MB，请删除多余内容或分批导入。", mb=budget.max_bytes // MB
        ),
        "max_unpacked": lambda: _(
            "文件解压后超过 %(mb)d MB，请删除多余内容或分批导入。", mb=budget.max_unpacked // MB
        ),
        "max_parts": lambda: _(
            "文件包含的部件超过 %(n)d 个，请用 Excel 另存为 .xlsx 文件后重新上传。",
            n=budget.max_parts,
        ),
        "max_rows": lambda: _(
            "工作表超过 %(n)d 行（空行也计算在内），请删除多余的行或分批导入。",
            n=budget.max_rows,
        ),
        "max_cells": lambda: _(
            "工作表超过 %(n)d 个单元格（设置了格式的空单元格也计算在内），"
            "请只保留有数据的行和列后重新上传。",
            n=budget.max_cells,
        ),
        "max_cell_chars": lambda: _(
            "有单元格超过 %(n)d 个字，请检查后重新上传。", n=budget.max_cell_chars
        ),
    }
    return messages[error.limit]()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FILE = _l("请选择要上传的 .xlsx 文件。")


class SheetRejected(Invalid):
    """The upload as a whole is unusable: not an .xlsx, too big, wrong header, too many rows.
    The message also goes under ``file`` so the form shows it beside the file input."""

    code = "sheet_rejected"
    default_message = _l("无法读取该文件，请上传用模板填写的 .xlsx 文件。")

    def __init__(self, message=None):
        super().__init__(message)
        self.errors = {"file": [self.message]}


def attachment(data: bytes, filename: str, fallback: str) -> Response:
    """A workbook to download, with its Chinese name (RFC 5987) and an ASCII name for old
    clients; never cached (it may hold personal data)."""
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_text(cell, value: str):
    """Text exactly as typed, never a formula: openpyxl would store "=HYPERLINK(…)" as one, and
    a resident's words must not run in the secretary's Excel. Drops what XML cannot hold."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    return cell


def cell_text(value) -> str:
    """A cell as text: Excel stores typed-in phone numbers as numbers, 13812341234.0 included."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def excerpt(text: str, limit: int = 30) -> str:
    """At most ``limit`` characters of a value to show back, with … when there was more."""
    return text if len(text) <= limit else text[:limit] + "…"


def open_workbook(data: bytes, budget: Budget = Budget()) -> Workbook:
    """A read-only workbook whose every part is metered as openpyxl reads it.

    Close it when done. :raise OverBudget: a limit is broken (the declared sizes are checked
    here; rows, cells and cell lengths while the sheets are read). :raise Unreadable: not an
    .xlsx.
    """
    if len(data) > budget.max_bytes:
        raise OverBudget("max_bytes", budget)
    try:
        archive = _MeteredZip(io.BytesIO(data), budget=budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise Unreadable() from error
    try:
        parts = archive.infolist()
        if len(parts) > budget.max_parts:
            raise OverBudget("max_parts", budget)
        if sum(part.file_size for part in parts) > budget.max_unpacked:
            raise OverBudget("max_unpacked", budget)
        # ExcelReader opens a zip of its own; read through ours instead, which meters every part.
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.archive.close()
        reader.archive = archive
        reader.read()
    except (OverBudget, Unreadable):
        archive.close()
        raise
    except Exception as error:  # zipfile, XML and openpyxl errors alike: not a workbook we read
        archive.close()
        raise Unreadable() from error
    return reader.wb


def iter_values(sheet, budget: Budget = Budget()):
    """The sheet's rows as tuples of values, as stored (a stale dimension is ignored), at most
    ``budget.max_columns`` wide. The rows, cells and cell lengths are metered by the part's
    stream. :raise OverBudget, Unreadable: as open_workbook."""
    sheet.reset_dimensions()
    try:
        yield from sheet.iter_rows(values_only=True, max_col=budget.max_columns)
    except (OverBudget, Unreadable):
        raise
    except Exception as error:
        raise Unreadable() from error


class _MeteredZip(zipfile.ZipFile):
    """A zip whose parts, opened for reading, come through a _MeteredPart."""

    def __init__(self, file, *, budget: Budget):
        super().__init__(file, "r")
        self.budget = budget

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        part = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return part
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return _MeteredPart(part, declared=info.file_size, budget=self.budget)


class _MeteredPart:
    """A part's stream: counts what it unpacks, and scans the XML for rows, cells and text as
    it passes, raising at the first breach (before openpyxl has parsed that chunk)."""

    def __init__(self, raw, *, declared: int, budget: Budget):
        self._raw = raw
        self._left = declared
        self._scan = _Scan(budget)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        data = self._raw.read(size)
        self._left -= len(data)
        if self._left < 0:  # more than the part declared: a zip bomb that lies
            raise Unreadable()
        self._scan.feed(data, final=not data)
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _Scan:
    """Counts rows, cells and one cell's characters in a SpreadsheetML part with expat.

    A cell is a sheet's ``c``, or an ``si`` of the shared strings; its characters are the text
    that follows the start of its ``v`` and ``t`` elements (up to the next element: there is no
    end handler, as the handlers run for every element of every part; each tag is looked up once
    in ``_kinds``). A document type declaration (the entity-expansion attack) is refused: no
    part of an .xlsx has one."""

    CELL, TEXT, STRING, ROW, OTHER = range(5)
    KINDS = {"c": CELL, "v": TEXT, "t": TEXT, "si": STRING, "row": ROW}

    def __init__(self, budget: Budget):
        self.budget = budget
        self.rows = self.cells = self.chars = 0
        self.in_text = False
        self._kinds: dict[str, int] = {}
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._doctype
        self.parser = parser

    def feed(self, data: bytes, *, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as error:
            raise Unreadable() from error

    def _start(self, name: str, attrs: dict) -> None:
        kind = self._kinds.get(name)
        if kind is None:  # x:c is a c whatever the prefix
            kind = self._kinds[name] = self.KINDS.get(name.rpartition(":")[2], self.OTHER)
        self.in_text = kind == self.TEXT
        if kind == self.OTHER or kind == self.TEXT:
            return
        if kind == self.CELL:
            self.cells += 1
            self.chars = 0
            if self.cells > self.budget.max_cells:
                raise OverBudget("max_cells", self.budget)
        elif kind == self.STRING:
            self.chars = 0
        else:  # a row; rows may skip numbers, and openpyxl fills the gaps
            self.rows += 1
            number, limit = attrs.get("r", ""), self.budget.max_rows
            if self.rows > limit or (
                number.isdecimal() and (len(number) > 9 or int(number) > limit)
            ):
                raise OverBudget("max_rows", self.budget)

    def _text(self, data: str) -> None:
        if self.in_text:
            self.chars += len(data)
            if self.chars > self.budget.max_cell_chars:
                raise OverBudget("max_cell_chars", self.budget)

    def _doctype(self, *args) -> None:
        raise Unreadable()


# --- writing: a sheet of text and times, sent as a download ----------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FDECEC")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def text_cell(sheet, value: str) -> WriteOnlyCell:
    """``as_text`` in a write-only sheet."""
    return as_text(WriteOnlyCell(sheet), value)


def write_table(title: str, headers: Sequence[tuple[str, int]], rows: Iterable[Sequence]) -> bytes:
    """One sheet: a bold header row (text, column width) frozen above the rows. Strings go in
    as text, naive datetimes as times (write them in the community's zone), the rest as is."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, (_text, width) in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for text, _width in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                cells.append(text_cell(sheet, value))
            elif isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATETIME_FORMAT
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def list_export(
    title: str,
    headers: Sequence[tuple[str, int]],
    rows: Iterable[Sequence],
    *,
    place: str,
    slug: str,
) -> Response:
    """A list page's rows as a download named after the list, the community and today:
    ``项目清单-阳光社区-2026-05-01.xlsx`` (``projects-2026-05-01.xlsx`` for old clients). The
    rows are written as they come (write-only sheet), so pass a generator over a streamed query."""
    today = local_today().isoformat()
    with force_locale("zh"):  # labels in the rows are Chinese, as the headers are
        data = write_table(title, headers, rows)
    return attachment(
        data,
        f"{title}-{place}-{today}.xlsx",
        f"{slug}-{today}.xlsx",
    )


def streamed(query, batch: int = 500):
    """The query's ORM rows in batches of ``batch`` (a server-side cursor on PostgreSQL), so a
    long list is never all in memory at once; eager loads declared with selectinload run per
    batch, a fixed number of statements per batch."""
    return db.session.scalars(query.execution_options(yield_per=batch))


def local_time(value: datetime | None) -> datetime | None:
    """Excel has no time zones: the wall-clock time in Asia/Shanghai, naive."""
    return value.astimezone(COMMUNITY_TZ).replace(tzinfo=None) if value else None
