from flask.views import MethodView
from sqlalchemy.orm import selectinload

from coop import idempotency
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.claims import queries, service
from coop.claims.models import Claim, ResourceOrder
from coop.claims.schemas import (
    ClaimArgs,
    ClaimIn,
    ClaimOut,
    OrderArgs,
    OrderIn,
    OrderOut,
    WithdrawIn,
)
from coop.dbtypes import utcnow
from coop.pagination import paginate
from coop.schemas import ReasonIn
from coop.uow import unit_of_work

blp = signed_in_blueprint("claims_api", __name__, "点单认领 · claims and resource orders")


@blp.route("/projects/<int:project_id>/claims")
class ProjectClaims(MethodView):
    @blp.arguments(ClaimIn)
    @blp.response(201, ClaimOut)
    @blp.doc(parameters=[idempotency.HEADER_DOC])
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, project_id):
        """A liaison claims a published project for her unit, or a volunteer a routine project
        for herself. 409: project_full, already_claimed, not_claimable, no_live_agreement,
        too_many_open_claims, idempotency_mismatch."""
        actor = require_actor()

        def create() -> dict:
            claim = service.claim_project(actor, project_id, now=utcnow(), **fields)
            return ClaimOut().dump(claim)

        return idempotency.respond_once(actor, fields, create, 201)


@blp.route("/claims")
class Claims(MethodView):
    @blp.arguments(ClaimArgs, location="query")
    @blp.response(200, page_schema(ClaimOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Claims on the caller's communities' projects; ``mine=true`` for her unit's or her own."""
        query = queries.claims_select(
            require_actor(),
            community_id=args.get("community_id"),
            mine=args["mine"],
            project_id=args.get("project_id"),
            status=args.get("status"),
            unit_id=args.get("unit_id"),
            team_id=args.get("team_id"),
        ).options(selectinload(Claim.project))
        return paginate(query, args["page"], args["per_page"])


@blp.route("/claims/<int:claim_id>")
class ClaimDetail(MethodView):
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 401, 404)
    def get(self, claim_id):
        """One claim; one on a project the caller cannot see is a 404."""
        return queries.get_claim(require_actor(), claim_id)


@blp.route("/claims/<int:claim_id>/approve")
class ApproveClaim(MethodView):
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, claim_id):
        """Approve a pending claim into a free slot; 409 project_full when none is left
        (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            claim = service.approve_claim(actor, claim_id, now=utcnow())
        return claim


@blp.route("/claims/<int:claim_id>/reject")
class RejectClaim(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, claim_id):
        """Turn a pending claim down with a reason the claimant reads (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            claim = service.reject_claim(actor, claim_id, now=utcnow(), **fields)
        return claim


@blp.route("/claims/<int:claim_id>/release")
class ReleaseClaim(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, claim_id):
        """Free the slot of an approved claim that is not being delivered (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            claim = service.release_claim(actor, claim_id, now=utcnow(), **fields)
        return claim


@blp.route("/claims/<int:claim_id>/withdraw")
class WithdrawClaim(MethodView):
    @blp.arguments(WithdrawIn)
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, claim_id):
        """The claimant takes her claim back; an approved one frees its slot."""
        actor = require_actor()
        with unit_of_work(actor):
            claim = service.withdraw_claim(actor, claim_id, now=utcnow(), **fields)
        return claim


@blp.route("/claims/<int:claim_id>/fulfil")
class FulfilClaim(MethodView):
    @blp.response(200, ClaimOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, claim_id):
        """Mark the claimant's work delivered; the slot stays taken (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            claim = service.fulfil_claim(actor, claim_id, now=utcnow())
        return claim


@blp.route("/projects/<int:project_id>/orders")
class ProjectOrders(MethodView):
    @blp.arguments(OrderIn)
    @blp.response(201, OrderOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, project_id):
        """资源点单: ask a unit for one of its listed resources for a published project
        (secretary); 409 order_exists while one is waiting, unit_has_claimed (naming the claim)
        when the unit already has a live claim on the project."""
        actor = require_actor()
        with unit_of_work(actor):
            order = service.order_resource(
                actor, project_id, fields["resource_id"], note=fields["note"]
            )
        return order


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderArgs, location="query")
    @blp.response(200, page_schema(OrderOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Resource orders: the secretary's community's, and those addressed to the caller's unit."""
        query = queries.orders_select(
            require_actor(), community_id=args.get("community_id"), status=args.get("status")
        ).options(
            selectinload(ResourceOrder.project),
            selectinload(ResourceOrder.resource),
            selectinload(ResourceOrder.unit),
        )
        return paginate(query, args["page"], args["per_page"])


@blp.route("/orders/<int:order_id>")
class OrderDetail(MethodView):
    @blp.response(200, OrderOut)
    @documents_errors(blp, 401, 404)
    def get(self, order_id):
        """One resource order the caller may see."""
        return queries.get_order(require_actor(), order_id)


@blp.route("/orders/<int:order_id>/accept")
class AcceptOrder(MethodView):
    @blp.response(200, OrderOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, order_id):
        """The unit accepts: the order becomes an approved claim pledging the resource (liaison);
        if the unit has meanwhile claimed the project, the resource is pledged on that claim
        (``claim_id``), whose status stays as it was. 409 as for claiming."""
        actor = require_actor()
        with unit_of_work(actor):
            order = service.accept_order(actor, order_id, now=utcnow())
        return order


@blp.route("/orders/<int:order_id>/decline")
class DeclineOrder(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, OrderOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, order_id):
        """The unit declines, saying why (liaison)."""
        actor = require_actor()
        with unit_of_work(actor):
            order = service.decline_order(actor, order_id, **fields)
        return order


@blp.route("/orders/<int:order_id>/cancel")
class CancelOrder(MethodView):
    @blp.response(200, OrderOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, order_id):
        """Withdraw an order the unit has not answered (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            order = service.cancel_order(actor, order_id)
        return order
