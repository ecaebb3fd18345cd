"""Half-year terms: the 六个一 plan, its evidence, proposals and the rotating deputy."""

from flask.views import MethodView

from coop.alliance import queries as alliance_queries
from coop.apidoc import PageArgs, documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.pagination import paginate
from coop.terms import queries, service
from coop.terms.schemas import (
    AllianceTermOut,
    EvidenceIn,
    PlanItemOut,
    PlanOut,
    ProposalIn,
    ProposalOut,
    TermOpenIn,
)
from coop.uow import unit_of_work

blp = signed_in_blueprint("terms_api", __name__, "六个一 · terms, plans and proposals")


def _item_view(item_id: int) -> dict:
    item = queries.get_item(require_actor(), item_id)
    term = item.plan.term
    view = queries.plan_view(term, queries.require_plan(term.id))
    return next(i for i in view["items"] if i["id"] == item_id)


@blp.route("/alliances/<int:alliance_id>/terms")
class AllianceTerms(MethodView):
    @blp.response(200, AllianceTermOut(many=True))
    @documents_errors(blp, 401, 404)
    def get(self, alliance_id):
        """The alliance's half-year terms, newest first, each with the deputy the alliance chose
        (null until the secretary records it) and its 六个一 plan's status."""
        alliance = queries.get_alliance(require_actor(), alliance_id)
        return [queries.term_view(row) for row in queries.terms_of(alliance.id)]

    @blp.arguments(TermOpenIn)
    @blp.response(201, AllianceTermOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, alliance_id):
        """Open the half year's term now, for an alliance that has none today (a community set
        up mid-term): the term, its 六个一 plan and the 联盟大会 on ``assembly_on``. The clock
        opens every later term (secretary). 409 ``term_already_open``."""
        actor = require_actor()
        with unit_of_work(actor):
            term = service.open_current_term(
                actor, alliance_id, assembly_on=fields["assembly_on"], now=utcnow()
            )
        row = next(r for r in queries.terms_of(term.alliance_id) if r.term.id == term.id)
        return queries.term_view(row)


@blp.route("/terms/<int:term_id>/plan")
class TermPlanDetail(MethodView):
    @blp.response(200, PlanOut)
    @documents_errors(blp, 401, 404)
    def get(self, term_id):
        """The term's 六个一: each item's target, count, done state and evidence with titles.
        404 no_plan when the clock has not opened the term's plan."""
        term = queries.get_term(require_actor(), term_id)
        return queries.plan_view(term, queries.require_plan(term.id))


@blp.route("/plan-items/<int:item_id>/evidence")
class ItemEvidence(MethodView):
    @blp.arguments(EvidenceIn)
    @blp.response(201, PlanItemOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, item_id):
        """Link an activity held, a need resolved or a proposal formed in the term to the item
        (secretary). Returns the item with its new count. 409 awaiting_deputy, already_linked;
        422 wrong_evidence_type, evidence_not_found, evidence_not_counted."""
        actor = require_actor()
        with unit_of_work(actor):
            service.link_evidence(actor, item_id, now=utcnow(), **fields)
        return _item_view(item_id)


@blp.route("/plan-evidence/<int:evidence_id>")
class PlanEvidenceDetail(MethodView):
    @blp.response(200, PlanItemOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def delete(self, evidence_id):
        """Take the evidence off its item (secretary); below the target the item and the plan
        reopen and the term badge is revoked with a reason. Returns the item."""
        actor = require_actor()
        with unit_of_work(actor):
            item = service.unlink_evidence(actor, evidence_id, now=utcnow())
            item_id = item.id
        return _item_view(item_id)


@blp.route("/communities/<int:community_id>/proposals")
class Proposals(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(ProposalOut))
    @documents_errors(blp, 401, 404, 422)
    def get(self, args, community_id):
        """The community's 合理化建议, newest first."""
        community = alliance_queries.get_community(require_actor(), community_id)
        return paginate(queries.proposals_select(community.id), args["page"], args["per_page"])

    @blp.arguments(ProposalIn)
    @blp.response(201, ProposalOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, community_id):
        """File a 合理化建议 under the alliance's current term (secretary). 409 no_current_term;
        422 not_a_member for a proposing unit that does not serve the community."""
        actor = require_actor()
        with unit_of_work(actor):
            proposal = service.add_proposal(actor, community_id, now=utcnow(), **fields)
        return proposal
