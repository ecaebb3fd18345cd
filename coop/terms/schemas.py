"""JSON shapes of terms, plans, evidence and proposals; the pages load their forms through the
same input schemas."""

import marshmallow as ma
from marshmallow import fields

from coop.schemas import Date, Id, LocalDateTime, Trimmed, length
from coop.terms.models import EvidenceType, ItemKind, PlanStatus


class DeputyOut(ma.Schema):
    id = fields.Integer()
    holder_name = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit_name = fields.Function(lambda o: o.unit.name if o.unit else None)


class AllianceTermOut(ma.Schema):
    """A term of the alliance with its deputy (null until recorded) and its plan's status
    (null for a term the clock never opened a plan for)."""

    id = fields.Integer()
    alliance_id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    deputy = fields.Nested(DeputyOut, allow_none=True)
    plan_status = fields.Enum(PlanStatus, by_value=True, allow_none=True)
    plan_status_label = fields.String(allow_none=True)
    assembly_on = fields.Date(allow_none=True, metadata={"description": "联盟大会"})


class TermOpenIn(ma.Schema):
    """Opening the half year's term now (``coop.terms.service.open_current_term``)."""

    assembly_on = Date(
        load_default=None,
        metadata={
            "description": "联盟大会: today … the term's end; leave out when the half year's "
            "assembly is scheduled already (it becomes the term's)"
        },
    )


class PlanEvidenceOut(ma.Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    evidence_type = fields.Enum(EvidenceType, by_value=True)
    evidence_id = fields.Integer()
    title = fields.String(allow_none=True)
    on = fields.Date(
        allow_none=True, metadata={"description": "Held, resolved or formed on (community time)"}
    )
    note = fields.String()
    linked_at = LocalDateTime()


class PlanItemOut(ma.Schema):
    id = fields.Integer()
    kind = fields.Enum(ItemKind, by_value=True)
    label = fields.String()
    evidence_type = fields.Enum(EvidenceType, by_value=True)
    target = fields.Integer()
    count = fields.Integer()
    done = fields.Boolean()
    done_at = LocalDateTime(allow_none=True)
    evidence = fields.List(fields.Nested(PlanEvidenceOut))


class PlanOut(ma.Schema):
    id = fields.Integer()
    term = fields.Nested(AllianceTermOut)
    status = fields.Enum(PlanStatus, by_value=True)
    status_label = fields.String()
    assembly_on = fields.Date(allow_none=True, metadata={"description": "联盟大会"})
    done_at = LocalDateTime(allow_none=True)
    items = fields.List(fields.Nested(PlanItemOut))


class EvidenceIn(ma.Schema):
    evidence_type = fields.Enum(EvidenceType, by_value=True, required=True)
    evidence_id = Id(required=True)
    note = Trimmed(load_default="", validate=length(max=500))


class ProposalIn(ma.Schema):
    title = Trimmed(required=True, validate=length(min=2, max=128))
    body = Trimmed(load_default="", validate=length(max=2000))
    unit_id = Id(allow_none=True, load_default=None)


class ProposalOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    term_id = fields.Integer(allow_none=True)
    term_name = fields.Function(lambda p: p.term.name if p.term else None)
    title = fields.String()
    body = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit_name = fields.Function(lambda p: p.unit.name if p.unit else None)
    created_at = LocalDateTime()
