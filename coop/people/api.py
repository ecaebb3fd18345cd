from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.pagination import paginate
from coop.people import queries, service
from coop.people.schemas import AddedOut, PeopleArgs, PersonIn, PersonOut
from coop.uow import unit_of_work

blp = signed_in_blueprint("people_api", __name__, "People of a community")


@blp.route("/communities/<int:community_id>/people")
class People(MethodView):
    @blp.arguments(PeopleArgs, location="query")
    @blp.response(200, page_schema(PersonOut))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, community_id):
        """The community's people, phones masked (secretary, street admin)."""
        query = queries.people_select(
            require_actor(), community_id, role=args.get("role"), q=args.get("q", "")
        )
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(PersonIn)
    @blp.response(201, AddedOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """Add a volunteer, resident or unit liaison to the community (secretary). She gets no
        password: the answer carries her one-time ``invitation_code``, given only here, with
        which she sets her own. Without ``username`` she signs in with her phone number (or a
        generated name, in the answer). 422 when the phone already has an account."""
        actor = require_actor()
        with unit_of_work(actor):
            added = service.add_person(actor, community_id, **fields, now=utcnow())
        return {**PersonOut().dump(added.person), "invitation_code": added.code}
