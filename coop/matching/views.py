from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.htmx import is_htmx, render
from coop.matching import permissions, queries, service
from coop.matching.models import SUGGESTION_FLOW, CandidateType, SuggestionStatus, TargetType
from coop.matching.schemas import BoardArgs, ServedIn, SuggestionOrderIn
from coop.pagination import paginate
from coop.projects import queries as project_queries
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("matching", __name__)

SHOWN = 3  # candidates of each type a board card names (all of them when she opens it)
BOARD_PAGE = 20  # projects, and needs, a page of the board shows
ACTIONS = {
    (TargetType.PROJECT, CandidateType.UNIT): "invite",
    (TargetType.PROJECT, CandidateType.RESOURCE): "order",
}


def _safe_next(target: str | None, default: str) -> str:
    if not target or urlsplit(target).netloc or not target.startswith("/") or "//" in target:
        return default
    return target


def _grouped(found: dict, shown: int | None = SHOWN) -> dict:
    """target → [(candidate type, its open suggestions)] for the types that have any."""
    grouped = {}
    for (target_type, target_id), rows in found.items():
        by_kind = [(k, [s for s in rows if s.candidate_type is k][:shown]) for k in CandidateType]
        # Keyed by plain strings: templates look targets up as ('project', id).
        grouped[(target_type.value, target_id)] = [(k, rows) for k, rows in by_kind if rows]
    return grouped


def _row_context(actor, community) -> dict:
    return {
        "can_act": permissions.can_act_on_suggestions(actor, community),
        "actions": ACTIONS,
        "flow": SUGGESTION_FLOW,
    }


@bp.get("/communities/<int:community_id>/matching")
@login_required
def board(community_id: int):
    """智能匹配: the projects still needing people and the needs not yet in one, 20 a page
    each. A card names its suggested candidates; their reasons and buttons come when she opens
    them (target, swapped in by htmx), so the page stays light on a phone."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_view_suggestions(actor, community))
    args, errors = load_form(BoardArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    projects_query, needs_query = queries.open_targets(community.id)
    projects = paginate(projects_query, args["project_page"], BOARD_PAGE)
    needs = paginate(needs_query, args["page"], BOARD_PAGE)
    shown_projects = [(TargetType.PROJECT, p.id) for p in projects["items"]]
    targets = shown_projects + [(TargetType.NEED, n.id) for n in needs["items"]]
    found = queries.suggestions_for(targets, status=SuggestionStatus.OPEN, reasons=False)
    return render(
        "matching/board.html",
        community=community,
        projects=projects,
        needs=needs,
        grouped=_grouped(found, shown=None),
        acted=_acted(shown_projects),
        shown=SHOWN,
        **_row_context(actor, community),
    )


def _acted(project_targets: list) -> dict:
    """What she already did for each project (邀请认领, 资源点单), so an invited unit leaving
    the suggestions does not look like it was never suggested."""
    if not project_targets:
        return {}
    acted = queries.suggestions_for(project_targets, status=SuggestionStatus.ACTED, reasons=False)
    return {target_id: rows for (_type, target_id), rows in acted.items() if rows}


@bp.get("/communities/<int:community_id>/matching/<any(projects, needs):kind>/<int:target_id>")
@login_required
def target(community_id: int, kind: str, target_id: int):
    """One board card's suggestions with their reasons and buttons: htmx swaps them into the
    card; without JavaScript a page of its own, whose buttons come back to it."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_view_suggestions(actor, community))
    target_type = TargetType.PROJECT if kind == "projects" else TargetType.NEED
    item = queries.board_target(community.id, target_type, target_id)
    found = queries.suggestions_for([(target_type, item.id)], status=SuggestionStatus.OPEN)
    acted = _acted([(target_type, item.id)]) if target_type is TargetType.PROJECT else {}
    anchor = f"{'p' if target_type is TargetType.PROJECT else 'n'}-{item.id}"
    return render(
        "matching/target.html",
        block="target_suggestions",
        community=community,
        target=item,
        target_type=target_type,
        groups=_grouped(found, shown=None)[(target_type.value, item.id)],
        acted=acted.get(item.id, []),
        slot_id=f"suggestions-{target_type.value}-{item.id}",
        focus_rows=is_htmx(),
        back_url=url_for("matching.board", community_id=community.id, _anchor=anchor),
        next_url=request.path,
        **_row_context(actor, community),
    )


@bp.post("/communities/<int:community_id>/matching/run")
@login_required
def run(community_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        counts = service.rematch(actor, community_id, now=utcnow())
    flash(
        _(
            "已重新匹配：%(projects)d 个项目、%(needs)d 条需求。",
            projects=counts["projects"],
            needs=counts["needs"],
        ),
        "success",
    )
    return redirect(url_for("matching.board", community_id=community_id))


@bp.post("/suggestions/<int:suggestion_id>/<any(invite, order, dismiss):action>")
@login_required
def act(suggestion_id: int, action: str):
    """邀请认领 / 资源点单 / 忽略. With htmx the row replaces itself (the form aims at the row's
    message slot, so a refusal shows there); without, back to the page it came from."""
    actor = require_actor()
    now = utcnow()
    with unit_of_work(actor):
        if action == "invite":
            suggestion = service.invite(actor, suggestion_id, now=now)
            message = _("已向该单位联络员发送认领邀请。")
        elif action == "order":
            data, errors = load_form(SuggestionOrderIn(), request.form)
            if errors:
                raise Invalid(errors=errors)
            made = service.order(actor, suggestion_id, now=now, **data)
            suggestion = queries.get_suggestion(actor, suggestion_id)
            message = _("已向“%(unit)s”发送资源点单，等待对方接单。", unit=made.unit.name)
        else:
            suggestion = service.dismiss(actor, suggestion_id, now=now)
            message = _("已忽略，该推荐不会再出现。")
    response = _acted_row(actor, suggestion, message, row_id=f"suggestion-{suggestion.id}")
    if is_htmx() and action == "order":
        response.headers["HX-Trigger"] = "claims-changed"
    return response


@bp.post("/needs/<int:need_id>/suggestions/<int:ranking_id>/dismiss")
@login_required
def dismiss_for_need(need_id: int, ranking_id: int):
    """忽略 one of a need's suggestions (a row of its ranking), as act does."""
    actor = require_actor()
    with unit_of_work(actor):
        suggestion = service.dismiss_for_need(actor, need_id, ranking_id, now=utcnow())
    message = _("已忽略，该推荐不会再出现。")
    return _acted_row(actor, suggestion, message, row_id=f"need-{need_id}-ranking-{ranking_id}")


def _acted_row(actor, suggestion, message: str, *, row_id: str):
    """The row, acted on, in place of ``row_id`` (htmx); else a flash and back."""
    community = alliance_queries.get_community(actor, suggestion.community_id)
    if is_htmx():
        html = render_template(
            "matching/_suggestion.html",
            s=queries.name_candidates([suggestion])[0],
            done_message=message,
            **_row_context(actor, community),
        )
        response = make_response(html)
        response.headers["HX-Retarget"] = f"#{row_id}"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(message, "success")
    default = url_for("matching.board", community_id=suggestion.community_id)
    return redirect(_safe_next(request.form.get("next"), default))


@bp.get("/projects/<int:project_id>/suggestions")
@login_required
def project_panel(project_id: int):
    """The suggestions panel the project page loads after itself; directly, a page of its own."""
    actor = require_actor()
    project = project_queries.get_project(actor, project_id)
    require(permissions.can_view_suggestions(actor, project.community))
    target = (TargetType.PROJECT, project.id)
    found = queries.suggestions_for([target], status=SuggestionStatus.OPEN)
    return render(
        "matching/project.html",
        block="suggestions_panel",
        project=project,
        groups=_grouped(found, shown=None)[("project", project.id)],
        next_url=url_for("projects.detail", project_id=project.id),
        **_row_context(actor, project.community),
    )


@bp.get("/units/<int:unit_id>/fitting-projects")
@login_required
def fitting(unit_id: int):
    actor = require_actor()
    unit = alliance_queries.get_unit(actor, unit_id)
    rows = service.fitting_projects(actor, unit.id, now=utcnow())
    return render("matching/fitting.html", unit=unit, rows=rows)


@bp.route(
    "/communities/<int:community_id>/units/<int:unit_id>/neighbourhoods", methods=["GET", "POST"]
)
@login_required
def served(community_id: int, unit_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_set_served_neighbourhoods(actor, community))
    unit = alliance_queries.get_unit(actor, unit_id)
    membership = queries.membership_between(unit.id, community.id)
    context = {
        "community": community,
        "unit": unit,
        "options": [(n.id, n.name) for n in community.neighbourhoods],
    }
    if request.method == "GET":
        chosen = [str(i) for i in sorted(queries.served_ids(membership.id))]
        return render(
            "matching/served.html", form={"neighbourhood_ids": chosen}, errors={}, **context
        )
    retry_form("matching/served.html", **context)
    data, errors = load_form(ServedIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.set_served_neighbourhoods(actor, membership.id, data["neighbourhood_ids"])
    flash(_("已保存“%(unit)s”服务的邻里单元。", unit=unit.name), "success")
    return redirect(url_for("alliance.unit", unit_id=unit.id))
