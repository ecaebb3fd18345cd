import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.categories import Category
from coop.claims import queries
from coop.claims.models import ClaimantType, ClaimStatus, OrderStatus
from coop.dbtypes import utcnow
from coop.schemas import Id, LocalDateTime, Trimmed, length


class ClaimOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_title = fields.Function(lambda c: c.project.title)
    claimant_type = fields.Enum(ClaimantType, by_value=True)
    claimant_type_label = fields.Function(lambda c: c.claimant_type.label)
    claimant_name = fields.String()
    unit_id = fields.Integer(allow_none=True)
    volunteer_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    status = fields.Enum(ClaimStatus, by_value=True)
    status_label = fields.Function(lambda c: c.status.label)
    note = fields.String()
    decision_reason = fields.String()
    is_lead = fields.Function(lambda c: c.project.lead_claim_id == c.id)
    # Approved, the project's start has passed and the work has not begun.
    stale = fields.Function(lambda c: queries.is_stale(c, utcnow()))
    resource_ids = fields.Function(lambda c: [r.id for r in c.resources])
    created_at = LocalDateTime()
    decided_at = LocalDateTime(allow_none=True)
    fulfilled_at = LocalDateTime(allow_none=True)


class ClaimArgs(PageArgs):
    project_id = Id()
    status = fields.Enum(ClaimStatus, by_value=True)
    unit_id = Id()
    team_id = Id()
    community_id = Id()
    mine = fields.Boolean(load_default=False)


def _page_number() -> fields.Integer:
    return fields.Integer(load_default=1, validate=PageArgs().fields["page"].validate)


class QueueArgs(ma.Schema):
    """The review page: each of its two lists has its own page."""

    pending_page = _page_number()
    approved_page = _page_number()


class MenuArgs(ma.Schema):
    """The project menu: all categories, or one of them a page at a time."""

    category = fields.Enum(Category, by_value=True, load_default=None)
    page = _page_number()


class ClaimIn(ma.Schema):
    claimant = fields.Enum(ClaimantType, by_value=True, required=True)
    note = Trimmed(load_default="", validate=length(max=500))
    resource_ids = fields.List(Id(), load_default=list)
    # The team claiming (claimant "team"): one the caller leads, or any of the community's if
    # she is its staff.
    team_id = Id(load_default=None)


class WithdrawIn(ma.Schema):
    """The API lets a claimant withdraw without a reason; the page asks for one (ReasonIn)."""

    reason = Trimmed(load_default="", validate=length(max=500))


class OrderOut(ma.Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_title = fields.Function(lambda o: o.project.title)
    resource_id = fields.Integer()
    resource_title = fields.Function(lambda o: o.resource.title)
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda o: o.unit.name)
    note = fields.String()
    status = fields.Enum(OrderStatus, by_value=True)
    status_label = fields.Function(lambda o: o.status.label)
    reply = fields.String()
    claim_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()


class OrderArgs(PageArgs):
    status = fields.Enum(OrderStatus, by_value=True)
    community_id = Id()


class OrderIn(ma.Schema):
    resource_id = Id(required=True)
    note = Trimmed(load_default="", validate=length(max=500))
