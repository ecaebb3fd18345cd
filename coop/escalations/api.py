from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.errors import NotFound
from coop.escalations import permissions, queries, service
from coop.escalations.schemas import (
    AssignIn,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    EscalateIn,
    EscalationEntryOut,
    EscalationOut,
    EscalationRecordIn,
    OutcomeIn,
    QueueArgs,
    ReturnIn,
)
from coop.pagination import paginate
from coop.uow import unit_of_work

blp = signed_in_blueprint("escalations_api", __name__, "街道吹哨 · escalations")


def _require_street(actor, street_id: int) -> None:
    """Another street is a 404, as another community is."""
    if not permissions.can_manage_departments(actor, street_id):
        raise NotFound()


@blp.route("/needs/<int:need_id>/escalate")
class Escalate(MethodView):
    @blp.arguments(EscalateIn)
    @blp.response(201, EscalationOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, need_id):
        """The secretary raises an open need to the street (吹哨) with a reason. 409
        ``need_not_escalatable`` for a solved, closed or rejected need; 409
        ``already_escalated`` while the street holds it."""
        actor = require_actor()
        with unit_of_work(actor):
            escalation = service.escalate_need(actor, need_id, now=utcnow(), **fields)
        return escalation


@blp.route("/streets/<int:street_id>/escalations")
class Queue(MethodView):
    @blp.arguments(QueueArgs, location="query")
    @blp.response(200, page_schema(EscalationOut))
    @documents_errors(blp, 401, 422)
    def get(self, args, street_id):
        """The street admin's queue of raised needs: ``status`` open (待分派), assigned,
        returned or resolved; ``order`` newest or deadline (nearest first)."""
        actor = require_actor()
        _require_street(actor, street_id)
        query = queries.queue_select(actor, street_id, status=args["status"], order=args["order"])
        return paginate(query, args["page"], args["per_page"])


@blp.route("/escalations/<int:escalation_id>")
class Detail(MethodView):
    @blp.response(200, EscalationOut)
    @documents_errors(blp, 401, 404)
    def get(self, escalation_id):
        """One escalation: the street's admins and the community's staff."""
        return queries.get_escalation(require_actor(), escalation_id)


@blp.route("/escalations/<int:escalation_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignIn)
    @blp.response(200, EscalationOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, escalation_id):
        """Assign departments of the street with a deadline (street admin); again to add
        departments or move the deadline. A department of another street is a 422."""
        actor = require_actor()
        with unit_of_work(actor):
            escalation = service.assign(actor, escalation_id, now=utcnow(), **fields)
        return escalation


@blp.route("/escalations/<int:escalation_id>/entries")
class Entries(MethodView):
    @blp.arguments(EscalationRecordIn)
    @blp.response(201, EscalationEntryOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, escalation_id):
        """Record what an assigned department did on a day (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            entry = service.record(actor, escalation_id, now=utcnow(), **fields)
        return entry


@blp.route("/escalations/<int:escalation_id>/resolve")
class Resolve(MethodView):
    @blp.arguments(OutcomeIn)
    @blp.response(200, EscalationOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, escalation_id):
        """Close it as solved with the outcome (street admin); the need is solved with it."""
        actor = require_actor()
        with unit_of_work(actor):
            escalation = service.resolve(actor, escalation_id, now=utcnow(), **fields)
        return escalation


@blp.route("/escalations/<int:escalation_id>/return")
class Return(MethodView):
    @blp.arguments(ReturnIn)
    @blp.response(200, EscalationOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, escalation_id):
        """Return it to the community with a reason (street admin); the need stays open."""
        actor = require_actor()
        with unit_of_work(actor):
            escalation = service.return_to_community(actor, escalation_id, now=utcnow(), **fields)
        return escalation


@blp.route("/streets/<int:street_id>/departments")
class Departments(MethodView):
    @blp.response(200, DepartmentOut(many=True))
    @documents_errors(blp, 401)
    def get(self, street_id):
        """The street's departments, deactivated ones included (street admin)."""
        _require_street(require_actor(), street_id)
        return queries.departments(street_id)

    @blp.arguments(DepartmentIn)
    @blp.response(201, DepartmentOut)
    @documents_errors(blp, 400, 401, 403, 422)
    def post(self, fields, street_id):
        """Add a department to the street's list (street admin)."""
        actor = require_actor()
        with unit_of_work(actor):
            department = service.add_department(actor, street_id, **fields)
        return department


@blp.route("/departments/<int:department_id>")
class DepartmentDetail(MethodView):
    @blp.arguments(DepartmentPatch)
    @blp.response(200, DepartmentOut)
    @documents_errors(blp, 400, 401, 404, 422)
    def patch(self, fields, department_id):
        """Rename a department or set ``active``; departments are never deleted."""
        actor = require_actor()
        with unit_of_work(actor):
            department = service.update_department(actor, department_id, **fields)
        return department
