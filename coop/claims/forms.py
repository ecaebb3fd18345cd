"""Schemas of the claiming pages' forms."""

import marshmallow as ma
from marshmallow import fields

from coop.claims.models import ClaimantType
from coop.schemas import Trimmed, length


class ClaimIn(ma.Schema):
    claimant = fields.Enum(ClaimantType, by_value=True, required=True)
    note = Trimmed(load_default="", validate=length(max=500))
    resource_ids = fields.List(fields.Integer(), load_default=list)
