import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.auditlog.describe import KINDS, NOT_COMMUNITY_KINDS
from coop.schemas import Date, Id, LocalDateTime

# The kinds of object a community's record can hold, in the order the filter offers them.
COMMUNITY_KINDS = tuple(kind for kind in KINDS if kind not in NOT_COMMUNITY_KINDS)


class AuditFilters(ma.Schema):
    """The 操作记录's filters, for the page, its export and the API alike."""

    actor_id = Id(metadata={"description": "who made the change (a user id)"})
    kind = fields.String(
        validate=ma.validate.OneOf(COMMUNITY_KINDS, error="请从给定的选项中选择。"),
        metadata={"description": "the kind of object: its table, e.g. needs, projects"},
    )
    object_id = Id(metadata={"description": "one object of that kind (needs kind)"})
    date_from = Date(metadata={"description": "from this day (community time), inclusive"})
    date_to = Date(metadata={"description": "to this day (community time), inclusive"})

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ma.ValidationError("结束日期不能早于开始日期。", "date_to")
        if data.get("object_id") is not None and not data.get("kind"):
            raise ma.ValidationError("请同时选择对象类型。", "object_id")


class AuditArgs(PageArgs, AuditFilters):
    pass


class ActorOut(ma.Schema):
    id = fields.Integer(allow_none=True)
    name = fields.String()


class ChangeOut(ma.Schema):
    field = fields.String(metadata={"description": "the column"})
    label = fields.String(metadata={"description": "its name on screen"})
    before = fields.String(metadata={"description": "the value before, in words (masked)"})
    after = fields.String(metadata={"description": "the value after, in words (masked)"})


class AuditEntryOut(ma.Schema):
    id = fields.Integer()
    at = LocalDateTime()
    actor = fields.Nested(ActorOut, metadata={"description": "id null: the system"})
    action = fields.String(metadata={"description": "create, update, delete or reveal"})
    action_label = fields.String()
    object_type = fields.String()
    object_kind = fields.String(metadata={"description": "the kind of object in words"})
    object_id = fields.String()
    object_label = fields.String()
    changes = fields.List(fields.Nested(ChangeOut))
    note = fields.String()
