import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.badges.models import HolderType
from coop.schemas import Id, LocalDateTime, Trimmed, length, month


class BadgeOut(ma.Schema):
    code = fields.String()
    name = fields.String()
    description = fields.String()
    holder_type = fields.Enum(HolderType, by_value=True)
    bonus_points = fields.Integer(metadata={"description": "Points posted once with the award"})


class BadgeRefOut(ma.Schema):
    code = fields.String()
    name = fields.String()


class HolderOut(ma.Schema):
    type = fields.Function(lambda a: a.holder_type.value)
    id = fields.Function(lambda a: a.holder_id)
    name = fields.Function(lambda a: getattr(a, "holder_name", ""))


class BadgeAwardOut(ma.Schema):
    id = fields.Integer()
    badge = fields.Nested(BadgeRefOut)
    holder = fields.Function(lambda a: HolderOut().dump(a))
    community_id = fields.Integer()
    month = fields.String(
        attribute="period", metadata={"description": "2026-10; 2026H2 for a term"}
    )
    evidence = fields.Dict(metadata={"description": "The figures it was earned on"})
    revoked = fields.Boolean()
    revoke_reason = fields.String()
    awarded_at = LocalDateTime()
    revoked_at = LocalDateTime(allow_none=True)


class AwardArgs(PageArgs):
    month = fields.String(validate=month(error="月份格式应为 2026-10。"))
    holder_type = fields.Enum(HolderType, by_value=True)
    holder_id = Id()
    community_id = Id()


class ThemeOut(ma.Schema):
    community_id = fields.Integer()
    month = fields.Integer(metadata={"description": "1–12: the same month every year"})
    title = fields.String()
    description = fields.String()


class ThemeIn(ma.Schema):
    title = Trimmed(required=True, validate=length(min=1, max=64))
    description = Trimmed(load_default="", validate=length(max=500))
