from decimal import Decimal

import marshmallow as ma
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.hours.models import RecordOrigin, RecordStatus
from coop.schemas import Id, LocalDateTime, Trimmed, length, month


class ServiceRecordOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    volunteer_id = fields.Integer()
    volunteer_name = fields.Function(lambda r: r.volunteer.display_name)
    activity_id = fields.Integer(allow_none=True)
    activity_title = fields.Function(lambda r: r.activity.title if r.activity else None)
    service_date = fields.Date()
    # A JSON number with at most two decimals (1.5, 0.25); a reversal's is negative.
    hours = fields.Float(
        metadata={
            "description": "Hours as a JSON number, at most 2 decimals; negative on a reversal"
        }
    )
    origin = fields.Enum(RecordOrigin, by_value=True)
    origin_label = fields.Function(lambda r: r.origin.label)
    status = fields.Enum(RecordStatus, by_value=True)
    status_label = fields.Function(lambda r: r.status.label)
    note = fields.String()
    points = fields.Integer(
        allow_none=True, metadata={"description": "Fixed when verified; null before"}
    )
    entered_by_id = fields.Integer(allow_none=True)
    entered_by_name = fields.Function(lambda r: r.entered_by.display_name if r.entered_by else None)
    verified_by_id = fields.Integer(allow_none=True)
    # Who verified it, or who rejected it.
    verified_by_name = fields.Function(
        lambda r: r.verified_by.display_name if r.verified_by else None
    )
    verified_at = LocalDateTime(allow_none=True)
    reject_reason = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()


class QueueArgs(PageArgs):
    """The 时长核实 page: ``month`` narrows the verified list to the hours served in it."""

    month = fields.String(
        validate=month(error="月份格式应为 YYYY-MM，例如 2026-11。", blank=True),
        metadata={"description": "YYYY-MM: only records served in that month"},
    )


class RecordArgs(QueueArgs):
    """Staff get their community's records, a volunteer her own; the filters narrow either."""

    community_id = Id()
    status = fields.Enum(RecordStatus, by_value=True)
    origin = fields.Enum(RecordOrigin, by_value=True)
    volunteer_id = Id()


class RecordIn(ma.Schema):
    """补录. The page takes the community from its URL: load it with exclude=("community_id",)."""

    community_id = Id(required=True)
    volunteer_id = Id(required=True)
    activity_id = Id(required=True)
    hours = fields.Decimal(
        required=True,
        places=2,
        validate=ma.validate.Range(
            min=Decimal("0.25"), max=Decimal(24), error="时长应为 0.25–24 小时。"
        ),
        error_messages={"special": "请填写数字。"},
        metadata={"description": "A number or a numeric string, 0.25–24"},
    )
    note = Trimmed(load_default="", validate=length(max=500))
