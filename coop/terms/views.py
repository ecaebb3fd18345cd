from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound, retry_form
from coop.forms import submit_once
from coop.htmx import is_htmx, render
from coop.meetings import queries as meetings_queries
from coop.meetings import service as meetings_service
from coop.pagination import paginate
from coop.photos import service as photos_service
from coop.schemas import load_form
from coop.terms import permissions, queries, service
from coop.terms.models import EvidenceType, PlanStatus
from coop.terms.schemas import EvidenceIn, ProposalIn, TermOpenIn
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("terms", __name__)

# Announced when the plan changes; the term page's summary listens for it.
PLAN_CHANGED = "plan-changed"


def _term_context(actor, term) -> dict:
    """Everything the term page shows; forms only where the service would allow them."""
    community_id = queries.community_id_of(term)
    community = alliance_queries.get_community(actor, community_id)
    plan = queries.plan_of(term.id)
    can_manage = permissions.can_manage_term(actor, community_id)
    can_link = can_manage and plan is not None and plan.status is not PlanStatus.AWAITING_DEPUTY
    now = utcnow()
    award = service.term_award(term, community_id)
    plan_view = queries.plan_view(term, plan) if plan else None
    return {
        "term": term,
        "community": community,
        "deputy": queries.deputy_of(term.id),
        "plan": plan_view,
        # Activities given as evidence bring their photos (coop.photos), one query for all.
        "evidence_photos": photos_service.photos_by_activity(
            e["evidence_id"]
            for item in (plan_view["items"] if plan_view else [])
            for e in item["evidence"]
            if e["evidence_type"] is EvidenceType.ACTIVITY
        ),
        "can_manage": can_manage,
        "assembly": meetings_queries.term_assembly(term.id),
        "election": meetings_queries.election_of(term.id),
        "can_link": can_link,
        "candidates": {item.id: queries.candidates(item, community_id, now) for item in plan.items}
        if can_link
        else {},
        "resolutions": {
            item.id: meetings_service.resolutions_of_item(item.id) for item in plan.items
        }
        if plan
        else {},
        "award": award if award is not None and award.revoked_at is None else None,
        "terms": queries.terms_of(term.alliance_id),
        "today": local_today(),
        "type_label": service.type_label,
    }


@bp.get("/communities/<int:community_id>/term")
@login_required
def current(community_id: int):
    """The community page's link: the alliance's current term, else its latest; before its
    first (a community set up mid-term), when the clock will open it."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    alliance = community.alliance
    today = local_today()
    term = None
    if alliance is not None:
        term = queries.term_at(alliance.id, today) or queries.latest_term(alliance.id)
    if term is None:
        context = _none_context(actor, community, today)
        form = {"assembly_on": service.suggested_assembly_day(today, context["ends_on"])}
        return render("terms/none.html", form=form, errors={}, **context)
    return redirect(url_for("terms.term", term_id=term.id))


def _none_context(actor, community, today) -> dict:
    """Before the first term: when the clock opens one, and whether she may open this half
    year's now (the secretary)."""
    can_open = community.alliance is not None and permissions.can_manage_term(actor, community.id)
    return {
        "community": community,
        "opens_on": queries.next_half_year_start(today),
        "ends_on": queries.half_year_end(today),
        "can_open": can_open,
        "scheduled_assembly": (
            meetings_queries.half_year_assembly(community.id, today) if can_open else None
        ),
    }


@bp.post("/communities/<int:community_id>/term")
@login_required
def open_current(community_id: int):
    """The secretary opens the half year's term now (``service.open_current_term``)."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    if community.alliance is None:
        raise NotFound()
    retry_form("terms/none.html", **_none_context(actor, community, local_today()))
    data, errors = load_form(TermOpenIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        term = service.open_current_term(
            actor, community.alliance.id, assembly_on=data["assembly_on"], now=utcnow()
        )
        day = queries.plan_of(term.id).assembly_on.isoformat()
        flash(_("%(term)s已开启，联盟大会定于 %(date)s。", term=term.name, date=day), "success")
        return redirect(url_for("terms.term", term_id=term.id))

    return submit_once(actor, create)


@bp.get("/terms/<int:term_id>")
@login_required
def term(term_id: int):
    """六个一 progress, the 联盟大会, the deputy and the evidence. htmx asks for the plan only."""
    actor = require_actor()
    term = queries.get_term(actor, term_id)
    return render("terms/term.html", block="plan", form={}, errors={}, **_term_context(actor, term))


def _plan_changed(term_id: int, message: str):
    """htmx: the whole plan again (counts, done states and the candidates all move);
    otherwise back to the page with the message."""
    actor = require_actor()
    term = queries.get_term(actor, term_id)
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("terms.term", term_id=term_id) + "#plan")
    html = render(
        "terms/term.html",
        block="plan",
        form={},
        errors={},
        plan_message=message,
        **_term_context(actor, term),
    )
    response = make_response(html)
    response.headers["HX-Trigger"] = PLAN_CHANGED
    response.headers["HX-Retarget"] = "#plan"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/plan-items/<int:item_id>/evidence")
@login_required
def link(item_id: int):
    actor = require_actor()
    item = queries.get_item(actor, item_id)
    term_id = item.plan.term_id
    data, errors = load_form(EvidenceIn(), _evidence_form(item))
    if errors:
        raise Invalid(errors=errors)

    def create():
        service.link_evidence(actor, item_id, now=utcnow(), **data)
        return _plan_changed(term_id, _("已计入佐证。"))

    return submit_once(actor, create)


def _evidence_form(item):
    """The page's select sends "activity:12"; the API sends the two fields."""
    form = request.form.copy()
    choice = form.get("evidence", "")
    if ":" in choice:
        form["evidence_type"], form["evidence_id"] = choice.split(":", 1)
    return form


@bp.post("/plan-evidence/<int:evidence_id>/delete")
@login_required
def unlink(evidence_id: int):
    actor = require_actor()
    evidence = queries.get_evidence(actor, evidence_id)
    term_id = evidence.item.plan.term_id
    with unit_of_work(actor):
        service.unlink_evidence(actor, evidence_id, now=utcnow())
    return _plan_changed(term_id, _("已撤下佐证。"))


def _proposals_context(actor, community) -> dict:
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    can_record = permissions.can_record_proposal(actor, community.id)
    alliance = community.alliance
    return {
        "community": community,
        "page": paginate(queries.proposals_select(community.id), args["page"], args["per_page"]),
        "can_record": can_record,
        "current_term": queries.term_at(alliance.id, local_today()) if alliance else None,
        "unit_options": [(u.id, u.name) for u in queries.member_units(community.id)]
        if can_record
        else [],
    }


@bp.route("/communities/<int:community_id>/proposals", methods=["GET", "POST"])
@login_required
def proposals(community_id: int):
    """合理化建议: the list, and the secretary's form to file one under the current term."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    context = _proposals_context(actor, community)
    if request.method == "GET":
        return render("terms/proposals.html", form={}, errors={}, **context)
    retry_form("terms/proposals.html", **context)
    data, errors = load_form(ProposalIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        proposal = service.add_proposal(actor, community.id, now=utcnow(), **data)
        flash(_("已登记合理化建议“%(title)s”。", title=proposal.title), "success")
        return redirect(url_for("terms.proposals", community_id=community.id))

    return submit_once(actor, create)
