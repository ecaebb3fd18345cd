import marshmallow as ma
from marshmallow import fields, validate

from coop.apidoc import PageArgs
from coop.notices.inbox import site_path
from coop.schemas import LocalDateTime, Trimmed


class NoticeArgs(PageArgs):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "true (or 1): unread notices only"}
    )


class NoticeOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    link = fields.Function(
        lambda n: site_path(n.link),
        metadata={"type": "string", "description": "a path on this site (/needs/12), or empty"},
    )
    created_at = LocalDateTime()
    read = fields.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})
    read_at = LocalDateTime(allow_none=True)


class NoticePage(ma.Schema):
    items = fields.List(fields.Nested(NoticeOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread = fields.Integer(metadata={"description": "her unread notices, all pages"})


class UnreadOut(ma.Schema):
    unread = fields.Integer()


class ReadAllOut(ma.Schema):
    marked = fields.Integer(metadata={"description": "notices marked read by this call"})
    unread = fields.Integer()


class ClockTime(fields.Time):
    """21:00 in and out (the browser's time input sends HH:MM)."""

    default_error_messages = {"invalid": "请按 时:分 填写时间，例如 21:00。"}

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value.strip()) == 8:  # 21:00:00
            value = value.strip()[:5]
        return super()._deserialize(value, attr, data, **kwargs)


class NoticeSettingsIn(ma.Schema):
    channels = fields.List(fields.String(validate=validate.Length(max=16)), load_default=list)
    quiet_hours = fields.Boolean(load_default=False)
    quiet_from = ClockTime(load_default=None, allow_none=True)
    quiet_until = ClockTime(load_default=None, allow_none=True)
    email = Trimmed(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=254, error="邮箱地址过长。"),
            validate.Email(error="请填写有效的邮箱地址，例如 name@example.com。"),
        ],
    )


class OfferedChannelOut(ma.Schema):
    name = fields.String()
    label = fields.String()
    available = fields.Boolean()
    missing = fields.String()


class NoticeSettingsOut(ma.Schema):
    channels = fields.List(fields.String())
    offered = fields.List(fields.Nested(OfferedChannelOut))
    quiet_hours = fields.Boolean()
    quiet_from = ClockTime(allow_none=True)
    quiet_until = ClockTime(allow_none=True)
    email = fields.String(allow_none=True)
    wechat_bound = fields.Boolean()
