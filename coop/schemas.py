"""Shared marshmallow pieces: Chinese validation messages, trimmed strings, and loading an HTML
form through the same schema the JSON API uses (so a rule is written once)."""

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from coop.timeutil import COMMUNITY_TZ

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
fields.Date.default_error_messages = {
    "invalid": "请按 年-月-日 填写日期，例如 2026-11-23。",
    "format": "无法按日期显示“{input}”。",
}
fields.Boolean.default_error_messages = {"invalid": "请选择是或否。"}
fields.Enum.default_error_messages = {"unknown": "请从给定的选项中选择。"}
fields.List.default_error_messages = {"invalid": "格式应为列表。"}
ma.Schema._default_error_messages = {"type": "提交的数据格式有误。", "unknown": "不认识的字段。"}


def length(*, min: int = 0, max: int) -> validate.Length:
    if min:
        return validate.Length(min=min, max=max, error=f"长度应为 {min}–{max} 个字。")
    return validate.Length(max=max, error=f"最多 {max} 个字。")


class Trimmed(fields.String):
    """A string with surrounding whitespace removed; blank counts as missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and self.required:
            raise self.make_error("required")
        return text


class CommaList(fields.List):
    """A list in JSON; in a form, one text box with items separated by commas (， or ,)."""

    def __init__(self, **kwargs):
        super().__init__(Trimmed(validate=length(min=1, max=32)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [part for part in value.replace("，", ",").split(",") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


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
        if value.strip():  # blank counts as missing, so a required field says 此项必填
            values[name] = value
    return values


def load_form(schema: ma.Schema, form: MultiDict) -> tuple[dict, dict]:
    """(data, errors): errors maps field name → messages, empty when the form is valid.
    The schema is the one the JSON API loads; the form's strings go through the same rules."""
    try:
        return schema.load(form_values(schema, form)), {}
    except ma.ValidationError as error:
        return {}, error.normalized_messages()


class LocalDateTime(fields.AwareDateTime):
    """ISO 8601 in and out; a datetime-local input sends the same (2026-11-23T09:30). A time given
    without an offset is the community's (Asia/Shanghai); times go out with the +08:00 offset, as
    people there read them."""

    default_error_messages = {"invalid": "请按 年-月-日 时:分 填写时间，例如 2026-11-23 09:30。"}

    def __init__(self, **kwargs):
        super().__init__(default_timezone=COMMUNITY_TZ, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.astimezone(COMMUNITY_TZ)
        return super()._serialize(value, attr, obj, **kwargs)
