"""Schemas of the demand-list pages' forms, plus the two pieces every list page's forms share:
a reason for a destructive action, and reading checkbox groups."""

import marshmallow as ma
from marshmallow import fields
from werkzeug.datastructures import MultiDict

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.needs.models import Beneficiary, NeedSource, NeedStatus, Urgency
from coop.people.schemas import PHONE
from coop.schemas import Trimmed, form_values, length


def load_form_lists(schema: ma.Schema, form: MultiDict) -> tuple[dict, dict]:
    """Like coop.schemas.load_form, but a List field gets every checked box, not only the first."""
    values = form_values(schema, form)
    for name, field in schema.fields.items():
        if isinstance(field, fields.List) and name in form:
            values[name] = [value for value in form.getlist(name) if value.strip()]
    try:
        return schema.load(values), {}
    except ma.ValidationError as error:
        return {}, error.normalized_messages()


class ReasonIn(ma.Schema):
    """Rejecting, cancelling, releasing, withdrawing: the other side reads why."""

    reason = Trimmed(required=True, validate=length(min=2, max=500))


class NeedArgs(PageArgs):
    status = fields.Enum(NeedStatus, by_value=True)
    category = fields.Enum(Category, by_value=True)
    source = fields.Enum(NeedSource, by_value=True)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True)
    neighbourhood_id = fields.Integer()
    q = Trimmed(validate=length(max=64))


class NeedSubmitIn(ma.Schema):
    """What a resident types on her phone."""

    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, required=True)
    neighbourhood_id = fields.Integer(load_default=None)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.NORMAL)


class NeedIn(NeedSubmitIn):
    """What the secretary records at the hall, on a visit or from the grid."""

    source = fields.Enum(NeedSource, by_value=True, required=True)
    beneficiary_group = fields.Enum(Beneficiary, by_value=True, required=True)
    requester_name = Trimmed(load_default="", validate=length(max=64))
    requester_phone = Trimmed(load_default="", validate=PHONE)
    requester_address = Trimmed(load_default="", validate=length(max=255))


class ResolveIn(ma.Schema):
    resolution = Trimmed(load_default="", validate=length(max=500))
