import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.notices.inbox import site_path
from coop.schemas import LocalDateTime


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
