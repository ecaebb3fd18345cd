import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.needs.models import Beneficiary, NeedSource, NeedStatus, Urgency
from coop.privacy import mask_address, mask_phone
from coop.projects.schemas import LocalDateTime
from coop.schemas import Trimmed, length

PHONE_OR_BLANK = ma.validate.Regexp(
    r"^(1\d{10}|0\d{2,3}-?\d{7,8})?$", error="请填写 11 位手机号或带区号的座机号。"
)


class NeedOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    neighbourhood_id = fields.Integer(allow_none=True)
    neighbourhood_name = fields.Function(lambda n: n.neighbourhood.name if n.neighbourhood else "")
    title = fields.String()
    description = fields.String()
    category = fields.Enum(Category, by_value=True)
    category_label = fields.Function(lambda n: n.category.label)
    source = fields.Enum(NeedSource, by_value=True)
    source_label = fields.Function(lambda n: n.source.label)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    beneficiary_group_label = fields.Function(lambda n: n.beneficiary_group.label)
    urgency = fields.Enum(Urgency, by_value=True)
    urgency_label = fields.Function(lambda n: n.urgency.label)
    status = fields.Enum(NeedStatus, by_value=True)
    status_label = fields.Function(lambda n: n.status.label)
    requester_name = fields.String()
    # Masked for everyone: the full values come only from /reveal, with a logged reason.
    requester_phone = fields.Function(lambda n: mask_phone(n.requester_phone))
    requester_address = fields.Function(lambda n: mask_address(n.requester_address))
    reject_reason = fields.String()
    resolution = fields.String()
    project_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()


class NeedArgs(PageArgs):
    community_id = fields.Integer()
    status = fields.Enum(NeedStatus, by_value=True)
    category = fields.Enum(Category, by_value=True)
    source = fields.Enum(NeedSource, by_value=True)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True)
    neighbourhood_id = fields.Integer()
    q = Trimmed(validate=length(max=64))
    mine = fields.Boolean(load_default=False)


class NeedPatch(ma.Schema):
    """The need's own fields; a PATCH loads them partially. A resident's submission keeps only
    what describes the need: source and requester come from who she is."""

    neighbourhood_id = fields.Integer(allow_none=True, load_default=None)
    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, required=True)
    source = fields.Enum(NeedSource, by_value=True, load_default=NeedSource.HALL)
    # Required when the secretary records a need; a resident may leave it to her (全体居民).
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.NORMAL)
    requester_name = Trimmed(load_default="", validate=length(max=64))
    requester_phone = Trimmed(load_default="", validate=PHONE_OR_BLANK)
    requester_address = Trimmed(load_default="", validate=length(max=255))


class NeedIn(NeedPatch):
    community_id = fields.Integer(required=True)


REQUESTER_FIELDS = ("source", "requester_name", "requester_phone", "requester_address")


class RejectIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(min=2, max=500))


class ResolveIn(ma.Schema):
    resolution = Trimmed(load_default="", validate=length(max=2000))


class RevealIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(min=2, max=500))


class RevealOut(ma.Schema):
    phone = fields.String()
    address = fields.String()
