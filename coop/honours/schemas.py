"""JSON shapes of honours, the 先锋指数 and its weights; the pages load their forms through the
same input schemas."""

import marshmallow as ma
from marshmallow import fields

from coop.alliance.models import HonourKind, HonourStatus
from coop.schemas import Id, LocalDateTime, Trimmed, Year, length


class NominationIn(ma.Schema):
    community_id = Id(required=True)
    kind = fields.Enum(
        HonourKind,
        by_value=True,
        required=True,
        metadata={"description": "pioneer (同心共建先锋, a unit) or team (最美志愿服务队)"},
    )
    holder_id = Id(required=True, metadata={"description": "the unit's or the team's id"})
    year = Year(required=True)
    citation = Trimmed(load_default="", validate=length(max=1000))


class HonourReasonIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(max=500))


class HonourArgs(ma.Schema):
    community_id = Id(required=True)
    year = Year()
    status = fields.Enum(HonourStatus, by_value=True)
    kind = fields.Enum(HonourKind, by_value=True)


class NominationOut(ma.Schema):
    id = fields.Integer()
    kind = fields.Enum(HonourKind, by_value=True)
    title = fields.String()
    community_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    holder_name = fields.String()
    year = fields.Integer()
    status = fields.Enum(HonourStatus, by_value=True)
    status_label = fields.Function(lambda o: o.status.label)
    citation = fields.String()
    record = fields.Dict(metadata={"description": "the record computed at nomination"})
    nominated_by_id = fields.Integer(allow_none=True)
    nominated_at = LocalDateTime(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    return_reason = fields.String()
    revoked_at = LocalDateTime(allow_none=True)
    revoke_reason = fields.String()


class WeightsIn(ma.Schema):
    claims = fields.Integer(required=True)
    hours = fields.Integer(required=True)
    activities = fields.Integer(required=True)
    ratings = fields.Integer(required=True)
    resources = fields.Integer(required=True)


class WeightsOut(WeightsIn):
    pass


class IndexArgs(ma.Schema):
    year = Year()


class UnitIndexOut(ma.Schema):
    unit_id = fields.Integer()
    name = fields.String()
    claims = fields.Integer()
    hours = fields.Float()
    activities = fields.Integer()
    ratings = fields.Integer()
    average_stars = fields.Float(allow_none=True)
    resources = fields.Integer()
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    index = fields.Float()


class PioneerIndexOut(ma.Schema):
    year = fields.Integer()
    weights = fields.Nested(WeightsOut)
    units = fields.List(fields.Nested(UnitIndexOut))


class TeamIn(ma.Schema):
    community_id = Id(required=True)
    name = Trimmed(required=True, validate=length(min=1, max=64))
    description = Trimmed(load_default="", validate=length(max=2000))
    skills = Trimmed(load_default="", validate=length(max=500))
    unit_id = Id(load_default=None, allow_none=True)


class TeamEditIn(ma.Schema):
    """The whole of a team's editable details (PUT): no unit_id means the community's own team."""

    name = Trimmed(required=True, validate=length(min=1, max=64))
    description = Trimmed(load_default="", validate=length(max=2000))
    skills = Trimmed(load_default="", validate=length(max=500))
    unit_id = Id(load_default=None, allow_none=True)


class TeamArgs(ma.Schema):
    community_id = Id(required=True)


class MemberIn(ma.Schema):
    user_id = Id(required=True)
    leader = fields.Boolean(load_default=False)


class MemberOut(ma.Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda m: m.user.display_name)
    is_leader = fields.Boolean()
    joined_on = fields.Date()
    left_on = fields.Date(allow_none=True)


class TeamOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    name = fields.String()
    description = fields.String()
    skills = fields.String()
    hours = fields.Float(metadata={"description": "members' hours as members"})
    members = fields.List(fields.Nested(MemberOut))
