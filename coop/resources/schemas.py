from decimal import Decimal

import marshmallow as ma
from flask import request
from marshmallow import fields

from coop.alliance.schemas import NeighbourhoodOut
from coop.apidoc import PageArgs
from coop.categories import Category
from coop.claims import queries as claims_queries
from coop.resources.models import ResourceKind, ResourceStatus
from coop.schemas import Date, Id, LocalDateTime, Trimmed, VersionIn, length

MAX_QUANTITY = Decimal(1_000_000_000)


class Quantity(fields.Decimal):
    """A decimal of two places; one too large to round to them (1e40) is left for the range
    check to refuse with the limit, rather than called "not a number"."""

    def _format_num(self, value):
        number = Decimal(str(value))
        if number.is_finite() and abs(number) > MAX_QUANTITY:
            return number
        return super()._format_num(value)


def preload_commitments(resources) -> None:
    """Work out in one query which of a page of resources are committed, for ResourceOut."""
    memo = request.environ.setdefault("coop.committed", {})
    wanted = [r.id for r in resources if r.id not in memo]
    if wanted:
        pledged = claims_queries.committed_resource_ids(wanted)
        memo.update({resource_id: resource_id in pledged for resource_id in wanted})


def _committed(resource) -> bool:
    preload_commitments([resource])
    return request.environ["coop.committed"][resource.id]


class ResourceOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda r: r.unit.name)
    kind = fields.Enum(ResourceKind, by_value=True)
    kind_label = fields.Function(lambda r: r.kind.label)
    title = fields.String()
    description = fields.String()
    category = fields.Enum(Category, by_value=True, allow_none=True)
    quantity = fields.Float()
    unit_of_measure = fields.String()
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    status = fields.Enum(ResourceStatus, by_value=True)
    status_label = fields.Function(lambda r: r.status.label)
    return_reason = fields.String()
    neighbourhoods = fields.List(fields.Nested(NeighbourhoodOut))
    # Not a state: whether an approved or fulfilled claim pledges the resource.
    committed = fields.Function(_committed, metadata={"type": "boolean"})
    created_at = LocalDateTime()
    version = fields.Integer()


class ResourceArgs(PageArgs):
    """The API's query; the list page filters its community's listed resources by kind only."""

    community_id = Id()
    status = fields.Enum(ResourceStatus, by_value=True)
    kind = fields.Enum(ResourceKind, by_value=True)
    unit_id = Id()
    q = Trimmed(validate=length(max=64))


class ResourceFields(ma.Schema):
    """What an offer says: its creation form and its edit form share these rules."""

    kind = fields.Enum(ResourceKind, by_value=True, required=True)
    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    category = fields.Enum(Category, by_value=True, allow_none=True, load_default=None)
    quantity = Quantity(
        required=True,
        places=2,
        # Two rules, two messages: too much is not "should be more than 0". The column is
        # NUMERIC(12, 2), so the limit fits it with room to spare.
        validate=[
            ma.validate.Range(min=Decimal(0), min_inclusive=False, error="数量应大于 0。"),
            ma.validate.Range(max=MAX_QUANTITY, error="数量不能超过 1,000,000,000。"),
        ],
        error_messages={"special": "请填写数字。"},
    )
    unit_of_measure = Trimmed(required=True, validate=length(min=1, max=16))
    available_from = Date(allow_none=True, load_default=None)
    available_until = Date(allow_none=True, load_default=None)
    neighbourhood_ids = fields.List(Id(), load_default=list)

    @ma.validates_schema
    def _window_in_order(self, data, **kwargs):
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end < start:
            raise ma.ValidationError("结束日期不能早于开始日期。", "available_until")


class ResourceIn(ResourceFields):
    """An offer; the page takes the community from its URL."""

    community_id = Id(required=True)
    unit_id = Id(required=True)


class ResourceEdit(ResourceFields, VersionIn):
    """Correcting an offer before it is listed: every field of the offer but its community.
    The edit page loads it whole; a PATCH loads it partially (``coop.schemas.patch_of``)."""

    unit_id = Id(required=True)
