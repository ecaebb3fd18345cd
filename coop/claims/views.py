from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from coop import xlsx
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import liaison_unit_ids, require
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.claims import errors as claim_errors
from coop.claims import permissions, queries, service
from coop.claims.models import (
    CLAIM_FLOW,
    ORDER_FLOW,
    Claim,
    ClaimantType,
    ClaimStatus,
    OrderStatus,
    ResourceOrder,
)
from coop.claims.schemas import ClaimIn, MenuArgs, QueueArgs
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import is_htmx, render
from coop.pagination import paginate
from coop.projects import queries as project_queries
from coop.projects.models import Project, ProjectMode
from coop.resources import queries as resource_queries
from coop.resources.models import ResourceStatus
from coop.schemas import ReasonIn, load_form
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("claims", __name__)

# The event every claim change announces; fragments that count claims listen for it.
CLAIMS_CHANGED = "claims-changed"
DECISIONS = ("approve", "reject", "release", "fulfil")
QUEUE_PAGE = 30  # claims per section of the review page


def _count(query: sa.Select) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )


def _safe_next(target: str | None, default: str) -> str:
    """Back to the page the form came from, if it is a path on this site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _fragment(html: str, target: str):
    """An htmx answer that replaces ``target`` and tells the page that claims changed.

    Claim forms aim htmx at their own message slot, so that the one error handler's fragment
    lands there; only success re-aims the response at the element to replace.
    """
    response = make_response(html)
    response.headers["HX-Trigger"] = CLAIMS_CHANGED
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _live_claims_count(actor) -> int:
    live = Claim.status.in_((ClaimStatus.PENDING, ClaimStatus.APPROVED))
    return _count(queries.claims_select(actor, mine=True).where(live))


# --- The menu (点单) -------------------------------------------------------------------------


MENU_FIRSTS = 4  # cards each category shows on the menu's first view
MENU_PAGE = 20  # cards a page of one category shows


def _claimant_context(actor, community, now, project_ids: list[int]) -> dict:
    """Who the actor claims as in this community, and her live claims on these projects.

    The unit is the one claims.service picks: the first of her units that serves the community.
    """
    unit = next(
        (
            m.unit
            for m in alliance_queries.memberships_for_units(liaison_unit_ids(actor))
            if m.community_id == community.id
        ),
        None,
    )
    unit_blocked = None
    if unit is not None and not alliance_queries.live_agreement(
        unit.id, community.id, local_today()
    ):
        unit_blocked = str(claim_errors.NoLiveAgreement.default_message)
    return {
        "now": now,
        "unit": unit,
        "unit_blocked": unit_blocked,
        "is_volunteer": permissions.is_volunteer_of(actor, community.id),
        "teams": queries.teams_to_claim_for(actor, community.id),
        "my_claims": queries.live_claims_on(actor, project_ids),
        "claim_flow": CLAIM_FLOW,
    }


def _pledge_options(actor, community, unit) -> list:
    """The resources her unit may pledge with a claim: only the claim form lists them."""
    if unit is None:
        return []
    pledges = resource_queries.resources_select(
        actor, community_id=community.id, unit_id=unit.id, status=ResourceStatus.LISTED
    )
    return paginate(pledges, 1, 200, count=0)["items"]


def _claim_as(context: dict, project) -> str | None:
    """'unit', 'team', 'volunteer' or None: how the actor would claim this project. A team's
    leader is offered her teams first and herself too (the panel lets her choose)."""
    if context["unit"] is not None:
        return ClaimantType.UNIT.value
    if project.mode is not ProjectMode.ROUTINE:
        return None
    if context["teams"]:
        return ClaimantType.TEAM.value
    if context["is_volunteer"]:
        return ClaimantType.VOLUNTEER.value
    return None


def _claim_form(form) -> MultiDict:
    """The panel's choice "team:7" is the API's claimant "team" with team_id 7."""
    values = MultiDict(form)
    chosen = values.get("claimant", "")
    if chosen.startswith("team:"):
        values["claimant"] = ClaimantType.TEAM.value
        values["team_id"] = chosen.removeprefix("team:")
    return values


def _panel_context(actor, project, now, *, show_form: bool = True) -> dict:
    """One project's claim panel: on the claim page and its fragment, with the form open."""
    context = _claimant_context(actor, project.community, now, [project.id])
    pledges = _pledge_options(actor, project.community, context["unit"]) if show_form else []
    return {
        **context,
        "project": project,
        "claim_as": _claim_as(context, project),
        "pledge_options": pledges,
        "show_form": show_form,
    }


@bp.get("/communities/<int:community_id>/menu")
@login_required
def menu(community_id: int):
    """点单: each category's count, and its first few cards (the soonest deadlines she can still
    claim first), or one category a page at a time. A card offers 认领 as a link; the form
    comes with it (htmx swaps the panel in) or on the claim page without JavaScript."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    args, errors = load_form(MenuArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    now = utcnow()
    counts = project_queries.menu_counts(actor, community.id)
    category = args["category"]
    if category is None:
        shown = project_queries.menu_firsts(actor, community.id, now, MENU_FIRSTS)
        page = None
        groups = [(c, [p for p in shown if p.category is c]) for c in Category if counts.get(c)]
    else:
        page = paginate(
            project_queries.menu_select(actor, community.id, category, now),
            args["page"],
            MENU_PAGE,
            count=counts.get(category, 0),
        )
        shown = page["items"]
        groups = [(category, shown)]
    context = _claimant_context(actor, community, now, [p.id for p in shown])
    return render(
        "claims/menu.html",
        community=community,
        category=category,
        counts=[(c, counts[c]) for c in Category if counts.get(c)],
        total=sum(counts.values()),
        groups=groups,
        page=page,
        claim_as_by_project={p.id: _claim_as(context, p) for p in shown},
        shows_badge=context["unit"] is not None
        or context["is_volunteer"]
        or bool(context["teams"]),
        my_claims_count=_live_claims_count(actor),
        next_url=request.full_path.rstrip("?"),
        **context,
    )


@bp.route("/projects/<int:project_id>/claim", methods=["GET", "POST"])
@login_required
def claim(project_id: int):
    """认领. From a menu card with htmx: 认领 swaps this panel, its form open, into the card;
    claiming swaps it again and the page hears claims-changed. Without JavaScript: this page,
    then back to the menu page she came from."""
    actor = require_actor()
    project = project_queries.get_project(actor, project_id)
    now = utcnow()
    menu_url = url_for("claims.menu", community_id=project.community_id)
    next_url = _safe_next(request.values.get("next"), menu_url)
    context = {**_panel_context(actor, project, now), "next_url": next_url}
    if request.method == "GET":
        return render(
            "claims/claim.html",
            block="claim_panel",
            form={},
            errors={},
            focus_form=is_htmx(),
            **context,
        )
    retry_form("claims/claim.html", **context)
    data, errors = load_form(ClaimIn(), _claim_form(request.form))
    if errors:
        raise Invalid(errors=errors)

    def create():
        made = service.claim_project(actor, project.id, now=now, **data)
        if is_htmx():
            html = render_template(
                "claims/_claim_panel.html",
                just_claimed=True,
                **_panel_context(actor, project, now, show_form=False),
            )
            return _fragment(html, f"#claim-panel-{project.id}")
        if made.status is ClaimStatus.APPROVED:
            flash(_("认领成功：“%(title)s”。", title=project.title), "success")
        else:
            flash(_("已提交认领“%(title)s”，等待社区审核。", title=project.title), "success")
        return redirect(f"{next_url}#project-{project.id}")

    return submit_once(actor, create)


# --- My claims ---------------------------------------------------------------------------


def _mine_context(actor) -> dict:
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    units = sorted(liaison_unit_ids(actor))
    return {
        "page": paginate(queries.claims_select(actor, mine=True), args["page"], args["per_page"]),
        "my_claims_count": _live_claims_count(actor),
        "orders_waiting": sum(
            _count(queries.orders_select(actor, unit_id=u, status=OrderStatus.REQUESTED))
            for u in units
        ),
        "is_liaison": bool(units),
        "claim_flow": CLAIM_FLOW,
        "now": utcnow(),
        "is_stale": queries.is_stale,
    }


@bp.get("/my/claims")
@login_required
def mine():
    return render("claims/mine.html", **_mine_context(require_actor()))


MY_CLAIMS_EXPORT_HEADERS = (
    ("编号", 8),
    ("项目", 28),
    ("社区", 16),
    ("认领方", 24),
    ("状态", 10),
    ("牵头", 6),
    ("逾期未开展", 10),
    ("项目开始", 17),
    ("项目结束", 17),
    ("原因", 30),
    ("认领时间", 17),
)


@bp.get("/my/claims/export.xlsx")
@login_required
def export_mine():
    """我的认领 as the page lists them, every page of it."""
    actor = require_actor()
    now = utcnow()
    query = queries.claims_select(actor, mine=True).options(
        selectinload(Claim.project).selectinload(Project.community)
    )
    rows = (
        [
            str(c.id),
            c.project.title,
            c.project.community.name,
            c.claimant_name,
            c.status.label,
            _("是") if c.project.lead_claim_id == c.id else "",
            _("是") if queries.is_stale(c, now) else "",
            xlsx.local_time(c.project.starts_at),
            xlsx.local_time(c.project.ends_at),
            c.decision_reason,
            xlsx.local_time(c.created_at),
        ]
        for c in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "我的认领", MY_CLAIMS_EXPORT_HEADERS, rows, place=actor.display_name, slug="my-claims"
    )


@bp.get("/my/claims/badge")
@login_required
def badge():
    """The 我的认领 count, for pages that refresh it on claims-changed; the full list if visited."""
    return render("claims/mine.html", block="claims_badge", **_mine_context(require_actor()))


# --- The secretary's queue and her decisions -----------------------------------------------


CLAIM_EXPORT_HEADERS = (
    ("编号", 8),
    ("项目", 28),
    ("认领方", 24),
    ("认领方类型", 10),
    ("状态", 10),
    ("逾期未开展", 10),
    ("说明", 30),
    ("认领时间", 17),
)


@bp.get("/communities/<int:community_id>/claims/export.xlsx")
@login_required
def export_queue(community_id: int):
    """The queue's two sections, waiting and claimed, as the page lists them."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_decide_claims(actor, community))
    now = utcnow()
    query = queries.claims_select(actor, community_id=community.id).where(
        Claim.status.in_((ClaimStatus.PENDING, ClaimStatus.APPROVED))
    )
    rows = (
        [
            str(c.id),
            c.project.title,
            c.claimant_name,
            c.claimant_type.label,
            c.status.label,
            _("是") if queries.is_stale(c, now) else "",
            c.note,
            xlsx.local_time(c.created_at),
        ]
        for c in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "认领审核", CLAIM_EXPORT_HEADERS, rows, place=community.name, slug="claims"
    )


@bp.get("/communities/<int:community_id>/claims")
@login_required
def queue(community_id: int):
    """认领审核: the figures, then the pending and the approved claims a page at a time each
    (the stale first). htmx asks for the figures only, when claims-changed says a decision
    moved them."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_decide_claims(actor, community))
    args, errors = load_form(QueueArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    now = utcnow()
    counts = queries.queue_counts(actor, community.id, now)
    if is_htmx():
        return render("claims/queue.html", block="queue_counts", counts=counts)
    pending = paginate(
        queries.claims_select(actor, community_id=community.id, status=ClaimStatus.PENDING),
        args["pending_page"],
        QUEUE_PAGE,
        count=counts["pending"],
    )
    approved = paginate(
        queries.approved_stale_first(actor, community.id, now),
        args["approved_page"],
        QUEUE_PAGE,
        count=counts["approved"],
    )
    return render(
        "claims/queue.html",
        community=community,
        counts=counts,
        pending=pending,
        approved=approved,
        args=args,
        now=now,
        is_stale=queries.is_stale,
        can_decide=True,
        claim_flow=CLAIM_FLOW,
        claim_actions={
            c.id: [a for a in CLAIM_FLOW.allowed(c) if a in DECISIONS]
            for c in pending["items"] + approved["items"]
        },
        holding=(ClaimStatus.APPROVED, ClaimStatus.FULFILLED),
    )


def _row_context(actor, claim, *, show_project: bool) -> dict:
    return {
        "claim": claim,
        "project": claim.project,
        "now": utcnow(),
        "is_stale": queries.is_stale,
        "can_decide": permissions.can_decide_claims(actor, claim.project.community),
        "row_actions": [a for a in CLAIM_FLOW.allowed(claim) if a in DECISIONS],
        "holding": (ClaimStatus.APPROVED, ClaimStatus.FULFILLED),
        "show_project": show_project,
        "next_url": request.form.get("next", ""),
        "claim_flow": CLAIM_FLOW,
    }


@bp.post("/claims/<int:claim_id>/<any(approve, fulfil):action>")
@login_required
def decide(claim_id: int, action: str):
    actor = require_actor()
    claim = queries.get_claim(actor, claim_id)
    with unit_of_work(actor):
        if action == "approve":
            service.approve_claim(actor, claim.id, now=utcnow())
            message = _("已通过“%(name)s”的认领。", name=claim.claimant_name)
        else:
            service.fulfil_claim(actor, claim.id, now=utcnow())
            message = _("已标记“%(name)s”的认领为已完成。", name=claim.claimant_name)
    if is_htmx():
        context = _row_context(actor, claim, show_project=request.form.get("show_project") == "1")
        return _fragment(render_template("claims/_claim_row.html", **context), f"#claim-{claim.id}")
    flash(message, "success")
    default = url_for("projects.detail", project_id=claim.project_id)
    return redirect(_safe_next(request.form.get("next"), default))


@bp.route("/claims/<int:claim_id>/<any(reject, release, withdraw):action>", methods=["GET", "POST"])
@login_required
def end(claim_id: int, action: str):
    """不通过, 释放 and 撤回 end a claim: each asks for the reason the other side reads."""
    actor = require_actor()
    claim = queries.get_claim(actor, claim_id)
    if action == "withdraw":
        require(permissions.is_claimant(actor, claim))
    else:
        require(permissions.can_decide_claims(actor, claim.project.community))
    default = (
        url_for("claims.mine")
        if action == "withdraw"
        else url_for("projects.detail", project_id=claim.project_id)
    )
    next_url = _safe_next(request.values.get("next"), default)
    context = {"claim": claim, "action": action, "next_url": next_url}
    if request.method == "GET":
        return render("claims/confirm.html", form={}, errors={}, **context)
    retry_form("claims/confirm.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        if action == "reject":
            service.reject_claim(actor, claim.id, reason=data["reason"], now=utcnow())
            message = _("已不通过该认领，认领方会看到原因。")
        elif action == "release":
            service.release_claim(actor, claim.id, reason=data["reason"], now=utcnow())
            message = _("已释放该认领，名额重新开放。")
        else:
            service.withdraw_claim(actor, claim.id, reason=data["reason"], now=utcnow())
            message = _("已撤回认领。")
    flash(message, "success")
    return redirect(next_url)


# --- 资源点单 addressed to a unit ---------------------------------------------------------


def _liaison_units(actor) -> list:
    """:raise Forbidden: she is no unit's liaison."""
    units = [
        alliance_queries.get_unit(actor, unit_id) for unit_id in sorted(liaison_unit_ids(actor))
    ]
    require(bool(units))
    return units


def _orders_context(actor) -> dict:
    units = _liaison_units(actor)
    return {
        "by_unit": [
            (unit, paginate(queries.orders_select(actor, unit_id=unit.id), 1, 200)["items"])
            for unit in units
        ],
        "order_flow": ORDER_FLOW,
    }


@bp.get("/orders")
@login_required
def orders():
    return render("claims/orders.html", form={}, errors={}, **_orders_context(require_actor()))


ORDER_EXPORT_HEADERS = (
    ("编号", 8),
    ("单位", 24),
    ("项目", 28),
    ("社区", 16),
    ("点单资源", 24),
    ("状态", 10),
    ("说明", 30),
    ("我方回复", 30),
    ("点单时间", 17),
)


@bp.get("/orders/export.xlsx")
@login_required
def export_orders():
    """社区点单 addressed to her units, unit by unit as the page lists them."""
    actor = require_actor()
    units = _liaison_units(actor)
    loads = (
        selectinload(ResourceOrder.project).selectinload(Project.community),
        selectinload(ResourceOrder.resource),
    )
    rows = (
        [
            str(o.id),
            unit.name,
            o.project.title,
            o.project.community.name,
            o.resource.title,
            o.status.label,
            o.note,
            o.reply,
            xlsx.local_time(o.created_at),
        ]
        for unit in units
        for o in xlsx.streamed(queries.orders_select(actor, unit_id=unit.id).options(*loads))
    )
    place = "、".join(unit.name for unit in units)
    return xlsx.list_export("社区点单", ORDER_EXPORT_HEADERS, rows, place=place, slug="orders")


@bp.post("/orders/<int:order_id>/accept")
@login_required
def accept_order(order_id: int):
    actor = require_actor()
    retry_form("claims/orders.html", **_orders_context(actor))
    with unit_of_work(actor):
        order = service.accept_order(actor, order_id, now=utcnow())
        title, resource = order.project.title, order.resource.title
        pending = order.claim.status is ClaimStatus.PENDING
    if pending:  # merged into the unit's own claim, which the community has yet to decide
        message = _(
            "已接单：“%(resource)s”已加入贵单位对“%(title)s”的认领，认领待社区审核。",
            resource=resource,
            title=title,
        )
    else:
        message = _("已接单：贵单位已认领“%(title)s”。", title=title)
    flash(message, "success")
    return redirect(url_for("claims.orders"))


@bp.route("/orders/<int:order_id>/decline", methods=["GET", "POST"])
@login_required
def decline_order(order_id: int):
    actor = require_actor()
    order = queries.get_order(actor, order_id)
    require(order.unit_id in liaison_unit_ids(actor))
    context = {"order": order, "action": "decline", "next_url": url_for("claims.orders")}
    if request.method == "GET":
        return render("claims/confirm.html", form={}, errors={}, **context)
    retry_form("claims/confirm.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.decline_order(actor, order.id, reason=data["reason"])
    flash(_("已婉拒，社区会看到原因。"), "success")
    return redirect(url_for("claims.orders"))
