import marshmallow as ma
import segno
import sqlalchemy as sa
from flask import request, url_for
from marshmallow import fields

from coop.activities import permissions
from coop.activities.models import LIVE_SIGNUP, Activity, ActivityStatus, Signup, SignupStatus
from coop.alliance.permissions import managed_community_ids
from coop.apidoc import PageArgs
from coop.auth.current import current_actor
from coop.extensions import db
from coop.schemas import Id, Int, LocalDateTime, Trimmed, length, month, version_field

THEME_MONTH = month(error="请按 年-月 填写主题月，例如 2026-07。", blank=True)


def checkin_qr(activity) -> "segno.QRCode":
    """The QR of the check-in link; medium error correction survives a creased printout."""
    return segno.make(checkin_url(activity), "m", micro=False)


def checkin_url(activity) -> str:
    """The absolute link of the check-in page, code included: what the QR on the sheet encodes."""
    return url_for(
        "activities.checkin",
        activity_id=activity.id,
        code=activity.checkin_code,
        _external=True,
    )


def preload_my_signups(activities) -> None:
    """Look up the caller's live sign-ups for a page of activities in one query, for ActivityOut."""
    memo = request.environ.setdefault("coop.my_signups", {})
    wanted = [a.id for a in activities if a.id not in memo]
    actor = current_actor()
    if not wanted or actor is None:
        memo.update(dict.fromkeys(wanted))
        return
    found = {
        s.activity_id: s
        for s in db.session.scalars(
            sa.select(Signup).where(
                Signup.activity_id.in_(wanted),
                Signup.volunteer_id == actor.id,
                Signup.status.in_(LIVE_SIGNUP),
            )
        )
    }
    memo.update({activity_id: found.get(activity_id) for activity_id in wanted})


def _for_organisers(value):
    """The value for those who run the activity; the field is left out for everyone else."""

    def get(activity):
        return value(activity) if permissions.can_run(current_actor(), activity) else ma.missing

    return get


class MySignupOut(ma.Schema):
    id = fields.Integer()
    status = fields.Enum(SignupStatus, by_value=True)
    status_label = fields.Function(lambda s: s.status.label)
    checked_in_at = LocalDateTime(allow_none=True)
    checked_out_at = LocalDateTime(allow_none=True)


class MySignup(fields.Nested):
    """The caller's own live sign-up (confirmed or waitlisted); null when she has none."""

    def __init__(self, **kwargs):
        super().__init__(MySignupOut, allow_none=True, dump_only=True, **kwargs)

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        preload_my_signups([obj])
        return request.environ["coop.my_signups"][obj.id]


class ActivityOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    project_title = fields.Function(lambda a: a.project.title if a.project else None)
    title = fields.String()
    description = fields.String()
    place = fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    hours = fields.Float(metadata={"description": "The session's length in hours"})
    capacity = fields.Integer()
    confirmed_count = fields.Integer()
    free_seats = fields.Integer()
    theme_month = fields.String(allow_none=True)
    status = fields.Enum(ActivityStatus, by_value=True)
    status_label = fields.Function(lambda a: a.status.label)
    my_signup = MySignup()
    # Only organisers (the secretary, the lead unit's liaison) get these two; for anyone else
    # the fields are absent, not null.
    checkin_code = fields.Function(
        _for_organisers(lambda a: a.checkin_code),
        metadata={"type": "string", "description": "Organisers only; absent for others"},
    )
    checkin_url = fields.Function(
        _for_organisers(checkin_url),
        metadata={"type": "string", "description": "Organisers only; absent for others"},
    )
    created_at = LocalDateTime()
    version = fields.Integer()


class MonthArgs(PageArgs):
    """The list page's filter: activities that end in a month (community time), as the
    dashboard's 开展活动 figure counts them."""

    month = fields.String(
        validate=month(error="月份格式应为 YYYY-MM，例如 2026-11。", blank=True),
        metadata={"description": "YYYY-MM: only activities ending in that month"},
    )


class ActivityArgs(MonthArgs):
    community_id = Id()
    project_id = Id()
    upcoming = fields.Boolean(
        load_default=False,
        metadata={"description": "Only scheduled activities not yet over, soonest first"},
    )


class ActivityIn(ma.Schema):
    """A session; the project or community comes from the URL (API and page alike)."""

    title = Trimmed(required=True, validate=length(min=2, max=128))
    description = Trimmed(load_default="", validate=length(max=2000))
    place = Trimmed(required=True, validate=length(min=2, max=128))
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    capacity = Int(
        required=True, validate=ma.validate.Range(min=1, max=500, error="名额应为 1–500。")
    )
    theme_month = Trimmed(
        allow_none=True,
        load_default=None,
        validate=THEME_MONTH,
        metadata={"description": "'YYYY-MM' when the activity carries that month's theme"},
    )

    @ma.post_load
    def _blank_month_is_none(self, data, **kwargs):
        if "theme_month" in data:  # absent from a PATCH that leaves it as it is
            data["theme_month"] = data["theme_month"] or None
        return data


class ActivityEdit(ActivityIn):
    """The 编辑 page and PATCH /activities/{id} (``patch_of``: the fields sent change)."""

    version = version_field()


class SignupIn(ma.Schema):
    waitlist = fields.Boolean(
        load_default=False,
        metadata={"description": "Join the waiting list when no seat is free (else 409)"},
    )


class SignupOut(ma.Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    activity_title = fields.Function(lambda s: s.activity.title)
    volunteer_id = fields.Integer()
    volunteer_name = fields.Function(lambda s: s.volunteer.display_name)
    status = fields.Enum(SignupStatus, by_value=True)
    status_label = fields.Function(lambda s: s.status.label)
    created_at = LocalDateTime()
    cancelled_at = LocalDateTime(allow_none=True)
    checked_in_at = LocalDateTime(allow_none=True)
    checked_out_at = LocalDateTime(allow_none=True)
    checked_in_by_id = fields.Integer(allow_none=True)
    checked_in_by_name = fields.Function(
        lambda s: s.checked_in_by.display_name if s.checked_in_by else None
    )


class CodeIn(ma.Schema):
    """签到/签退 with the code on the sheet; the QR's link fills it in."""

    code = Trimmed(required=True, validate=length(min=1, max=16))


class VolunteerIn(ma.Schema):
    """An organiser checks a volunteer in or out on her behalf."""

    volunteer_id = Id(required=True)


def _staff_of(activity_id: int) -> bool:
    activity = db.session.get(Activity, activity_id)
    return activity.community_id in managed_community_ids(current_actor())


class FeedbackIn(ma.Schema):
    rating = Int(required=True, validate=ma.validate.Range(min=1, max=5, error="评分应为 1–5。"))
    comment = Trimmed(load_default="", validate=length(max=1000))
    beneficiary_name = Trimmed(load_default="", validate=length(max=64))


class FeedbackOut(ma.Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    rating = fields.Integer()
    comment = fields.String()
    # A resident's name: the community's staff see it; the field is absent for everyone else.
    beneficiary_name = fields.Function(
        lambda f: f.beneficiary_name if _staff_of(f.activity_id) else ma.missing,
        metadata={"type": "string", "description": "The community's staff only"},
    )
    recorded_by_id = fields.Integer()
    created_at = LocalDateTime()


class FeedbackPage(ma.Schema):
    items = fields.List(fields.Nested(FeedbackOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    average = fields.Float(
        allow_none=True, metadata={"description": "Mean rating of all the project's feedback"}
    )
