"""智能匹配: suggesting units, resources and volunteers for projects and needs."""

from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.claims.schemas import OrderOut
from coop.dbtypes import utcnow
from coop.matching import queries, service
from coop.matching.models import TargetType
from coop.matching.schemas import (
    FittingProjectOut,
    MatchOut,
    ServedIn,
    SuggestionArgs,
    SuggestionOrderIn,
    SuggestionOut,
)
from coop.uow import unit_of_work

blp = signed_in_blueprint("matching_api", __name__, "智能匹配 · suggestions for projects and needs")


@blp.route("/projects/<int:project_id>/suggestions")
class ProjectSuggestions(MethodView):
    @blp.arguments(SuggestionArgs, location="query")
    @blp.response(200, SuggestionOut(many=True))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, project_id):
        """Units, resources and volunteers suggested for a project: open ones by rank, then those
        acted on or dismissed; ``candidate_type`` and ``status`` narrow it (staff)."""
        return service.target_suggestions(require_actor(), TargetType.PROJECT, project_id, **args)


@blp.route("/needs/<int:need_id>/suggestions")
class NeedSuggestions(MethodView):
    @blp.arguments(SuggestionArgs, location="query")
    @blp.response(200, SuggestionOut(many=True))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, need_id):
        """Suggestions for a listed need not yet in a project (staff): the open ones come from
        the ranking that the community's needs of its category and 邻里单元 share, less the
        candidates dismissed for this need, and carry ``ranking_id`` instead of ``id``."""
        return service.target_suggestions(require_actor(), TargetType.NEED, need_id, **args)


@blp.route("/needs/<int:need_id>/suggestions/<int:ranking_id>/dismiss")
class DismissNeedSuggestion(MethodView):
    @blp.response(200, SuggestionOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, need_id, ranking_id):
        """忽略 one of a need's suggestions: that candidate is not suggested for this need again;
        the response is the stored, dismissed suggestion (secretary). 409 suggestion_replaced
        (the matching ran again since: read the suggestions again), illegal_transition."""
        actor = require_actor()
        with unit_of_work(actor):
            suggestion = service.dismiss_for_need(actor, need_id, ranking_id, now=utcnow())
        return _named(suggestion)


@blp.route("/communities/<int:community_id>/match")
class MatchCommunity(MethodView):
    @blp.response(200, MatchOut)
    @documents_errors(blp, 401, 403, 404)
    def post(self, community_id):
        """立即重新匹配: recompute the community's open project suggestions and need rankings now
        (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            counts = service.rematch(actor, community_id, now=utcnow())
        return counts


@blp.route("/suggestions/<int:suggestion_id>/invite")
class InviteSuggestion(MethodView):
    @blp.response(200, SuggestionOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, suggestion_id):
        """邀请认领: the suggested unit's liaisons get a notice linking to the claim (secretary).
        409 illegal_transition, not_invitable, not_claimable, no_liaison."""
        actor = require_actor()
        with unit_of_work(actor):
            suggestion = service.invite(actor, suggestion_id, now=utcnow())
        return _named(suggestion)


@blp.route("/suggestions/<int:suggestion_id>/order")
class OrderSuggestion(MethodView):
    @blp.arguments(SuggestionOrderIn)
    @blp.response(201, OrderOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, suggestion_id):
        """资源点单 from a suggested resource: the response is the order sent to its unit
        (secretary). 409 illegal_transition, not_orderable, not_claimable, order_exists,
        unit_has_claimed."""
        actor = require_actor()
        with unit_of_work(actor):
            made = service.order(actor, suggestion_id, now=utcnow(), **fields)
        return made


@blp.route("/suggestions/<int:suggestion_id>/dismiss")
class DismissSuggestion(MethodView):
    @blp.response(200, SuggestionOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, suggestion_id):
        """忽略: the candidate is not suggested for this target again (secretary); a need's open
        suggestions are dismissed through the need. 409 illegal_transition,
        suggestion_replaced."""
        actor = require_actor()
        with unit_of_work(actor):
            suggestion = service.dismiss(actor, suggestion_id, now=utcnow())
        return _named(suggestion)


@blp.route("/units/<int:unit_id>/fitting-projects")
class FittingProjects(MethodView):
    @blp.response(200, FittingProjectOut(many=True))
    @documents_errors(blp, 401, 403, 404)
    def get(self, unit_id):
        """适合本单位的项目: claimable projects the matching suggests the unit for, best first
        (the unit's liaisons; a secretary for her community)."""
        return service.fitting_projects(require_actor(), unit_id, now=utcnow())


@blp.route("/memberships/<int:membership_id>/neighbourhoods")
class ServedNeighbourhoods(MethodView):
    @blp.arguments(ServedIn)
    @blp.response(200, ServedIn)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def put(self, fields, membership_id):
        """The 邻里单元 a member unit serves in the community; an empty list: all (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            ids = service.set_served_neighbourhoods(
                actor, membership_id, fields["neighbourhood_ids"]
            )
        return {"neighbourhood_ids": ids}


def _named(suggestion):
    return queries.name_candidates([suggestion])[0]
