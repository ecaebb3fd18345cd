from datetime import date, timedelta

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coop import stats_monthly, xlsx
from coop.activities import queries as activity_queries
from coop.activities.models import Activity, ActivityStatus
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role, User
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.hours import errors as hour_errors
from coop.hours import export as hours_export
from coop.hours import permissions, queries, service, summary
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord, duration_text
from coop.hours.schemas import QueueArgs, RecordIn
from coop.htmx import is_htmx, render
from coop.pagination import paginate
from coop.people import queries as people_queries
from coop.privacy import mask_phone
from coop.schemas import ReasonIn, load_form
from coop.timeutil import COMMUNITY_TZ, local_today, next_month
from coop.uow import unit_of_work

bp = Blueprint("hours", __name__)

# The event every verification announces; counts of pending hours listen for it.
HOURS_CHANGED = "hours-changed"
OPTIONS_LIMIT = 200
VOLUNTEER_OPTIONS = 50  # a longer list is no use on a phone: the search box finds the rest


def _row(actor, record: ServiceRecord) -> dict:
    """What the secretary may do with one record, from the same predicates the service uses."""
    pending = record.status is RecordStatus.PENDING
    hint = ""
    if pending and permissions.is_own_record(actor, record):
        hint = str(hour_errors.OwnHours.default_message)
    elif pending and permissions.entered_it(actor, record):
        hint = str(hour_errors.SecondPersonNeeded.default_message)
    reversed_ = record.reversed_at is not None
    return {
        "can_verify": pending and permissions.can_verify(actor, record),
        "can_reject": pending and permissions.can_reject(actor, record),
        "can_reverse": record.status is RecordStatus.VERIFIED
        and record.origin is not RecordOrigin.REVERSAL
        and not reversed_
        and permissions.can_reverse(actor, record),
        "reversed": reversed_,
        "hint": hint,
    }


def _volunteer_options(actor, community, q: str) -> dict:
    """The first VOLUNTEER_OPTIONS of her volunteers by name (a city community has 20,000: the
    search box narrows them), read as plain columns; ``more`` when there are others."""
    people = people_queries.people_select(actor, community.id, role=Role.VOLUNTEER, q=q)
    rows = db.session.execute(
        people.with_only_columns(User.id, User.display_name, User.phone).limit(
            VOLUNTEER_OPTIONS + 1
        )
    ).all()
    return {
        "items": [
            (r.id, f"{r.display_name} {mask_phone(r.phone)}".strip())
            for r in rows[:VOLUNTEER_OPTIONS]
        ],
        "more": len(rows) > VOLUNTEER_OPTIONS,
    }


def _activity_options(actor, community, now) -> list[tuple[int, str]]:
    """The community's sessions that have begun: hours are entered for what took place."""
    held = activity_queries.activities_select(actor, community_id=community.id).where(
        Activity.starts_at <= now, Activity.status == ActivityStatus.SCHEDULED
    )
    rows = db.session.execute(
        held.with_only_columns(
            Activity.id, Activity.starts_at, Activity.ends_at, Activity.title
        ).limit(OPTIONS_LIMIT)
    )
    return [
        (
            a.id,
            f"{a.starts_at.astimezone(COMMUNITY_TZ):%Y-%m-%d} {a.title}"
            f"（{duration_text((a.ends_at - a.starts_at).total_seconds() / 3600)}）",
        )
        for a in rows
    ]


def _queue_context(actor, community, *, q: str = "") -> dict:
    args, errors = load_form(QueueArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    month = args.get("month") or ""
    pending = paginate(
        queries.records_select(actor, community_id=community.id, status=RecordStatus.PENDING),
        1,
        OPTIONS_LIMIT,
    )
    verified = paginate(
        queries.records_select(
            actor,
            community_id=community.id,
            status=RecordStatus.VERIFIED,
            served_in=month or None,
        ),
        args["page"],
        args["per_page"],
        # The page is for her community's managers: the list is the community's verified
        # records, which the monthly summary counts without reading them.
        count=summary.verified_count(
            community.id, stats_monthly.parse_period(month).first if month else None
        ),
    )
    return {
        "community": community,
        "pending": pending,
        "verified": verified,
        "rows": {r.id: _row(actor, r) for r in [*pending["items"], *verified["items"]]},
        "q": q,
        "month": month,
        "month_range": _month_range(month) if month else None,
        "month_hours": _month_hours(community.id, month) if month else None,
        "volunteer_options": _volunteer_options(actor, community, q),
        "activity_options": _activity_options(actor, community, utcnow()),
    }


def _month_hours(community_id: int, month: str):
    """The month's verified hours still standing: the community page's chart's figure."""
    period = stats_monthly.parse_period(month)
    return stats_monthly.verified_hours([community_id], [period]).get((community_id, 0), 0)


def _month_range(month: str) -> tuple[str, str]:
    """The month's first and last day (not past today): the export form's range for it."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    last = min(next_month(first) - timedelta(days=1), local_today())
    return first.isoformat(), max(first, last).isoformat()


def _managed(actor, community_id: int):
    """:raise NotFound: not her community. :raise Forbidden: she does not manage it."""
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    return community


@bp.get("/communities/<int:community_id>/hours")
@login_required
def queue(community_id: int):
    """时长核实: pending hours to verify or reject, verified ones to correct, and 补录."""
    actor = require_actor()
    community = _managed(actor, community_id)
    q = request.args.get("q", "").strip()[:32]
    # htmx asks for the counts only, when hours-changed says a verification moved them.
    return render(
        "hours/queue.html",
        block="queue_counts",
        form={},
        errors={},
        **_queue_context(actor, community, q=q),
    )


@bp.get("/communities/<int:community_id>/hours/volunteers")
@login_required
def volunteers(community_id: int):
    """The 补录 form's volunteer options for a name typed in the search box; the whole queue
    page (with the narrowed list) when visited without htmx."""
    actor = require_actor()
    community = _managed(actor, community_id)
    q = request.args.get("q", "").strip()[:32]
    if not is_htmx():
        return render(
            "hours/queue.html", form={}, errors={}, **_queue_context(actor, community, q=q)
        )
    return render(
        "hours/queue.html",
        block="volunteer_options",
        form={},
        volunteer_options=_volunteer_options(actor, community, q),
    )


@bp.post("/communities/<int:community_id>/hours")
@login_required
def enter(community_id: int):
    """补录: hours entered afterwards wait for a second member of staff to verify them."""
    actor = require_actor()
    community = _managed(actor, community_id)
    retry_form("hours/queue.html", **_queue_context(actor, community))
    data, errors = load_form(RecordIn(exclude=("community_id",)), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        record = service.enter_hours(actor, community.id, **data)
        name, hours = record.volunteer.display_name, duration_text(record.hours)
        flash(
            _("已为%(name)s补录 %(hours)s，请另一位工作人员核实。", name=name, hours=hours),
            "success",
        )
        return redirect(url_for("hours.queue", community_id=community.id) + "#pending")

    return submit_once(actor, create)


@bp.post("/service-records/<int:record_id>/verify")
@login_required
def verify(record_id: int):
    actor = require_actor()
    record = queries.get_record(actor, record_id)
    with unit_of_work(actor):
        service.verify_record(actor, record.id, now=utcnow())
    if is_htmx():
        html = render_template("hours/_record_row.html", record=record, row=_row(actor, record))
        response = make_response(html)
        response.headers["HX-Trigger"] = HOURS_CHANGED
        response.headers["HX-Retarget"] = f"#record-{record.id}"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(
        _(
            "已核实%(name)s的 %(hours)s，积分 %(points)d 已到账。",
            name=record.volunteer.display_name,
            hours=duration_text(record.hours),
            points=record.points or 0,
        ),
        "success",
    )
    return redirect(url_for("hours.queue", community_id=record.community_id) + "#pending")


@bp.route("/service-records/<int:record_id>/<any(reject, reverse):action>", methods=["GET", "POST"])
@login_required
def end(record_id: int, action: str):
    """驳回 and 冲正 each ask for the reason the volunteer reads."""
    actor = require_actor()
    record = queries.get_record(actor, record_id)
    can = permissions.can_reject if action == "reject" else permissions.can_reverse
    require(can(actor, record))
    context = {"record": record, "action": action}
    if request.method == "GET":
        return render("hours/confirm.html", form={}, errors={}, **context)
    retry_form("hours/confirm.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        if action == "reject":
            service.reject_record(actor, record.id, reason=data["reason"], now=utcnow())
            message = _("已驳回，志愿者会看到原因。")
        else:
            service.reverse_record(actor, record.id, reason=data["reason"], now=utcnow())
            message = _("已冲正，时长和积分已退回。如需更正，请重新补录正确的时长。")
    flash(message, "success")
    anchor = "#pending" if action == "reject" else "#verified"
    return redirect(url_for("hours.queue", community_id=record.community_id) + anchor)


@bp.get("/communities/<int:community_id>/hours/export.xlsx")
@login_required
def export_verified(community_id: int):
    """Verified hours, one row per volunteer and record, for the national system (staff only)."""
    actor = require_actor()
    community = _managed(actor, community_id)
    # A refused range comes back as the form she sent, each message beside its field.
    retry_form("hours/export.html", community=community)
    args, errors = load_form(hours_export.HoursExportArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    start, end = hours_export.check_range(args["from"], args["to"], today=local_today())
    return xlsx.list_export(
        f"志愿服务时长-{start.isoformat()}至{end.isoformat()}",
        hours_export.HEADERS,
        hours_export.rows(community, start, end),
        place=community.name,
        slug=f"verified-hours-{start.isoformat()}-{end.isoformat()}",
    )
