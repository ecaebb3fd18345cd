from flask.views import MethodView
from sqlalchemy.orm import selectinload

from coop.alliance import queries as alliance_queries
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.needs import commitments, permissions, queries, ratings, service
from coop.needs.models import Need
from coop.needs.schemas import (
    NOT_FOR_RESIDENTS,
    CommitmentsIn,
    CommitmentsOut,
    HandoverIn,
    HandoverOut,
    NeedArgs,
    NeedEdit,
    NeedIn,
    NeedOut,
    RatingIn,
    RatingOut,
    ResolveIn,
    RevealOut,
)
from coop.pagination import paginate
from coop.schemas import ReasonIn, patch_of
from coop.uow import unit_of_work

blp = signed_in_blueprint("needs_api", __name__, "服务需求清单 · needs")


@blp.route("/needs")
class Needs(MethodView):
    @blp.arguments(NeedArgs, location="query")
    @blp.response(200, page_schema(NeedOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Needs of the caller's communities: every need for staff, the public list and her own
        for others; ``mine=true`` for her own only."""
        query = queries.needs_select(
            require_actor(),
            community_id=args.get("community_id"),
            mine=args["mine"],
            status=args.get("status"),
            category=args.get("category"),
            source=args.get("source"),
            beneficiary_group=args.get("beneficiary_group"),
            urgency=args.get("urgency"),
            neighbourhood_id=args.get("neighbourhood_id"),
            q=args.get("q"),
        )
        # Each need carries its ratings: one query for the page's, not one per need.
        query = query.options(selectinload(Need.ratings))
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(NeedIn)
    @blp.response(201, NeedOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields):
        """The secretary records a need (listed at once); a resident or volunteer submits her own
        (waiting for the secretary, source 居民线上提交, requester herself)."""
        actor = require_actor()
        community_id = fields.pop("community_id")
        with unit_of_work(actor):
            community = alliance_queries.get_community(actor, community_id)
            if permissions.can_manage_needs(actor, community):
                need = service.record_need(actor, community_id, **fields)
            else:
                for name in NOT_FOR_RESIDENTS:
                    fields.pop(name, None)
                need = service.submit_need(actor, community_id, **fields)
        return need


@blp.route("/needs/<int:need_id>")
class NeedDetail(MethodView):
    @blp.response(200, NeedOut)
    @documents_errors(blp, 401, 404)
    def get(self, need_id):
        """One need; one the caller may not see is a 404."""
        return queries.get_need(require_actor(), need_id)

    @blp.arguments(patch_of(NeedEdit))
    @blp.response(200, NeedOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, need_id):
        """Edit a need: only the fields sent change. Staff change any field while it is
        submitted or listed and only ``notes`` once it is in a project or resolved; the
        requester changes hers while it is submitted. 409 ``version_conflict`` when someone
        saved it since ``version``; 409 ``need_not_editable`` when its state allows no such
        change."""
        actor = require_actor()
        with unit_of_work(actor):
            need = service.edit_need(actor, need_id, **fields)
        return need


@blp.route("/needs/<int:need_id>/list")
class ListNeed(MethodView):
    @blp.response(200, NeedOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, need_id):
        """Accept a submitted need onto the demand list (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            need = service.list_need(actor, need_id)
        return need


@blp.route("/needs/<int:need_id>/reject")
class RejectNeed(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, NeedOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, need_id):
        """Decline a need with a reason the resident reads (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            need = service.reject_need(actor, need_id, **fields)
        return need


@blp.route("/needs/<int:need_id>/resolve")
class ResolveNeed(MethodView):
    @blp.arguments(ResolveIn)
    @blp.response(200, NeedOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, need_id):
        """Mark a listed or compiled need solved, optionally saying how (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            need = service.resolve_need(actor, need_id, **fields)
        return need


@blp.route("/needs/<int:need_id>/close")
class CloseNeed(MethodView):
    @blp.response(200, NeedOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, need_id):
        """Archive a resolved or rejected need (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            need = service.close_need(actor, need_id)
        return need


@blp.route("/needs/<int:need_id>/reveal")
class RevealRequester(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, RevealOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, need_id):
        """The requester's full phone and address (secretary); the reason goes to the audit log."""
        actor = require_actor()
        with unit_of_work(actor):
            revealed = service.reveal_requester(actor, need_id, **fields)
        return revealed


@blp.route("/needs/<int:need_id>/rating")
class RateNeed(MethodView):
    @blp.arguments(RatingIn)
    @blp.response(201, RatingOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, need_id):
        """满意度评价 of the need's latest resolution, once per resolution: by its requester, or
        ``on_behalf`` (代评) by the community's staff when the requester has no account. Two
        stars or fewer reopen the need (back to 已列入清单) with the comment for the secretary.
        409 ``need_not_resolved`` when it is not solved, 409 ``already_rated`` for a second
        rating of the same resolution; 403 when it is not the caller's to rate."""
        actor = require_actor()
        with unit_of_work(actor):
            rating = ratings.rate(actor, need_id, now=utcnow(), **fields)
        return rating


@blp.route("/needs/<int:need_id>/handover")
class HandOverNeed(MethodView):
    @blp.arguments(HandoverIn)
    @blp.response(200, NeedOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, need_id):
        """首问负责: pass an open need to another staff member of its community, with a reason
        (secretary); the new owner gets a notice. 422 when ``to_id`` is not staff of the
        need's community or already owns it; 409 ``need_finished`` once it is no longer open."""
        actor = require_actor()
        with unit_of_work(actor):
            handover = service.hand_over_need(actor, need_id, **fields)
        return handover.need


@blp.route("/needs/<int:need_id>/handovers")
class NeedHandovers(MethodView):
    @blp.response(200, HandoverOut(many=True))
    @documents_errors(blp, 401, 404)
    def get(self, need_id):
        """The need's handovers, oldest first."""
        return queries.get_need(require_actor(), need_id).handovers


@blp.route("/communities/<int:community_id>/commitments")
class Commitments(MethodView):
    @blp.response(200, CommitmentsOut)
    @documents_errors(blp, 401, 404)
    def get(self, community_id):
        """服务承诺: hours to the first answer and days to solve, per category and urgency;
        cells the community never set show the default (``is_default``)."""
        items = commitments.get_commitments(require_actor(), community_id)
        return {"community_id": community_id, "items": items}

    @blp.arguments(CommitmentsIn)
    @blp.response(200, CommitmentsOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def put(self, fields, community_id):
        """Set the whole table (secretary): every category × urgency once, 1–720 hours to
        answer, 1–365 days to solve and no less time to solve than to answer. Applies to needs
        that come in afterwards."""
        actor = require_actor()
        with unit_of_work(actor):
            items = commitments.set_commitments(actor, community_id, fields["items"])
        return {"community_id": community_id, "items": items}
