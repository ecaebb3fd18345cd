"""JSON shapes of meetings, attendance, 决议 and 推选; the pages load their forms through the
same input schemas."""

import marshmallow as ma
import segno
from flask import url_for
from marshmallow import fields

from coop.categories import Category
from coop.meetings.models import AttendanceVia, ElectionMethod, MeetingKind, MeetingStatus
from coop.schemas import Date, Id, LocalDateTime, Trimmed, length


def checkin_url(meeting) -> str:
    """The absolute link a liaison's phone opens from the QR shown at the door, code included."""
    return url_for(
        "meetings.checkin", meeting_id=meeting.id, code=meeting.checkin_code, _external=True
    )


def checkin_qr(meeting) -> "segno.QRCode":
    return segno.make(checkin_url(meeting), "m", micro=False)


class MeetingIn(ma.Schema):
    kind = fields.Enum(MeetingKind, by_value=True, required=True)
    title = Trimmed(required=True, validate=length(min=2, max=128))
    starts_at = LocalDateTime(required=True)
    place = Trimmed(required=True, validate=length(min=2, max=128))
    agenda = Trimmed(load_default="", validate=length(max=5000))


class MeetingArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))
    kind = fields.Enum(MeetingKind, by_value=True, load_default=None)


class AttendanceOut(ma.Schema):
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda a: a.unit.name)
    present = fields.Function(lambda a: a.present_at is not None)
    present_at = LocalDateTime(allow_none=True)
    via = fields.Enum(AttendanceVia, by_value=True, allow_none=True)
    attendee_name = fields.String()


class ResolutionOut(ma.Schema):
    id = fields.Integer()
    meeting_id = fields.Integer()
    text = fields.String()
    owner_unit_id = fields.Integer()
    owner_unit_name = fields.Function(lambda r: r.owner_unit.name)
    due_on = fields.Date()
    project_id = fields.Integer(allow_none=True)
    plan_item_id = fields.Integer(allow_none=True)


class MeetingOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    term_id = fields.Integer(allow_none=True)
    kind = fields.Enum(MeetingKind, by_value=True)
    kind_label = fields.Function(lambda m: str(m.kind.label))
    title = fields.String()
    starts_at = LocalDateTime()
    place = fields.String()
    agenda = fields.String()
    status = fields.Enum(MeetingStatus, by_value=True)
    status_label = fields.Function(lambda m: str(m.status.label))
    minutes = fields.String()
    minutes_at = LocalDateTime(allow_none=True)
    cancel_reason = fields.String()
    invited = fields.Function(lambda m: len(m.attendances))
    present = fields.Function(lambda m: sum(1 for a in m.attendances if a.present_at))


class MeetingDetailOut(MeetingOut):
    attendances = fields.List(fields.Nested(AttendanceOut))
    resolutions = fields.List(fields.Nested(ResolutionOut))


class MeetingCancelIn(ma.Schema):
    reason = Trimmed(required=True, validate=length(min=2, max=500))


class CheckinIn(ma.Schema):
    code = Trimmed(required=True, validate=length(max=16))
    attendee_name = Trimmed(load_default="", validate=length(max=64))


class AttendanceIn(ma.Schema):
    unit_id = Id(required=True)
    present = fields.Boolean(load_default=True)


class MinutesIn(ma.Schema):
    minutes = Trimmed(required=True, validate=length(min=2, max=20000))


class ResolutionIn(ma.Schema):
    text = Trimmed(required=True, validate=length(min=2, max=1000))
    owner_unit_id = Id(required=True)
    due_on = Date(required=True)


class ToProjectIn(ma.Schema):
    category = fields.Enum(Category, by_value=True, required=True)


class ToPlanItemIn(ma.Schema):
    item_id = Id(required=True)


class ElectionIn(ma.Schema):
    method = fields.Enum(ElectionMethod, by_value=True, required=True)
    candidate_unit_ids = fields.List(
        Id(), required=True, error_messages={"required": "请至少提名一个候选单位。"}
    )
    meeting_id = Id(load_default=None, allow_none=True)


class VoteIn(ma.Schema):
    voter_unit_id = Id(required=True)
    candidate_unit_id = Id(required=True)


class ElectionAgreementIn(ma.Schema):
    unit_ids = fields.List(Id(), required=True, error_messages={"required": "请勾选同意的单位。"})


class CertifyIn(ma.Schema):
    holder_name = Trimmed(required=True, validate=length(min=2, max=64))


class VoteOut(ma.Schema):
    voter_unit_id = fields.Integer()
    voter_unit_name = fields.Function(lambda v: v.voter_unit.name)
    candidate_unit_id = fields.Integer()


class CandidateOut(ma.Schema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    votes = fields.Integer()


class ElectionOut(ma.Schema):
    id = fields.Integer()
    term_id = fields.Integer()
    meeting_id = fields.Integer(allow_none=True)
    method = fields.Enum(ElectionMethod, by_value=True)
    method_label = fields.Function(lambda e: str(e.method.label))
    candidates = fields.Method("_candidates")
    votes = fields.List(fields.Nested(VoteOut))
    chosen_unit_id = fields.Integer(allow_none=True)
    holder_name = fields.String()
    certified_at = LocalDateTime(allow_none=True)

    def _candidates(self, election):
        from coop.meetings.queries import tally

        return [
            {"unit_id": unit.id, "unit_name": unit.name, "votes": votes}
            for unit, votes in tally(election)
        ]


class RotationOut(ma.Schema):
    unit_id = fields.Function(lambda r: r.unit.id)
    unit_name = fields.Function(lambda r: r.unit.name)
    held = fields.Function(lambda r: bool(r.terms))
    terms = fields.Function(lambda r: [{"id": t.id, "name": t.name} for t in r.terms])
