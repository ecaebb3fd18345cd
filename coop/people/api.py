from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.pagination import paginate
from coop.people import editing, queries, service
from coop.people.schemas import PeopleArgs, PersonDetailOut, PersonEdit, PersonIn, PersonOut
from coop.schemas import patch_of
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
    @blp.response(201, PersonOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """Add a volunteer, resident or unit liaison to the community (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            person = service.add_person(actor, community_id, **fields)
        return person


@blp.route("/people/<int:person_id>")
class PersonDetail(MethodView):
    @blp.response(200, PersonDetailOut)
    @documents_errors(blp, 401, 404)
    def get(self, person_id):
        """One person (herself, or one of a community whose people the caller sees), phone
        masked, with the ``version`` an edit sends back."""
        return editing.get_person(require_actor(), person_id)

    @blp.arguments(patch_of(PersonEdit))
    @blp.response(200, PersonDetailOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, person_id):
        """Correct a person's name, phone, skills, party membership, work unit, neighbourhood
        or address (the secretary of her community); she herself her name, phone and skills.
        A stale ``version`` is 409 ``version_conflict``; a phone another person has is 422."""
        actor = require_actor()
        with unit_of_work(actor):
            person = editing.edit_person(actor, person_id, **fields)
        return person
