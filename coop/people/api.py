from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.pagination import paginate
from coop.people import departure, editing, export, queries, service
from coop.people.schemas import (
    AddedOut,
    PeopleArgs,
    PersonDetailOut,
    PersonEdit,
    PersonIn,
    PersonOut,
)
from coop.schemas import ReasonIn, patch_of
from coop.uow import unit_of_work
from coop.xlsx import XLSX_MIMETYPE, attachment

blp = signed_in_blueprint("people_api", __name__, "People of a community")


@blp.route("/communities/<int:community_id>/people")
class People(MethodView):
    @blp.arguments(PeopleArgs, location="query")
    @blp.response(200, page_schema(PersonOut))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, community_id):
        """The community's people, phones masked (secretary, street admin)."""
        query = queries.people_select(
            require_actor(),
            community_id,
            role=args.get("role"),
            q=args.get("q", ""),
            active=args.get("active"),
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


def _act(action, user_id: int, **fields) -> User:
    """Run a departure action in the first community (the actor's own first) whose person this
    is; the response is the person as she is now."""
    actor = require_actor()
    with unit_of_work(actor):
        community_id = departure.community_of(actor, user_id)
        action(actor, community_id, user_id, now=utcnow(), **fields)
    return db.session.get(User, user_id)


@blp.route("/people/<int:user_id>/deactivate")
class DeactivatePerson(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, PersonOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, user_id):
        """Deactivate one of her community's people, with a reason (secretary): live sign-ups
        cancelled, her own claims withdrawn, reservations refunded, signed out everywhere;
        hours and points stay. 409 when she is deactivated already."""
        return _act(departure.deactivate_person, user_id, **fields)


@blp.route("/people/<int:user_id>/reactivate")
class ReactivatePerson(MethodView):
    @blp.response(200, PersonOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, user_id):
        """Let a deactivated person sign in again (secretary); nothing ended comes back."""
        return _act(departure.reactivate_person, user_id)


@blp.route("/people/<int:user_id>/anonymise")
class AnonymisePerson(MethodView):
    @blp.response(200, PersonOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, user_id):
        """Irreversibly remove a deactivated person's personal data (secretary): name
        已注销用户, no phone or address, the audit snapshots cleaned; hours and points stay.
        409 while she is active, or when done already."""
        return _act(departure.anonymise_person, user_id)


@blp.route("/me/export")
class MyData(MethodView):
    @blp.response(200, content_type=XLSX_MIMETYPE, description="Her data as an .xlsx workbook")
    @blp.doc(
        responses={
            "200": {
                "description": "Her data as an .xlsx workbook: 个人资料, 报名记录, 服务时长, "
                "积分明细, 兑换记录, 我的需求",
                "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @documents_errors(blp, 401)
    def get(self):
        """Everything Coop keeps about the signed-in person, unmasked (it is hers)."""
        return attachment(export.my_data(require_actor()), *export.file_names())


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
