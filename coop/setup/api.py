from flask.views import MethodView

from coop.alliance.schemas import CommunityOut
from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.errors import NotFound
from coop.setup import queries, service, staff
from coop.setup.schemas import (
    AppointedOut,
    CommunityIn,
    CommunityStaffIn,
    GridOut,
    GridPage,
    GridPostAppointedOut,
    GridPostIn,
    NeighbourhoodIn,
    NeighbourhoodPatch,
    PostHolderPage,
    StreetAdminIn,
    with_code,
)
from coop.uow import unit_of_work

blp = signed_in_blueprint("setup_api", __name__, "Street set-up: communities, grids, staff")


@blp.route("/communities")
class NewCommunity(MethodView):
    @blp.arguments(CommunityIn)
    @blp.response(201, CommunityOut)
    @documents_errors(blp, 403, 404)
    def post(self, fields):
        """A new community in the street admin's street, with its alliance and the six working
        mechanisms (street admin; a street_id not hers is a 404)."""
        actor = require_actor()
        with unit_of_work(actor):
            community = service.create_community(actor, **fields)
        return community


@blp.route("/communities/<int:community_id>/neighbourhoods")
class Neighbourhoods(MethodView):
    @blp.response(200, GridPage)
    @documents_errors(blp, 403)
    def get(self, community_id):
        """The community's neighbourhoods with their 户数, 网格长 and 网格员 (street admin)."""
        community = service.community_to_set_up(require_actor(), community_id)
        items = queries.grids(community)
        return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}

    @blp.arguments(NeighbourhoodIn)
    @blp.response(201, GridOut)
    @documents_errors(blp, 403)
    def post(self, fields, community_id):
        """A new 邻里单元 / 网格 of a community in her street (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            neighbourhood = service.add_neighbourhood(actor, community_id, **fields)
        return queries.grid_of(neighbourhood)


@blp.route("/neighbourhoods/<int:neighbourhood_id>")
class NeighbourhoodDetail(MethodView):
    @blp.arguments(NeighbourhoodPatch)
    @blp.response(200, GridOut)
    @documents_errors(blp, 403)
    def patch(self, fields, neighbourhood_id):
        """Rename a neighbourhood, or change its description or 户数 (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            neighbourhood = service.update_neighbourhood(actor, neighbourhood_id, **fields)
        return queries.grid_of(neighbourhood)


@blp.route("/neighbourhoods/<int:neighbourhood_id>/grid-posts")
class GridPosts(MethodView):
    @blp.arguments(GridPostIn)
    @blp.response(201, GridPostAppointedOut)
    @documents_errors(blp, 403, 409)
    def post(self, fields, neighbourhood_id):
        """Appoint the grid's 网格长 or a 网格员: a person of the community by user_id, or by
        phone (a new person gets an invitation_code, in this answer only) (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            assignment, person = service.appoint_grid_post(
                actor, neighbourhood_id, now=utcnow(), **fields
            )
        return with_code(assignment, person)


@blp.route("/grid-posts/<int:assignment_id>")
class GridPostDetail(MethodView):
    @blp.response(204)
    @documents_errors(blp, 403)
    def delete(self, assignment_id):
        """The person leaves her grid post (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            service.remove_grid_post(actor, assignment_id)


@blp.route("/communities/<int:community_id>/staff")
class Staff(MethodView):
    @blp.response(200, PostHolderPage)
    @documents_errors(blp, 403)
    def get(self, community_id):
        """The community's 社区书记 and 社区工作者 (its street admin)."""
        community = service.community_to_set_up(require_actor(), community_id)
        items = queries.staff_grants(community.id)
        return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}

    @blp.arguments(CommunityStaffIn)
    @blp.response(201, AppointedOut)
    @documents_errors(blp, 403, 409)
    def post(self, fields, community_id):
        """Appoint a 社区书记 or 社区工作者 by phone: whoever has it gets the post; otherwise a
        new person is added (display_name needed) and invitation_code, in this answer only,
        lets her set her own password (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            grant, person = staff.appoint_staff(actor, community_id, now=utcnow(), **fields)
        return with_code(grant, person)


@blp.route("/communities/<int:community_id>/staff/<int:grant_id>")
class StaffMember(MethodView):
    @blp.response(204)
    @documents_errors(blp, 403)
    def delete(self, community_id, grant_id):
        """Remove a 社区书记 or 社区工作者: her powers end at once (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            staff.remove_staff(actor, community_id, grant_id)


@blp.route("/streets/<int:street_id>/admins")
class StreetAdmins(MethodView):
    @blp.response(200, PostHolderPage)
    @documents_errors(blp, 403)
    def get(self, street_id):
        """The street's admins (its admins)."""
        _own_street(street_id)
        items = queries.street_admin_grants(street_id)
        return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}

    @blp.arguments(StreetAdminIn)
    @blp.response(201, AppointedOut)
    @documents_errors(blp, 403, 409)
    def post(self, fields, street_id):
        """Appoint another admin of the street, by phone as staff are (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            grant, person = staff.appoint_street_admin(actor, street_id, now=utcnow(), **fields)
        return with_code(grant, person)


@blp.route("/streets/<int:street_id>/admins/<int:grant_id>")
class StreetAdmin(MethodView):
    @blp.response(204)
    @documents_errors(blp, 403, 409)
    def delete(self, street_id, grant_id):
        """Remove a street admin; the street's last one cannot be removed (409
        last_street_admin)."""
        actor = require_actor()
        _own_street(street_id)
        with unit_of_work(actor):
            grant = staff.street_admin_grant(actor, grant_id)
            if grant.street_id != street_id:
                raise NotFound()
            staff.remove_street_admin(actor, grant.id)


def _own_street(street_id: int) -> None:
    """:raise Forbidden: no street admin. :raise NotFound: not her street."""
    service.street_for(require_actor(), street_id)
