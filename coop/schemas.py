"""Shared marshmallow pieces: Chinese validation messages, trimmed strings, and loading an HTML
form through the same schema the JSON API uses (so a rule is written once).

What the database can hold is checked here, at the edge, with these field types: ids and other
integers fit a PostgreSQL ``integer`` (``Id``, ``Int``), dates and times lie between
``EARLIEST`` and ``LATEST`` (``Date``, ``LocalDateTime``, ``month``), and no text carries a NUL
or a lone surrogate (``unstorable_text``, applied to every request by ``coop.edge`` and the
API's argument parser)."""

import re
import unicodedata
from datetime import UTC, date, datetime

import marshmallow as ma
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from coop.timeutil import COMMUNITY_TZ, local_today

INT32_MAX = 2**31 - 1  # integer columns are int32 on PostgreSQL
# The sane window for any date a person enters (docs/decisions.md): wide enough for founding
# dates and long agreements, narrow enough that every computation and time zone shift on it
# stays within what Python and the database can represent.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8. JSON
# decoding turns a valid pair (\ud83d\ude00) into one code point, so any surrogate left is lone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = _l("含有无法保存的字符（空字符或不成对的代理字符），请删除后重试。")

# The message ids are Chinese, like every other msgid in Coop; errors.py passes them through
# gettext when it responds, so an English page shows the English catalog's wording.
fields.Field.default_error_messages = {
    "required": "此项必填。",
    "null": "此项不能为空。",
    "validator_failed": "填写的内容无效。",
}
fields.String.default_error_messages = {"invalid": "请填写文字。", "invalid_utf8": "文字编码无效。"}
fields.Integer.default_error_messages = {"invalid": "请填写整数。"}
fields.Number.default_error_messages = {"invalid": "请填写数字。", "too_large": "数字过大。"}
fields.Float.default_error_messages = {"special": "请填写有限的数字。"}
fields.Decimal.default_error_messages = {"special": "请填写有限的数字。"}
fields.Date.default_error_messages = {
    "invalid": "请按 年-月-日 填写日期，例如 2026-11-23。",
    "format": "无法按日期显示“{input}”。",
}
fields.Boolean.default_error_messages = {"invalid": "请选择是或否。"}
fields.Enum.default_error_messages = {"unknown": "请从给定的选项中选择。"}
fields.List.default_error_messages = {"invalid": "格式应为列表。"}
ma.Schema._default_error_messages = {"type": "提交的数据格式有误。", "unknown": "不认识的字段。"}


def unstorable_text(data, name: str = "") -> dict[str, list[str]]:
    """Field name → message for every string in ``data`` (nested dicts and lists, keys too)
    that the database could not store; empty when all is well."""
    found: dict[str, list[str]] = {}
    if isinstance(data, str):
        if _UNSTORABLE.search(data):
            found[name or "_"] = [str(UNSTORABLE_MESSAGE)]
    elif isinstance(data, dict):
        for key, value in data.items():
            path = f"{name}.{key}" if name else str(key)
            found.update(unstorable_text(key, path) or unstorable_text(value, path))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.update(unstorable_text(value, f"{name}.{index}" if name else str(index)))
    return found


class Int(fields.Integer):
    """A whole number an ``integer`` column holds (−2³¹ … 2³¹−1); a validator given narrows it."""

    def __init__(self, *, minimum: int = -INT32_MAX - 1, **kwargs):
        super().__init__(**kwargs)
        if not any(isinstance(v, validate.Range) for v in self.validators):
            # A Range, so the OpenAPI document shows the bounds to clients (and fuzzers).
            self.validators.insert(
                0, validate.Range(min=minimum, max=INT32_MAX, error="数字超出范围。")
            )


class Id(Int):
    """The id of a row: 1 … 2³¹−1. A larger one cannot name a row, so it is refused here instead
    of reaching the database."""

    def __init__(self, **kwargs):
        super().__init__(minimum=1, **kwargs)


class Year(Int):
    """A calendar year within the window every date lies in (``EARLIEST`` … ``LATEST``): a year
    outside it cannot begin a date (year 0 or −34) or is beyond any record."""

    def __init__(self, **kwargs):
        window = validate.Range(
            min=EARLIEST.year, max=LATEST.year, error="请填写 2000–2100 年之间的年份。"
        )
        super().__init__(validate=window, **kwargs)


def month(*, error: str, blank: bool = False) -> validate.Regexp:
    """YYYY-MM, from 2000-01 to 2100-12 (ASCII digits only); ``blank`` also lets "" through."""
    pattern = r"(20[0-9]{2}|2100)-(0[1-9]|1[0-2])"
    if blank:
        pattern = f"({pattern})?"
    return validate.Regexp(re.compile(f"^{pattern}$", re.ASCII), error=error)


def in_window(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def not_after_today(*, error: str):
    """A validator: the date is today or earlier by the community's calendar (when something
    happened: a founding, a joining)."""

    def check(day: date) -> None:
        if day > local_today():
            raise ma.ValidationError(error)

    return check


class Date(fields.Date):
    """A calendar date (YYYY-MM-DD) between ``EARLIEST`` and ``LATEST``."""

    default_error_messages = {"window": "日期应在 2000-01-01 至 2100-12-31 之间。"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        day = super()._deserialize(value, attr, data, **kwargs)
        if not in_window(day):
            raise self.make_error("window")
        return day


def length(*, min: int = 0, max: int) -> validate.Length:
    if min:
        return validate.Length(min=min, max=max, error=f"长度应为 {min}–{max} 个字。")
    return validate.Length(max=max, error=f"最多 {max} 个字。")


# Characters that carry nothing wherever they stand, pasted along from chat apps and web pages:
# the zero-width space, the word joiner and U+FEFF (a byte order mark, or the old word joiner).
# Other format characters (category Cf: the joiners U+200C/U+200D, direction marks, the soft
# hyphen) shape the text around them (a family emoji is three emoji joined by two U+200D), so
# only the ends of a text lose those.
_NOTHING = re.compile("[\u200b\u2060\ufeff]")


def _unseen(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def trim(text: str) -> str:
    """``text`` as people see it: no ``_NOTHING`` anywhere, no whitespace or other format
    characters at its ends (so "a" and a zero-width space is one character, not two)."""
    text = _NOTHING.sub("", text)
    start, end = 0, len(text)
    while start < end and _unseen(text[start]):
        start += 1
    while end > start and _unseen(text[end - 1]):
        end -= 1
    return text[start:end]


class Trimmed(fields.String):
    """A string with surrounding whitespace and invisible characters removed (``trim``); blank
    counts as missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = trim(super()._deserialize(value, attr, data, **kwargs))
        if not text and self.required:
            raise self.make_error("required")
        return text


# What people type between the items of a list: commas (, ，), the enumeration comma 、 that
# Chinese lists use, and semicolons. The people import reads a skills cell with the same.
LIST_SEPARATORS = re.compile("[,，、;；]")


def split_list(text: str) -> list[str]:
    """The items typed in ``text``: split on ``LIST_SEPARATORS``, trimmed (``trim``), blanks
    dropped."""
    return [item for item in map(trim, LIST_SEPARATORS.split(text)) if item]


class CommaList(fields.List):
    """Short labels (skills): a list of strings in JSON; in a form, one text box with the items
    separated by ``LIST_SEPARATORS``. Items are trimmed, at most ``ITEM_MAX`` characters, and an
    item given twice is kept once, in the order given.

    A bad item is said once for the whole field (``{"skills": ["每项最多…"]}``), not under its
    index as marshmallow's List does (``{"skills": {0: [...]}}``): a form shows a field's
    messages under its box, and which item is meant is in the message."""

    ITEM_MAX = 32
    default_error_messages = {
        "too_long": "每项最多 32 个字，多项用逗号或顿号分隔。",
        "blank": "不能有空白的项。",
    }

    def __init__(self, **kwargs):
        super().__init__(Trimmed(), **kwargs)
        # Length validators (not checks in _deserialize), so the OpenAPI document shows the
        # items' bounds; their messages are this field's, which a schema may reword.
        self.inner.validators = [
            validate.Length(min=1, error=self.error_messages["blank"]),
            validate.Length(max=self.ITEM_MAX, error=self.error_messages["too_long"]),
        ]

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = split_list(value)
        try:
            items = super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError as error:
            if not isinstance(error.messages, dict):
                raise
            per_item = error.messages.values()  # {index: [message, ...]}
            messages = dict.fromkeys(message for item in per_item for message in item)
            raise ma.ValidationError(list(messages)) from error
        return list(dict.fromkeys(items))


class ReasonIn(ma.Schema):
    """Rejecting, cancelling, releasing, declining, revealing: someone reads why."""

    reason = Trimmed(required=True, validate=length(min=2, max=500))


def form_values(schema: ma.Schema, form: MultiDict) -> dict:
    """The form's fields the schema knows, with blank optional fields left out. A List field
    gets every checked box (blank ones dropped); a CommaList is one text box."""
    values = {}
    for name, field in schema.fields.items():
        if field.dump_only or name not in form:
            continue
        if isinstance(field, fields.List) and not isinstance(field, CommaList):
            values[name] = [value for value in form.getlist(name) if value.strip()]
            continue
        value = form.get(name, "")
        if trim(value):  # blank counts as missing, so a required field says 此项必填
            values[name] = value
    return values


def emptied_numbers(schema: ma.Schema, form: MultiDict) -> dict[str, list[str]]:
    """Field name → the field's 此项必填 message, for each number box the form sends blank
    whose field always holds a number (it has a number for a default and cannot be null).

    Left out, such a field takes its default: what the API wants when a client sends no
    ``slots``, but on a page the box was there and she emptied it, and a project saved with 1
    名额 (or a reward's low-stock mark back at 3) is not what she asked for."""
    emptied = {}
    for name, field in schema.fields.items():
        if (
            isinstance(field, fields.Number)
            and not field.dump_only
            and not field.allow_none
            and field.load_default not in (ma.missing, None)
            and name in form
            and not trim(form.get(name, ""))
        ):
            emptied[name] = [field.error_messages["required"]]
    return emptied


def load_form(schema: ma.Schema, form: MultiDict) -> tuple[dict, dict]:
    """(data, errors): errors maps field name → messages, empty when the form is valid.
    The schema is the one the JSON API loads; the form's strings go through the same rules.

    A number box sent blank is 此项必填 (``emptied_numbers``), except in the query string:
    a link or a filter form with ``?page=`` means the first page."""
    emptied = {}
    if not (has_request_context() and form is request.args):
        emptied = emptied_numbers(schema, form)
    try:
        data = schema.load(form_values(schema, form))
    except ma.ValidationError as error:
        return {}, {**error.normalized_messages(), **emptied}
    return ({}, emptied) if emptied else (data, {})


class LocalDateTime(fields.AwareDateTime):
    """ISO 8601 in and out; a datetime-local input sends the same (2026-11-23T09:30). A time given
    without an offset is the community's (Asia/Shanghai); times go out with the +08:00 offset, as
    people there read them."""

    default_error_messages = {
        "invalid": "请按 年-月-日 时:分 填写时间，例如 2026-11-23 09:30。",
        "window": "时间应在 2000-01-01 至 2100-12-31 之间。",
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=COMMUNITY_TZ, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:  # an offset that pushes year 1 or 9999 off the calendar
            raise self.make_error("window") from None
        # its own calendar first: shifting year 9999 to the community's zone would overflow
        if not in_window(moment.date()) or not in_window(moment.astimezone(COMMUNITY_TZ).date()):
            raise self.make_error("window")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = local_or_utc(value)
        return super()._serialize(value, attr, obj, **kwargs)


def local_or_utc(moment: datetime) -> datetime:
    """The moment in community time; in UTC where that would leave the calendar (a row stored
    before dates were checked, e.g. 9999-12-31 23:00 UTC), so showing it never fails."""
    try:
        return moment.astimezone(COMMUNITY_TZ)
    except OverflowError:
        return moment.astimezone(UTC)


def version_field():
    """The ``version`` an edit form or PATCH body carries: the one the editor loaded
    (``coop.versioning``); a stale one is a 409 ``version_conflict``."""
    return Int(
        required=True,
        minimum=1,
        metadata={"description": "The version the editor loaded; a stale one is 409"},
    )


class VersionIn(ma.Schema):
    """What an edit carries beside its fields: the version of the object the editor loaded."""

    version = version_field()


def patch_of(schema_cls: type[ma.Schema], **kwargs) -> ma.Schema:
    """A PATCH body: the edit form's schema (the creation rules) with every field optional but
    the version. A partial load fills in no defaults, so a field left out stays as it is."""
    names = tuple(name for name in schema_cls._declared_fields if name != "version")
    return schema_cls(partial=names, **kwargs)
