"""Pages: the street's queue of raised needs, one escalation with its forms, the departments
list, the 吹哨 page of a need and the 街道协同处置 section of the need page."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop import xlsx
from coop.alliance.models import Street
from coop.alliance.permissions import require
from coop.auth.current import current_actor, login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound, retry_form
from coop.escalations import permissions, queries, service
from coop.escalations.models import ESCALATION_FLOW, EscalationStatus
from coop.escalations.schemas import (
    AssignIn,
    DepartmentIn,
    EscalateIn,
    EscalationRecordIn,
    OutcomeIn,
    QueueArgs,
    ReturnIn,
)
from coop.extensions import db
from coop.htmx import render
from coop.needs import permissions as need_permissions
from coop.needs import queries as need_queries
from coop.pagination import paginate
from coop.schemas import load_form
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("escalations", __name__)


def _street(actor, street_id: int) -> Street:
    """:raise NotFound: not a street the actor administers (as another community is a 404)."""
    street = db.session.get(Street, street_id)
    if street is None or not permissions.can_manage_departments(actor, street_id):
        raise NotFound()
    return street


def _loaded(schema, form) -> dict:
    data, errors = load_form(schema, form)
    if errors:
        raise Invalid(errors=errors)
    return data


EXPORT_HEADERS = (
    ("编号", 8),
    ("社区", 14),
    ("需求", 28),
    ("状态", 10),
    ("吹哨理由", 30),
    ("吹哨时间", 17),
    ("办理期限", 12),
    ("承办部门", 20),
    ("办理结果", 30),
    ("办结时间", 17),
)


@bp.get("/streets/<int:street_id>/escalations/export.xlsx")
@login_required
def export(street_id: int):
    actor = require_actor()
    street = _street(actor, street_id)
    args = _loaded(QueueArgs(), request.args)
    query = queries.queue_select(actor, street.id, status=args["status"], order=args["order"])
    rows = (
        [
            str(e.id),
            e.community.name,
            e.need.title,
            e.status.label,
            e.reason,
            xlsx.local_time(e.raised_at),
            e.deadline,
            "、".join(d.name for d in e.departments),
            e.outcome,
            xlsx.local_time(e.closed_at),
        ]
        for e in xlsx.streamed(query)
    )
    return xlsx.list_export("街道吹哨", EXPORT_HEADERS, rows, place=street.name, slug="escalations")


@bp.get("/streets/<int:street_id>/escalations")
@login_required
def queue(street_id: int):
    actor = require_actor()
    street = _street(actor, street_id)
    args = _loaded(QueueArgs(), request.args)
    query = queries.queue_select(actor, street.id, status=args["status"], order=args["order"])
    return render(
        "escalations/queue.html",
        block="rows",
        street=street,
        page=paginate(query, args["page"], args["per_page"]),
        args=args,
        filter_args={
            k: (v.value if hasattr(v, "value") else v)
            for k, v in args.items()
            if k in ("status", "order") and v
        },
        statuses=list(EscalationStatus),
        today=local_today(),
    )


def _detail_context(actor, escalation) -> dict:
    handles = permissions.can_handle(actor, escalation)
    street_id = escalation.community.street_id
    offered = queries.departments(street_id, active_only=True) if handles else []
    assigned = {d.id for d in escalation.departments}
    return {
        "escalation": escalation,
        "can_handle": handles,
        "can": {a: handles and ESCALATION_FLOW.can(escalation, a) for a in ESCALATION_FLOW.moves},
        "department_options": [(d.id, d.name) for d in offered if d.id not in assigned],
        "record_options": [(d.id, d.name) for d in escalation.departments],
        "today": local_today(),
    }


@bp.get("/escalations/<int:escalation_id>")
@login_required
def detail(escalation_id: int):
    actor = require_actor()
    escalation = queries.get_escalation(actor, escalation_id)
    return render(
        "escalations/detail.html", form={}, errors={}, **_detail_context(actor, escalation)
    )


@bp.post("/escalations/<int:escalation_id>/assign")
@login_required
def assign(escalation_id: int):
    actor = require_actor()
    escalation = queries.get_escalation(actor, escalation_id)
    retry_form("escalations/detail.html", **_detail_context(actor, escalation))
    data = _loaded(AssignIn(), request.form)
    with unit_of_work(actor):
        service.assign(actor, escalation.id, now=utcnow(), **data)
    flash(_("已分派，社区和居民会看到进展。"), "success")
    return redirect(url_for("escalations.detail", escalation_id=escalation.id))


@bp.post("/escalations/<int:escalation_id>/entries")
@login_required
def record(escalation_id: int):
    actor = require_actor()
    escalation = queries.get_escalation(actor, escalation_id)
    retry_form("escalations/detail.html", **_detail_context(actor, escalation))
    data = _loaded(EscalationRecordIn(), request.form)
    with unit_of_work(actor):
        service.record(actor, escalation.id, now=utcnow(), **data)
    flash(_("已记录处置情况。"), "success")
    return redirect(url_for("escalations.detail", escalation_id=escalation.id))


@bp.route("/escalations/<int:escalation_id>/resolve", methods=["GET", "POST"])
@login_required
def resolve(escalation_id: int):
    """办结 asks for the outcome on its own page first: the community and the resident read it."""
    actor = require_actor()
    escalation = queries.get_escalation(actor, escalation_id)
    require(permissions.can_handle(actor, escalation))
    context = {"escalation": escalation, "step": "resolve"}
    if request.method == "GET":
        ESCALATION_FLOW.check(escalation, "resolve")
        return render("escalations/confirm.html", form={}, errors={}, **context)
    retry_form("escalations/confirm.html", **context)
    data = _loaded(OutcomeIn(), request.form)
    with unit_of_work(actor):
        service.resolve(actor, escalation.id, now=utcnow(), **data)
    flash(_("已办结，需求已标记为已解决。"), "success")
    return redirect(url_for("escalations.detail", escalation_id=escalation.id))


@bp.route("/escalations/<int:escalation_id>/return", methods=["GET", "POST"])
@login_required
def return_(escalation_id: int):
    actor = require_actor()
    escalation = queries.get_escalation(actor, escalation_id)
    require(permissions.can_handle(actor, escalation))
    context = {"escalation": escalation, "step": "return"}
    if request.method == "GET":
        ESCALATION_FLOW.check(escalation, "return_")
        return render("escalations/confirm.html", form={}, errors={}, **context)
    retry_form("escalations/confirm.html", **context)
    data = _loaded(ReturnIn(), request.form)
    with unit_of_work(actor):
        service.return_to_community(actor, escalation.id, now=utcnow(), **data)
    flash(_("已退回社区，社区会看到原因。"), "success")
    return redirect(url_for("escalations.detail", escalation_id=escalation.id))


@bp.route("/needs/<int:need_id>/escalate", methods=["GET", "POST"])
@login_required
def escalate(need_id: int):
    """吹哨 asks for the reason on its own page: the street reads it to decide who handles it."""
    actor = require_actor()
    need = need_queries.get_need(actor, need_id)
    require(permissions.can_escalate(actor, need))
    context = {"need": need}
    if request.method == "GET":
        return render("escalations/escalate.html", form={}, errors={}, **context)
    retry_form("escalations/escalate.html", **context)
    data = _loaded(EscalateIn(), request.form)
    with unit_of_work(actor):
        service.escalate_need(actor, need.id, now=utcnow(), **data)
    flash(_("已上报街道，街道分派部门后会通知您。"), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


def _departments_context(street) -> dict:
    return {"street": street, "departments": queries.departments(street.id)}


@bp.route("/streets/<int:street_id>/departments", methods=["GET", "POST"])
@login_required
def departments(street_id: int):
    actor = require_actor()
    street = _street(actor, street_id)
    if request.method == "GET":
        return render(
            "escalations/departments.html", form={}, errors={}, **_departments_context(street)
        )
    retry_form("escalations/departments.html", **_departments_context(street))
    data = _loaded(DepartmentIn(), request.form)
    with unit_of_work(actor):
        department = service.add_department(actor, street.id, **data)
    flash(_("已添加部门“%(name)s”。", name=department.name), "success")
    return redirect(url_for("escalations.departments", street_id=street.id))


@bp.post("/departments/<int:department_id>/<any(rename, deactivate, activate):action>")
@login_required
def change_department(department_id: int, action: str):
    actor = require_actor()
    department = queries.get_department(actor, department_id)
    retry_form("escalations/departments.html", **_departments_context(department.street))
    with unit_of_work(actor):
        if action == "rename":
            data = _loaded(DepartmentIn(), request.form)
            service.update_department(actor, department.id, name=data["name"])
            message = _("已改名为“%(name)s”。", name=data["name"])
        else:
            service.update_department(actor, department.id, active=action == "activate")
            message = _("已停用。") if action == "deactivate" else _("已启用。")
    flash(message, "success")
    return redirect(url_for("escalations.departments", street_id=department.street_id))


@bp.app_template_global()
def need_escalations(need) -> dict | None:
    """The 街道协同处置 section of a need page: every time it was raised, and whether the reader
    may raise it now; None when she may not read it (the section is left out)."""
    actor = current_actor()
    if not permissions.can_follow(actor, need):
        return None
    found = queries.of_need(need.id)
    may_raise = (
        permissions.can_escalate(actor, need)
        and need.status in service.ESCALATABLE
        and not any(e.is_open for e in found)
    )
    return {
        "escalations": found,
        "may_raise": may_raise,
        "may_see_detail": need_permissions.can_see_all_needs(actor, need.community),
        "today": local_today(),
    }
