"""Pages of the alliance's meetings: the list, scheduling, the meeting page (QR at the door,
attendance, minutes, 决议), the liaison's phone sign-in, and the term's 推选."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from coop.alliance import queries as alliance_queries
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.meetings import permissions, queries, service
from coop.meetings.models import ElectionMethod, MeetingKind, MeetingStatus
from coop.meetings.schemas import (
    AttendanceIn,
    CertifyIn,
    CheckinIn,
    ElectionAgreementIn,
    ElectionIn,
    MeetingArgs,
    MeetingCancelIn,
    MeetingIn,
    MinutesIn,
    ResolutionIn,
    ToPlanItemIn,
    ToProjectIn,
    VoteIn,
    checkin_qr,
    checkin_url,
)
from coop.pagination import paginate
from coop.schemas import load_form
from coop.terms import queries as terms_queries
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("meetings", __name__)


def _load(schema, form=None) -> dict:
    data, errors = load_form(schema, form if form is not None else request.form)
    if errors:
        raise Invalid(errors=errors)
    return data


@bp.get("/communities/<int:community_id>/meetings")
@login_required
def index(community_id: int):
    """联盟大会 and 联席会议 of the community, the latest first."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    args = _load(MeetingArgs(), request.args)
    return render(
        "meetings/list.html",
        community=community,
        page=paginate(
            queries.meetings_select(community.id, kind=args["kind"]),
            args["page"],
            args["per_page"],
        ),
        kind=args["kind"],
        kinds=list(MeetingKind),
        can_manage=permissions.can_manage_meetings(actor, community.id),
        now=utcnow(),
    )


def _new_context(actor, community) -> dict:
    permissions.require(permissions.can_manage_meetings(actor, community.id))
    return {
        "community": community,
        "kind_options": [(k.value, k.label) for k in MeetingKind],
    }


@bp.route("/communities/<int:community_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    context = _new_context(actor, community)
    if request.method == "GET":
        form = {"kind": request.args.get("kind", MeetingKind.JOINT.value)}
        return render("meetings/form.html", form=form, errors={}, **context)
    retry_form("meetings/form.html", **context)
    data = _load(MeetingIn())

    def create():
        meeting = service.schedule_meeting(actor, community.id, now=utcnow(), **data)
        flash(
            _(
                "已安排%(kind)s，并通知了 %(n)d 家受邀单位。",
                kind=meeting.kind.label,
                n=len(meeting.attendances),
            ),
            "success",
        )
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))

    return submit_once(actor, create)


def _detail_context(actor, meeting) -> dict:
    """Everything the meeting page shows; forms only where the service would allow them."""
    community = alliance_queries.get_community(actor, meeting.community_id)
    can_manage = permissions.can_manage_meetings(actor, meeting.community_id)
    now = utcnow()
    started = now >= meeting.starts_at - service.CHECKIN_OPENS_BEFORE
    live = meeting.status is not MeetingStatus.CANCELLED
    plan = terms_queries.plan_of(meeting.term_id) if meeting.term_id else None
    mine = permissions.liaison_unit_ids(actor)
    return {
        "meeting": meeting,
        "community": community,
        "can_manage": can_manage,
        "started": started,
        "live": live,
        "can_write": can_manage and live and now >= meeting.starts_at,
        "show_qr": can_manage and live and meeting.local_day >= local_today(),
        "qr_svg": Markup(checkin_qr(meeting).svg_inline(scale=6, title=_("会议签到二维码"))),
        "checkin_url": checkin_url(meeting),
        "present": sum(1 for a in meeting.attendances if a.present_at),
        "my_attendance": next((a for a in meeting.attendances if a.unit_id in mine), None),
        "unit_options": [(u.id, u.name) for u in terms_queries.member_units(meeting.community_id)]
        if can_manage
        else [],
        "categories": [(c.value, c.label) for c in Category],
        "plan_items": plan.items if plan else [],
        "election": queries.election_of(meeting.term_id) if meeting.term_id else None,
    }


@bp.get("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id: int):
    actor = require_actor()
    meeting = queries.get_meeting(actor, meeting_id)
    return render("meetings/detail.html", form={}, errors={}, **_detail_context(actor, meeting))


def _meeting_write(meeting_id: int, write, message: str, anchor: str = ""):
    """Load the form, write it in one unit of work and go back to the meeting page."""
    actor = require_actor()
    meeting = queries.get_meeting(actor, meeting_id)
    retry_form("meetings/detail.html", **_detail_context(actor, meeting))
    with unit_of_work(actor):
        write(actor)
    flash(message, "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting_id) + anchor)


@bp.post("/meetings/<int:meeting_id>/attendance")
@login_required
def attendance(meeting_id: int):
    data = _load(AttendanceIn())
    return _meeting_write(
        meeting_id,
        lambda actor: service.mark_attendance(actor, meeting_id, now=utcnow(), **data),
        _("已登记出席。") if data["present"] else _("已取消出席登记。"),
        "#attendance",
    )


@bp.post("/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int):
    actor = require_actor()
    retry_form(
        "meetings/detail.html", **_detail_context(actor, queries.get_meeting(actor, meeting_id))
    )
    data = _load(MinutesIn())
    return _meeting_write(
        meeting_id,
        lambda actor: service.record_minutes(actor, meeting_id, now=utcnow(), **data),
        _("已保存会议纪要。"),
        "#minutes",
    )


@bp.post("/meetings/<int:meeting_id>/resolutions")
@login_required
def resolutions(meeting_id: int):
    actor = require_actor()
    retry_form(
        "meetings/detail.html", **_detail_context(actor, queries.get_meeting(actor, meeting_id))
    )
    data = _load(ResolutionIn())

    def create():
        service.add_resolution(actor, meeting_id, now=utcnow(), **data)
        flash(_("已记录决议。"), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting_id) + "#resolutions")

    return submit_once(actor, create)


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    actor = require_actor()
    retry_form(
        "meetings/detail.html", **_detail_context(actor, queries.get_meeting(actor, meeting_id))
    )
    data = _load(MeetingCancelIn())
    return _meeting_write(
        meeting_id,
        lambda actor: service.cancel_meeting(actor, meeting_id, now=utcnow(), **data),
        _("会议已取消，已通知受邀单位。"),
    )


@bp.post("/resolutions/<int:resolution_id>/project")
@login_required
def to_project(resolution_id: int):
    actor = require_actor()
    resolution = queries.get_resolution(actor, resolution_id)
    retry_form("meetings/detail.html", **_detail_context(actor, resolution.meeting))
    data = _load(ToProjectIn())

    def create():
        project = service.resolution_to_project(actor, resolution_id, now=utcnow(), **data)
        flash(_("已生成项目草稿“%(title)s”，请补充后发布。", title=project.title), "success")
        return redirect(url_for("projects.detail", project_id=project.id))

    return submit_once(actor, create)


@bp.post("/resolutions/<int:resolution_id>/plan-item")
@login_required
def to_plan_item(resolution_id: int):
    actor = require_actor()
    resolution = queries.get_resolution(actor, resolution_id)
    data = _load(ToPlanItemIn())
    return _meeting_write(
        resolution.meeting_id,
        lambda actor: service.resolution_to_plan_item(actor, resolution_id, **data),
        _("已计入本届六个一。"),
        f"#resolution-{resolution_id}",
    )


@bp.route("/meetings/<int:meeting_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(meeting_id: int):
    """The liaison's phone: the QR's link fills in the code; she confirms with her name."""
    actor = require_actor()
    meeting = queries.get_meeting(actor, meeting_id)
    mine = permissions.liaison_unit_ids(actor)
    context = {
        "meeting": meeting,
        "my_attendance": next((a for a in meeting.attendances if a.unit_id in mine), None),
        "opens_at": meeting.starts_at - service.CHECKIN_OPENS_BEFORE,
    }
    if request.method == "GET":
        form = {
            "code": request.args.get("code", "").strip()[:16],
            "attendee_name": actor.display_name,
        }
        return render("meetings/checkin.html", form=form, errors={}, **context)
    retry_form("meetings/checkin.html", **context)
    data = _load(CheckinIn())
    with unit_of_work(actor):
        attendance = service.check_in(actor, meeting.id, now=utcnow(), **data)
        unit_name = attendance.unit.name
    flash(_("签到成功！%(unit)s已登记出席。", unit=unit_name), "success")
    return redirect(url_for("meetings.checkin", meeting_id=meeting.id))


# ---------------------------------------------------------------- 推选


def _election_context(actor, term) -> dict:
    community_id = terms_queries.community_id_of(term)
    community = alliance_queries.get_community(actor, community_id)
    election = queries.election_of(term.id)
    members = terms_queries.member_units(community_id)
    can_manage = permissions.can_manage_meetings(actor, community_id)
    eligible = service.eligible_unit_ids(community_id, local_today())
    voted = {v.voter_unit_id for v in election.votes} if election else set()
    return {
        "term": term,
        "community": community,
        "election": election,
        "tally": queries.tally(election) if election else [],
        "deputy": terms_queries.deputy_of(term.id),
        "can_manage": can_manage,
        "can_record": can_manage and election is not None and election.certified_at is None,
        "eligible": [u for u in members if u.id in eligible],
        "not_eligible": [u for u in members if u.id not in eligible],
        "voters": [u for u in members if u.id not in voted],
        "voter_options": [(u.id, u.name) for u in members if u.id not in voted],
        "eligible_options": [(u.id, u.name) for u in members if u.id in eligible],
        "methods": [(m.value, m.label) for m in ElectionMethod],
        "assembly": queries.term_assembly(term.id),
        "rotation": queries.rotation(term.alliance_id, members),
    }


@bp.get("/terms/<int:term_id>/election")
@login_required
def election(term_id: int):
    """推选轮值副书记: candidates, votes or 协商一致, the certified result, and the rotation."""
    actor = require_actor()
    term = terms_queries.get_term(actor, term_id)
    return render("meetings/election.html", form={}, errors={}, **_election_context(actor, term))


def _election_write(term_id: int, schema, write, message: str):
    actor = require_actor()
    term = terms_queries.get_term(actor, term_id)
    retry_form("meetings/election.html", **_election_context(actor, term))
    data = _load(schema)

    def create():
        write(actor, data)
        flash(message, "success")
        return redirect(url_for("meetings.election", term_id=term_id))

    return submit_once(actor, create)


@bp.post("/terms/<int:term_id>/election")
@login_required
def start_election(term_id: int):
    return _election_write(
        term_id,
        ElectionIn(),
        lambda actor, data: service.start_election(actor, term_id, today=local_today(), **data),
        _("已提名候选单位，请登记推选情况。"),
    )


def _election_of_term(term_id: int):
    found = queries.election_of(term_id)
    if found is None:
        raise NotFound()
    return found.id


@bp.post("/terms/<int:term_id>/election/vote")
@login_required
def vote(term_id: int):
    election_id = _election_of_term(term_id)
    return _election_write(
        term_id,
        VoteIn(),
        lambda actor, data: service.record_vote(actor, election_id, now=utcnow(), **data),
        _("已登记投票。"),
    )


@bp.post("/terms/<int:term_id>/election/agreement")
@login_required
def agreement(term_id: int):
    election_id = _election_of_term(term_id)
    return _election_write(
        term_id,
        ElectionAgreementIn(),
        lambda actor, data: service.record_agreement(actor, election_id, now=utcnow(), **data),
        _("已登记同意的单位。"),
    )


@bp.post("/terms/<int:term_id>/election/certify")
@login_required
def certify(term_id: int):
    election_id = _election_of_term(term_id)
    return _election_write(
        term_id,
        CertifyIn(),
        lambda actor, data: service.certify_election(actor, election_id, now=utcnow(), **data),
        _("推选结果已确认，本届轮值副书记单位牵头六个一。"),
    )
