"""Schemas of the resource-list pages' forms."""

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.resources.models import ResourceKind
from coop.schemas import Trimmed, length


class ResourceArgs(PageArgs):
    kind = fields.Enum(ResourceKind, by_value=True)


class ResourceIn(ma.Schema):
    unit_id = fields.Integer(required=True)
    kind = fields.Enum(ResourceKind, by_value=True, required=True)
    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, load_default=None)
    quantity = fields.Decimal(
        required=True,
        places=2,
        validate=ma.validate.Range(
            min=0, min_inclusive=False, max=1_000_000_000, error="数量应大于 0。"
        ),
    )
    unit_of_measure = Trimmed(required=True, validate=length(min=1, max=16))
    available_from = fields.Date(load_default=None)
    available_until = fields.Date(load_default=None)
    neighbourhood_ids = fields.List(fields.Integer(), load_default=list)

    @ma.validates_schema
    def _window_in_order(self, data, **kwargs):
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end < start:
            raise ma.ValidationError("结束日期不能早于开始日期。", "available_until")
