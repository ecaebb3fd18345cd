import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop import xlsx
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.claims import queries as claim_queries
from coop.claims import service as claim_service
from coop.claims.models import CLAIM_FLOW, ClaimStatus
from coop.claims.permissions import can_decide_claims
from coop.claims.schemas import OrderIn
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import render
from coop.meetings import service as meetings_service
from coop.needs import permissions as need_permissions
from coop.needs import queries as need_queries
from coop.needs.models import NeedStatus
from coop.pagination import paginate
from coop.projects import permissions, queries, service
from coop.projects.models import PROJECT_FLOW, ProjectMode, ProjectStatus
from coop.projects.schemas import EditProjectForm, LeadIn, ProjectArgs, ProjectForm
from coop.resources import queries as resource_queries
from coop.resources.models import ResourceStatus
from coop.schemas import ReasonIn, load_form
from coop.timeutil import COMMUNITY_TZ
from coop.uow import unit_of_work

bp = Blueprint("projects", __name__)

# What the secretary moves by hand; fill/reopen follow the claims, evaluation comes later.
PAGE_ACTIONS = ("publish", "start", "complete", "cancel")
CLAIM_ACTIONS = ("approve", "reject", "release", "fulfil")
MODE_HINTS = {
    ProjectMode.TEAM.value: _l("几家单位共同承担，一家牵头，适合集中开展的活动。"),
    ProjectMode.ROUTINE.value: _l("一个认领方长期定期服务，只有 1 个名额，志愿者也可认领。"),
}


def _counted(query: sa.Select) -> sa.Select:
    return sa.select(sa.func.count()).select_from(query.order_by(None).subquery())


def _listed(actor, community) -> tuple[sa.Select, dict]:
    """The list's query under the page's filters; the page and its export share it."""
    args, errors = load_form(
        ProjectArgs(only=("page", "per_page", "status", "category")), request.args
    )
    if errors:
        raise Invalid(errors=errors)
    query = queries.projects_select(
        actor, community_id=community.id, status=args.get("status"), category=args.get("category")
    )
    return query, args


EXPORT_HEADERS = (
    ("编号", 8),
    ("项目名称", 28),
    ("类别", 10),
    ("认领方式", 12),
    ("状态", 10),
    ("名额", 6),
    ("已认领", 8),
    ("开始时间", 17),
    ("结束时间", 17),
    ("认领截止", 17),
)


@bp.get("/communities/<int:community_id>/projects/export.xlsx")
@login_required
def export(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    query, _args = _listed(actor, community)
    rows = (
        [
            str(p.id),
            p.title,
            p.category.label,
            p.mode.label,
            p.status.label,
            p.slots,
            p.approved_count,
            *map(xlsx.local_time, (p.starts_at, p.ends_at, p.claim_deadline)),
        ]
        for p in xlsx.streamed(query)
    )
    return xlsx.list_export("项目清单", EXPORT_HEADERS, rows, place=community.name, slug="projects")


@bp.get("/communities/<int:community_id>/projects")
@login_required
def index(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    query, args = _listed(actor, community)
    can_manage = can_manage_community(actor, community)
    return render(
        "projects/list.html",
        block="project_rows",
        community=community,
        page=paginate(query, args["page"], args["per_page"]),
        args=args,
        statuses=[s for s in ProjectStatus if can_manage or s is not ProjectStatus.DRAFT],
        categories=list(Category),
        can_manage=can_manage,
    )


def _form_context(actor, community) -> dict:
    listed = need_queries.needs_select(actor, community_id=community.id, status=NeedStatus.LISTED)
    return {
        "community": community,
        "need_options": [
            (
                n.id,
                f"{n.title}（{n.category.label}{' · ' + n.neighbourhood.name if n.neighbourhood else ''}）",
            )
            for n in paginate(listed, 1, 200)["items"]
        ],
        "category_options": [(c.value, c.label) for c in Category],
        "mode_options": [(m.value, m.label) for m in ProjectMode],
        "mode_hints": {value: str(hint) for value, hint in MODE_HINTS.items()},
    }


@bp.route("/communities/<int:community_id>/projects/new", methods=["GET", "POST"])
@login_required
def new(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    context = _form_context(actor, community)
    if request.method == "GET":
        form = {"mode": ProjectMode.TEAM.value, "slots": "2", "volunteer_capacity": "0"}
        if request.args.get("need_id"):
            form["need_ids"] = [request.args["need_id"]]
        return render("projects/form.html", form=form, errors={}, **context)
    retry_form("projects/form.html", **context)
    data, errors = load_form(ProjectForm(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        project = service.create_project(actor, community.id, **data)
        flash(_("已生成项目草稿“%(title)s”，检查无误后请发布。", title=project.title), "success")
        return redirect(url_for("projects.detail", project_id=project.id))

    return submit_once(actor, create)


def _current_values(project) -> dict:
    """The project as its edit form shows it: each field as the form would send it."""
    form = {
        name: str(getattr(project, name))
        for name in ("title", "description", "slots", "volunteer_capacity", "schedule")
    }
    form.update(category=project.category.value, mode=project.mode.value)
    for name in ("starts_at", "ends_at", "claim_deadline"):
        form[name] = getattr(project, name).astimezone(COMMUNITY_TZ).strftime("%Y-%m-%dT%H:%M")
    form["need_ids"] = [str(need.id) for need in project.needs]
    form["auto_approve"] = "y" if project.auto_approve else ""
    form["version"] = str(project.version)
    return form


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    """编辑: what the project's state lets the secretary change, filled in; saved only if
    nobody saved it since she opened the page (the version rides along as a hidden field)."""
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    editable = service.editable_fields(actor, project)
    context = _form_context(actor, project.community)
    # Its own needs are in the project, no longer on the list: offer them too.
    context["need_options"] = [
        (n.id, f"{n.title}（{n.category.label}）") for n in project.needs
    ] + context["need_options"]
    context.update(project=project, editable=editable)
    if request.method == "GET":
        return render("projects/edit.html", form=_current_values(project), errors={}, **context)
    retry_form("projects/edit.html", **context)
    data, errors = load_form(EditProjectForm(only=(*editable, "version")), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.edit_project(actor, project.id, now=utcnow(), **data)
    flash(_("已保存修改。"), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


def _detail_context(actor, project) -> dict:
    now = utcnow()
    can_manage = can_manage_community(actor, project.community)
    claims = []
    if project.status is not ProjectStatus.DRAFT:
        query = claim_queries.claims_select(
            actor, community_id=project.community_id, project_id=project.id
        )
        claims = paginate(query, 1, 200)["items"]
    orders, resource_options = [], []
    if can_manage:
        orders = paginate(
            claim_queries.orders_select(
                actor, community_id=project.community_id, project_id=project.id
            ),
            1,
            200,
        )["items"]
        listed = resource_queries.resources_select(
            actor, community_id=project.community_id, status=ResourceStatus.LISTED
        )
        resource_options = [
            (r.id, f"{r.title} · {r.unit.name}") for r in paginate(listed, 1, 200)["items"]
        ]
    return {
        # The 决议 of the alliance meeting this project carries out, if it came from one.
        "resolution": meetings_service.resolution_of_project(project.id),
        "project": project,
        "now": now,
        "claims": claims,
        "orders": orders,
        "resource_options": resource_options,
        "can_manage": can_manage,
        "can_edit": permissions.can_edit_project(actor, project),
        "can_decide": can_decide_claims(actor, project.community),
        "can_see_needs": need_permissions.can_see_all_needs(actor, project.community),
        "actions": [a for a in PROJECT_FLOW.allowed(project) if a in PAGE_ACTIONS]
        if can_manage
        else [],
        "action_labels": PROJECT_FLOW.action_labels,
        "claim_actions": {
            c.id: [a for a in CLAIM_FLOW.allowed(c) if a in CLAIM_ACTIONS] for c in claims
        },
        "claim_flow": CLAIM_FLOW,
        "is_stale": claim_queries.is_stale,
        "holding": (ClaimStatus.APPROVED, ClaimStatus.FULFILLED),
    }


@bp.get("/projects/<int:project_id>")
@login_required
def detail(project_id: int):
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    # htmx asks for the summary only, when claims-changed says the slots may have moved.
    return render(
        "projects/detail.html",
        block="project_summary",
        form={},
        errors={},
        **_detail_context(actor, project),
    )


@bp.post("/projects/<int:project_id>/<any(publish, start, complete):action>")
@login_required
def move(project_id: int, action: str):
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    retry_form("projects/detail.html", **_detail_context(actor, project))
    with unit_of_work(actor):
        if action == "publish":
            service.publish_project(actor, project.id, now=utcnow())
            message = _("项目已发布到项目菜单，等待认领。")
        elif action == "start":
            service.start_project(actor, project.id)
            message = _("项目开始实施，认领已关闭。")
        else:
            service.complete_project(actor, project.id)
            message = _("项目已完成，来源需求已标记为已解决。")
    flash(message, "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.route("/projects/<int:project_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(project_id: int):
    """取消 ends every live claim and gives the needs back to the list: say why first."""
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    require(can_manage_community(actor, project.community))
    context = {"project": project}
    if request.method == "GET":
        return render("projects/cancel.html", form={}, errors={}, **context)
    retry_form("projects/cancel.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.cancel_project(actor, project.id, reason=data["reason"])
    flash(_("项目已取消，需求已退回清单。"), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.post("/projects/<int:project_id>/lead")
@login_required
def lead(project_id: int):
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    retry_form("projects/detail.html", **_detail_context(actor, project))
    data, errors = load_form(LeadIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        claim_service.set_lead(actor, project.id, data["claim_id"])
    flash(_("已设为牵头单位。"), "success")
    return redirect(url_for("projects.detail", project_id=project.id) + "#claims")


@bp.post("/projects/<int:project_id>/orders")
@login_required
def order(project_id: int):
    """资源点单: ask a unit for one of its listed resources; it becomes a claim once accepted."""
    actor = require_actor()
    project = queries.get_project(actor, project_id)
    retry_form("projects/detail.html", **_detail_context(actor, project))
    data, errors = load_form(OrderIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        sent = claim_service.order_resource(
            actor, project.id, data["resource_id"], note=data["note"]
        )
        flash(_("已向“%(unit)s”发送点单，等待对方接单。", unit=sent.unit.name), "success")
        return redirect(url_for("projects.detail", project_id=project.id) + "#orders")

    return submit_once(actor, create)


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel_order(order_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        cancelled = claim_service.cancel_order(actor, order_id)
    flash(_("已取消点单。"), "success")
    return redirect(url_for("projects.detail", project_id=cancelled.project_id) + "#orders")


@bp.get("/communities/<int:community_id>/steps")
@login_required
def steps(community_id: int):
    """三步走 at a glance, for the community page (which loads it with htmx and refreshes it
    when claims change); asked for directly, it is a page of its own."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    lists = {
        "needs_listed": need_queries.needs_select(
            actor, community_id=community.id, status=NeedStatus.LISTED
        ),
        "needs_submitted": need_queries.needs_select(
            actor, community_id=community.id, status=NeedStatus.SUBMITTED
        ),
        "resources": resource_queries.resources_select(
            actor, community_id=community.id, status=ResourceStatus.LISTED
        ),
        "projects": queries.projects_select(actor, community_id=community.id),
        "published": queries.projects_select(
            actor, community_id=community.id, status=ProjectStatus.PUBLISHED
        ),
        "claims_pending": claim_queries.claims_select(
            actor, community_id=community.id, status=ClaimStatus.PENDING
        ),
    }
    # Each list's own query counted, all in one statement.
    row = db.session.execute(
        sa.select(*(_counted(query).scalar_subquery().label(name) for name, query in lists.items()))
    ).one()
    counts = row._asdict()
    return render(
        "projects/steps.html",
        block="steps",
        community=community,
        counts=counts,
        can_see_needs=need_permissions.can_see_all_needs(actor, community),
        can_submit_need=need_permissions.can_submit_need(actor, community),
        can_decide=can_decide_claims(actor, community),
    )
