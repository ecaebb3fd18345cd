from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.pagination import paginate
from coop.resources import queries, service
from coop.resources.schemas import (
    ResourceArgs,
    ResourceEdit,
    ResourceIn,
    ResourceOut,
    preload_commitments,
)
from coop.schemas import ReasonIn, patch_of
from coop.uow import unit_of_work

blp = signed_in_blueprint("resources_api", __name__, "联盟资源清单 · resources")


@blp.route("/resources")
class Resources(MethodView):
    @blp.arguments(ResourceArgs, location="query")
    @blp.response(200, page_schema(ResourceOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Listed resources of the caller's communities; every state for the secretary, and for
        a liaison her own unit's."""
        query = queries.resources_select(
            require_actor(),
            community_id=args.get("community_id"),
            status=args.get("status"),
            kind=args.get("kind"),
            unit_id=args.get("unit_id"),
            q=args.get("q"),
        )
        page = paginate(query, args["page"], args["per_page"])
        preload_commitments(page["items"])
        return page

    @blp.arguments(ResourceIn)
    @blp.response(201, ResourceOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields):
        """A liaison offers her unit's resource to a community it serves (or the secretary
        records it for the unit); it waits for the secretary to list it."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.offer_resource(
                actor, fields.pop("community_id"), fields.pop("unit_id"), **fields
            )
        return resource


@blp.route("/resources/<int:resource_id>")
class ResourceDetail(MethodView):
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 401, 404)
    def get(self, resource_id):
        """One resource; one the caller may not see is a 404."""
        return queries.get_resource(require_actor(), resource_id)

    @blp.arguments(patch_of(ResourceEdit))
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, resource_id):
        """Correct an offer before it is listed (the unit's liaison or the secretary), with the
        ``version`` last read: a stale one is 409 ``version_conflict``; a listed or withdrawn
        resource is 409 ``resource_not_editable`` (withdraw it and offer it again)."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.edit_resource(actor, resource_id, **fields)
        return resource


@blp.route("/resources/<int:resource_id>/list")
class ListResource(MethodView):
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, resource_id):
        """Put an offer on the alliance resource list (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.list_resource(actor, resource_id)
        return resource


@blp.route("/resources/<int:resource_id>/send_back")
class SendBackResource(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, resource_id):
        """Return an offer to the unit, saying what to change (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.send_back_resource(actor, resource_id, **fields)
        return resource


@blp.route("/resources/<int:resource_id>/reoffer")
class ReofferResource(MethodView):
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, resource_id):
        """Offer a returned resource again (the unit's liaison)."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.reoffer_resource(actor, resource_id)
        return resource


@blp.route("/resources/<int:resource_id>/withdraw")
class WithdrawResource(MethodView):
    @blp.response(200, ResourceOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, resource_id):
        """Take an offer back (the unit's liaison or the secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            resource = service.withdraw_resource(actor, resource_id)
        return resource
