import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.escalations.models import EscalationStatus
from coop.escalations.queries import ORDERS
from coop.schemas import Date, Id, Trimmed, length


class DepartmentOut(ma.Schema):
    id = fields.Integer()
    street_id = fields.Integer()
    name = fields.String()
    active = fields.Boolean()


class DepartmentIn(ma.Schema):
    name = Trimmed(required=True, validate=length(min=2, max=32))


class DepartmentPatch(ma.Schema):
    name = Trimmed(validate=length(min=2, max=32))
    active = fields.Boolean()


class EscalateIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(min=2, max=500))


class AssignIn(ma.Schema):
    department_ids = fields.List(
        Id(), required=True, validate=ma.validate.Length(min=1, max=20, error="请选择部门。")
    )
    deadline = Date(required=True)


class EscalationRecordIn(ma.Schema):
    department_id = Id(required=True)
    on = Date(required=True)
    text = Trimmed(required=True, validate=length(min=2, max=1000))


class OutcomeIn(ma.Schema):
    outcome = Trimmed(required=True, validate=length(min=2, max=1000))


class ReturnIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(min=2, max=500))


class QueueArgs(PageArgs):
    status = fields.Enum(EscalationStatus, by_value=True, load_default=None)
    order = fields.String(load_default="newest", validate=ma.validate.OneOf(ORDERS))


class EscalationEntryOut(ma.Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    department_name = fields.Function(lambda e: e.department.name)
    on = fields.Date()
    text = fields.String()


class EscalationOut(ma.Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    need_title = fields.Function(lambda e: e.need.title)
    community_id = fields.Integer()
    community_name = fields.Function(lambda e: e.community.name)
    status = fields.Enum(EscalationStatus, by_value=True)
    status_label = fields.Function(lambda e: e.status.label)
    reason = fields.String()
    raised_at = fields.DateTime()
    deadline = fields.Date(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    departments = fields.List(fields.Nested(DepartmentOut))
    entries = fields.List(fields.Nested(EscalationEntryOut))
    outcome = fields.String()
    return_reason = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    days_taken = fields.Integer(allow_none=True, dump_only=True)
