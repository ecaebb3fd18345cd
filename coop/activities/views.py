from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, selectinload

from coop import xlsx
from coop.activities import permissions, queries, service
from coop.activities.models import (
    LIVE_SIGNUP,
    Activity,
    ActivityStatus,
    Feedback,
    Signup,
    SignupStatus,
)
from coop.activities.schemas import (
    ActivityEdit,
    ActivityIn,
    CodeIn,
    FeedbackIn,
    MonthArgs,
    SignupIn,
    VolunteerIn,
    checkin_qr,
)
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, can_view_people, require
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.hours import queries as hours_queries
from coop.hours.models import RecordOrigin, ServiceRecord, duration_text
from coop.htmx import is_htmx, render
from coop.pagination import paginate
from coop.people import queries as people_queries
from coop.photos import service as photos_service
from coop.projects import queries as project_queries
from coop.projects.models import ProjectStatus
from coop.schemas import ReasonIn, load_form
from coop.timeutil import COMMUNITY_TZ
from coop.uow import unit_of_work

bp = Blueprint("activities", __name__)

# The event every sign-up and check-in change announces; counts and rosters listen for it.
SIGNUPS_CHANGED = "signups-changed"
# 满意度 in the words a secretary reads out to a resident.
RATINGS = (
    (5, _l("很满意")),
    (4, _l("满意")),
    (3, _l("一般")),
    (2, _l("不满意")),
    (1, _l("很不满意")),
)
SEARCH_LIMIT = 20
# Where service.schedule_activity refuses a session, the project page offers no 安排活动.
UNSCHEDULABLE = (ProjectStatus.DRAFT, ProjectStatus.CANCELLED, ProjectStatus.EVALUATED)


def _rating_options() -> list[tuple[int, str]]:
    return [(value, str(word)) for value, word in RATINGS]


def _safe_next(target: str | None, default: str) -> str:
    """Back to the page the form came from, if it is a path on this site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _fragment(html: str, target: str):
    """An htmx answer that replaces ``target`` and tells the page that sign-ups changed.

    Forms aim htmx at their own message slot, so that the one error handler's fragment lands
    there; only success re-aims the response at the element to replace.
    """
    response = make_response(html)
    response.headers["HX-Trigger"] = SIGNUPS_CHANGED
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _checkin_open(activity: Activity, now) -> bool:
    return activity.starts_at - service.CHECKIN_OPENS_BEFORE <= now <= activity.ends_at


def _my_live_signups(actor, activities) -> dict[int, Signup]:
    """The actor's live sign-ups among these activities, in one query."""
    ids = [a.id for a in activities]
    if not ids:
        return {}
    query = queries.my_signups_select(actor.id).where(
        Signup.activity_id.in_(ids), Signup.status.in_(LIVE_SIGNUP)
    )
    return {s.activity_id: s for s in db.session.scalars(query)}


def _panel_context(actor, activity, signup, now, *, next_url: str = "") -> dict:
    return {
        "activity": activity,
        "signup": signup,
        "now": now,
        "checkin_open": _checkin_open(activity, now),
        "is_volunteer": permissions.is_volunteer_of(actor, activity.community_id),
        "next_url": next_url,
    }


def _upcoming_count(actor) -> int:
    """Her live sign-ups for sessions not yet over: the 我的活动 badge."""
    query = _mine_upcoming_select(actor, utcnow())
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )


# --- The list volunteers read on their phones ----------------------------------------------


@bp.get("/communities/<int:community_id>/activities")
@login_required
def index(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    args = _list_args()
    month = args.get("month") or None
    now = utcnow()
    upcoming = paginate(
        queries.activities_select(actor, community_id=community.id, upcoming_from=now, month=month),
        1,
        200,
    )["items"]
    # Over, or called off: newest first, below the ones she can still join.
    past = queries.activities_select(actor, community_id=community.id, month=month).where(
        sa.or_(Activity.ends_at <= now, Activity.status == ActivityStatus.CANCELLED)
    )
    is_volunteer = permissions.is_volunteer_of(actor, community.id)
    return render(
        "activities/list.html",
        community=community,
        upcoming=upcoming,
        past=paginate(past, args["page"], args["per_page"]),
        my_signups=_my_live_signups(actor, upcoming),
        now=now,
        checkin_open_by_id={a.id: _checkin_open(a, now) for a in upcoming},
        is_volunteer=is_volunteer,
        can_organise=permissions.can_organise(actor, community),
        upcoming_count=_upcoming_count(actor) if is_volunteer else 0,
        next_url="",
        month=month or "",
    )


def _list_args() -> dict:
    """The page's and its export's filters; a malformed month is a 422 with the reason."""
    args, errors = load_form(MonthArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    return args


EXPORT_HEADERS = (
    ("编号", 8),
    ("活动名称", 28),
    ("所属项目", 24),
    ("开始时间", 17),
    ("结束时间", 17),
    ("地点", 24),
    ("状态", 8),
    ("名额", 6),
    ("参加人数", 8),
)


@bp.get("/communities/<int:community_id>/activities/export.xlsx")
@login_required
def export(community_id: int):
    """The page's two lists (still to come, and over or called off) in one sheet, newest first,
    under the page's month filter."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    month = _list_args().get("month") or None
    query = queries.activities_select(actor, community_id=community.id, month=month).options(
        selectinload(Activity.project)
    )
    rows = (
        [
            str(a.id),
            a.title,
            a.project.title if a.project else "",
            xlsx.local_time(a.starts_at),
            xlsx.local_time(a.ends_at),
            a.place,
            a.status.label,
            a.capacity,
            a.confirmed_count,
        ]
        for a in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "志愿活动", EXPORT_HEADERS, rows, place=community.name, slug="activities"
    )


# --- Scheduling ----------------------------------------------------------------------------


def _scheduled_message(activity, now) -> str:
    """What scheduling opened: sign-ups for a session ahead; for one already over (recorded
    afterwards), 补录 of the hours of those who came."""
    if activity.ends_at <= now:
        return _(
            "已登记已结束的活动“%(title)s”：请在时长核实页为参加的志愿者补录时长。",
            title=activity.title,
        )
    if activity.starts_at <= now:
        return _(
            "已安排活动“%(title)s”，活动已经开始：志愿者可以报名签到，工作人员也可代签到。",
            title=activity.title,
        )
    return _("已安排活动“%(title)s”，志愿者现在可以报名。", title=activity.title)


def _schedule(actor, community, project):
    context = {"community": community, "project": project}
    if request.method == "GET":
        form = {"capacity": "10", "title": project.title if project else ""}
        return render("activities/form.html", form=form, errors={}, **context)
    retry_form("activities/form.html", **context)
    data, errors = load_form(ActivityIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        activity = service.schedule_activity(
            actor, community.id, project_id=project.id if project else None, **data
        )
        flash(_scheduled_message(activity, utcnow()), "success")
        return redirect(url_for("activities.detail", activity_id=activity.id))

    return submit_once(actor, create)


@bp.route("/communities/<int:community_id>/activities/new", methods=["GET", "POST"])
@login_required
def new(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_organise(actor, community))
    return _schedule(actor, community, None)


@bp.route("/projects/<int:project_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_for_project(project_id: int):
    actor = require_actor()
    project = project_queries.get_project(actor, project_id)
    require(permissions.can_organise(actor, project.community, project))
    return _schedule(actor, project.community, project)


def _current_values(activity) -> dict:
    """The activity as its edit form shows it: each field as the form would send it."""
    form = {name: str(getattr(activity, name)) for name in ("title", "place", "capacity")}
    for name in ("starts_at", "ends_at"):
        form[name] = getattr(activity, name).astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M")
    form["description"] = activity.description
    form["theme_month"] = activity.theme_month or ""
    form["version"] = str(activity.version)
    return form


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id: int):
    """编辑 until the session starts; everyone signed up is told what changed."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    service.can_still_edit(actor, activity, utcnow())
    context = {"activity": activity, "community": activity.community, "project": activity.project}
    if request.method == "GET":
        return render("activities/edit.html", form=_current_values(activity), errors={}, **context)
    retry_form("activities/edit.html", **context)
    data, errors = load_form(ActivityEdit(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.edit_activity(actor, activity.id, now=utcnow(), **data)
    flash(_("已保存修改。"), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


# --- The detail page: everyone's view, and the organiser's desk -----------------------------


def _roster_context(actor, activity, *, q: str = "") -> dict:
    """What only organisers get: the code, the QR, the roster and the volunteer search."""
    roster = queries.signups_of(activity.id)
    searchable = can_view_people(actor, activity.community)
    found = []
    if searchable and q:
        signed = {s.volunteer_id for s in roster}
        people = people_queries.people_select(
            actor, activity.community_id, role=Role.VOLUNTEER, q=q
        )
        found = [p for p in paginate(people, 1, SEARCH_LIMIT)["items"] if p.id not in signed]
    return {
        "code": activity.checkin_code,
        # Rendered here, not as an <img> of the API's qr.svg: an <img> would not carry the session.
        "qr_svg": Markup(checkin_qr(activity).svg_inline(scale=6, title=_("签到二维码"))),
        "roster": roster,
        "searchable": searchable,
        "q": q,
        "found": found,
        "searched": searchable and bool(q),
    }


def _detail_context(actor, activity, now, *, q: str = "") -> dict:
    can_run = permissions.can_run(actor, activity)
    can_rate = can_manage_community(actor, activity.community)
    signup = queries.live_signup(activity.id, actor.id)
    context = {
        **_panel_context(actor, activity, signup, now),
        "can_run": can_run,
        "can_cancel": can_run and activity.status is ActivityStatus.SCHEDULED,
        "can_edit": permissions.can_edit_activity(actor, activity, now),
        "can_rate": can_rate and now >= activity.starts_at,
        "rating_options": _rating_options(),
        "feedback": _feedback_of(activity.id) if can_rate else [],
        "photos": photos_service.photos_of(activity.id),
        "can_add_photos": photos_service.can_add_photos(actor, activity),
    }
    if can_run:
        context.update(_roster_context(actor, activity, q=q))
    return context


def _feedback_of(activity_id: int) -> list[Feedback]:
    return list(
        db.session.scalars(
            sa.select(Feedback)
            .where(Feedback.activity_id == activity_id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        )
    )


@bp.get("/activities/<int:activity_id>")
@login_required
def detail(activity_id: int):
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    # htmx asks for the roster only, when signups-changed says it may have moved.
    return render(
        "activities/detail.html",
        block="roster",
        form={},
        errors={},
        **_detail_context(actor, activity, utcnow()),
    )


@bp.get("/activities/<int:activity_id>/volunteers")
@login_required
def search(activity_id: int):
    """代签到 for someone not signed up: find her by name. htmx gets the results; without
    JavaScript the search form lands on the whole page with the results in place."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    require(permissions.can_run(actor, activity))
    context = _detail_context(actor, activity, utcnow(), q=request.args.get("q", "").strip()[:32])
    return render(
        "activities/detail.html", block="volunteer_results", form={}, errors={}, **context
    )


# --- Signing up ----------------------------------------------------------------------------


def _answer_panel(actor, activity, now, message: str, default_next: str):
    """htmx: the card's panel, swapped in place. Otherwise: the message and back where she was."""
    next_url = _safe_next(request.form.get("next"), default_next)
    if is_htmx():
        signup = queries.live_signup(activity.id, actor.id)
        context = _panel_context(
            actor, activity, signup, now, next_url=request.form.get("next", "")
        )
        html = render_template("activities/_signup_panel.html", panel_message=message, **context)
        return _fragment(html, f"#signup-panel-{activity.id}")
    flash(message, "success")
    return redirect(next_url)


@bp.post("/activities/<int:activity_id>/signup")
@login_required
def sign_up(activity_id: int):
    """报名 or 候补. From a card with htmx the card's panel is swapped in place and the page
    hears signups-changed; without JavaScript, back to the list (or the page she came from)."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    now = utcnow()
    retry_form("activities/detail.html", **_detail_context(actor, activity, now))
    data, errors = load_form(SignupIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        signup = service.sign_up(actor, activity.id, now=now, **data)
        if signup.status is SignupStatus.WAITLISTED:
            message = _("已加入候补。有人取消时，您会按顺序获得名额，并收到通知。")
        else:
            message = _("报名成功！请按时到“%(place)s”签到。", place=activity.place)
        default = url_for("activities.index", community_id=activity.community_id)
        return _answer_panel(actor, activity, now, message, f"{default}#activity-{activity.id}")

    return submit_once(actor, create)


@bp.post("/activities/<int:activity_id>/signup/cancel")
@login_required
def cancel_signup(activity_id: int):
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    now = utcnow()
    retry_form("activities/detail.html", **_detail_context(actor, activity, now))
    with unit_of_work(actor):
        service.cancel_signup(actor, activity.id, now=now)
    return _answer_panel(actor, activity, now, _("已取消报名。"), url_for("activities.mine"))


# --- The organiser's desk: code, roster, check-in on her behalf, cancel --------------------


def _roster_answer(actor, activity, message: str):
    if is_htmx():
        context = _detail_context(actor, activity, utcnow())
        html = render("activities/detail.html", block="roster", form={}, errors={}, **context)
        return _fragment(html, "#roster")
    flash(message, "success")
    return redirect(url_for("activities.detail", activity_id=activity.id) + "#roster")


@bp.post("/activities/<int:activity_id>/<any('checkin-for', 'checkout-for'):action>")
@login_required
def on_behalf(activity_id: int, action: str):
    """代签到 / 代签退 for a volunteer without a phone; the roster is swapped in place."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    require(permissions.can_run(actor, activity))
    retry_form("activities/detail.html", **_detail_context(actor, activity, utcnow()))
    data, errors = load_form(VolunteerIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        if action == "checkin-for":
            signup = service.check_in_for(actor, activity.id, data["volunteer_id"], now=utcnow())
            message = _("已为%(name)s签到。", name=signup.volunteer.display_name)
        else:
            record = service.check_out_for(actor, activity.id, data["volunteer_id"], now=utcnow())
            message = _(
                "已为%(name)s签退，服务时长 %(hours)s，等待核实。",
                name=record.volunteer.display_name,
                hours=duration_text(record.hours),
            )
    return _roster_answer(actor, activity, message)


@bp.route("/activities/<int:activity_id>/rotate", methods=["GET", "POST"])
@login_required
def rotate(activity_id: int):
    """更换签到码: the old code and the printed QR stop working, so ask first."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    require(permissions.can_run(actor, activity))
    context = {"activity": activity, "action": "rotate"}
    if request.method == "GET":
        return render("activities/confirm.html", form={}, errors={}, **context)
    retry_form("activities/confirm.html", **context)
    with unit_of_work(actor):
        code = service.rotate_code(actor, activity.id).checkin_code
    flash(_("已更换签到码，新的签到码是 %(code)s，旧码和旧二维码作废。", code=code), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(activity_id: int):
    """取消活动: everyone signed up is told why."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    require(permissions.can_run(actor, activity))
    context = {"activity": activity, "action": "cancel"}
    if request.method == "GET":
        return render("activities/confirm.html", form={}, errors={}, **context)
    retry_form("activities/confirm.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.cancel_activity(actor, activity.id, reason=data["reason"])
    flash(_("活动已取消，已报名的志愿者会收到通知和原因。"), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.post("/activities/<int:activity_id>/feedback")
@login_required
def feedback(activity_id: int):
    """满意度评价, recorded by the secretary after the activity has started."""
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    retry_form("activities/detail.html", **_detail_context(actor, activity, utcnow()))
    data, errors = load_form(FeedbackIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        service.record_feedback(actor, activity.id, now=utcnow(), **data)
        flash(_("已记录满意度评价，谢谢！"), "success")
        return redirect(url_for("activities.detail", activity_id=activity.id) + "#feedback")

    return submit_once(actor, create)


# --- The phone page the QR opens -------------------------------------------------------------


def _my_records(actor, activity_ids) -> dict[int, list[ServiceRecord]]:
    """Her records of service for these activities, oldest first: a reversed record, its
    reversal and a corrected entry read in the order they happened."""
    if not activity_ids:
        return {}
    query = (
        hours_queries.records_select(actor, volunteer_id=actor.id)
        .where(ServiceRecord.activity_id.in_(activity_ids))
        .order_by(None)
        .order_by(ServiceRecord.created_at, ServiceRecord.id)
    )
    records: dict[int, list[ServiceRecord]] = {}
    for record in db.session.scalars(query):
        records.setdefault(record.activity_id, []).append(record)
    return records


def _checkin_context(actor, activity, now) -> dict:
    signup = queries.live_signup(activity.id, actor.id)
    records = []
    if signup is not None and signup.checked_out_at is not None:
        records = _my_records(actor, [activity.id]).get(activity.id, [])
    return {
        **_panel_context(actor, activity, signup, now),
        "records": records,
        "can_run": permissions.can_run(actor, activity),
        "opens_at": activity.starts_at - service.CHECKIN_OPENS_BEFORE,
    }


def _code_form() -> dict:
    data, errors = load_form(CodeIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    return data


@bp.route("/activities/<int:activity_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(activity_id: int):
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    now = utcnow()
    context = _checkin_context(actor, activity, now)
    if request.method == "GET":
        form = {"code": request.args.get("code", "").strip()[:16]}
        return render("activities/checkin.html", form=form, errors={}, **context)
    retry_form("activities/checkin.html", **context)
    code = _code_form()["code"]
    with unit_of_work(actor):
        service.check_in(actor, activity.id, code=code, now=now)
    flash(_("签到成功！"), "success")
    return redirect(url_for("activities.checkin", activity_id=activity.id, code=code))


@bp.post("/activities/<int:activity_id>/checkout")
@login_required
def checkout(activity_id: int):
    actor = require_actor()
    activity = queries.get_activity(actor, activity_id)
    now = utcnow()
    retry_form("activities/checkin.html", **_checkin_context(actor, activity, now))
    code = _code_form()["code"]
    with unit_of_work(actor):
        record = service.check_out(actor, activity.id, code=code, now=now)
        hours = duration_text(record.hours)
    flash(_("签退成功！服务时长 %(hours)s，社区核实后计入积分。", hours=hours), "success")
    return redirect(url_for("activities.checkin", activity_id=activity.id))


# --- Her sign-ups ----------------------------------------------------------------------------


def _still_ahead(now):
    """A live sign-up for a session that is neither over nor called off."""
    return sa.and_(
        Signup.status.in_(LIVE_SIGNUP),
        Activity.ends_at > now,
        Activity.status == ActivityStatus.SCHEDULED,
    )


def _my_signups_select(actor) -> sa.Select:
    """Her sign-ups with their activities, loaded by the query's own join."""
    return queries.my_signups_select(actor.id).options(contains_eager(Signup.activity))


def _mine_upcoming_select(actor, now) -> sa.Select:
    query = _my_signups_select(actor).where(_still_ahead(now))
    return query.order_by(None).order_by(Activity.starts_at, Signup.id)


def _mine_context(actor) -> dict:
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    now = utcnow()
    upcoming = paginate(_mine_upcoming_select(actor, now), 1, 200)["items"]
    past = paginate(
        _my_signups_select(actor).where(sa.not_(_still_ahead(now))),
        args["page"],
        args["per_page"],
    )
    records = _my_records(actor, [s.activity_id for s in [*upcoming, *past["items"]]])
    return {
        "upcoming": upcoming,
        "past": past,
        "records": records,
        "now": now,
        "checkin_open_by_id": {s.activity_id: _checkin_open(s.activity, now) for s in upcoming},
        "upcoming_count": len(upcoming),
    }


@bp.get("/my/activities")
@login_required
def mine():
    return render("activities/mine.html", **_mine_context(require_actor()))


MY_EXPORT_HEADERS = (
    ("活动名称", 28),
    ("社区", 16),
    ("开始时间", 17),
    ("结束时间", 17),
    ("地点", 24),
    ("报名状态", 10),
    ("签到时间", 17),
    ("签退时间", 17),
    ("服务时长（小时）", 12),
    ("时长状态", 10),
)


@bp.get("/my/activities/export.xlsx")
@login_required
def export_mine():
    """我的活动: every sign-up the page lists (still ahead and past), with her hours for each."""
    actor = require_actor()
    signups = list(
        db.session.scalars(
            queries.my_signups_select(actor.id).options(
                contains_eager(Signup.activity).selectinload(Activity.community)
            )
        )
    )
    records = _my_records(actor, [s.activity_id for s in signups])

    def hours(signup):
        live = [
            r
            for r in records.get(signup.activity_id, [])
            if r.origin is not RecordOrigin.REVERSAL and r.reversed_at is None
        ]
        return (live[-1].hours, live[-1].status.label) if live else (None, "")

    rows = (
        [
            s.activity.title,
            s.activity.community.name,
            xlsx.local_time(s.activity.starts_at),
            xlsx.local_time(s.activity.ends_at),
            s.activity.place,
            s.status.label,
            xlsx.local_time(s.checked_in_at),
            xlsx.local_time(s.checked_out_at),
            *hours(s),
        ]
        for s in signups
    )
    return xlsx.list_export(
        "我的活动", MY_EXPORT_HEADERS, rows, place=actor.display_name, slug="my-activities"
    )


@bp.get("/my/activities/badge")
@login_required
def badge():
    """The 我的活动 count, for pages that refresh it on signups-changed; the list if visited."""
    return render("activities/mine.html", block="signups_badge", **_mine_context(require_actor()))


# --- A project's sessions and ratings, for the project page ----------------------------------


@bp.get("/projects/<int:project_id>/activities")
@login_required
def for_project(project_id: int):
    """The 活动场次 section of the project page (loaded with htmx); a page when visited."""
    actor = require_actor()
    project = project_queries.get_project(actor, project_id)
    activities = paginate(queries.activities_select(actor, project_id=project.id), 1, 200)["items"]
    can_manage = can_manage_community(actor, project.community)
    ratings = list(
        db.session.scalars(
            sa.select(Feedback)
            .where(Feedback.project_id == project.id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        )
    )
    return render(
        "activities/project.html",
        block="project_activities",
        project=project,
        activities=activities,
        now=utcnow(),
        can_schedule=permissions.can_organise(actor, project.community, project)
        and project.status not in UNSCHEDULABLE,
        average=sum(f.rating for f in ratings) / len(ratings) if ratings else None,
        # A resident's name is for the community's staff only: others are not given it.
        ratings=[
            {
                "rating": f.rating,
                "comment": f.comment,
                "created_at": f.created_at,
                "activity_id": f.activity_id,
                "beneficiary_name": f.beneficiary_name if can_manage else "",
            }
            for f in ratings
        ],
        rating_words=dict(_rating_options()),
    )
