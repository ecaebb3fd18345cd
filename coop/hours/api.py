from flask.views import MethodView
from sqlalchemy.orm import selectinload

from coop import idempotency
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.hours import queries, service
from coop.hours.models import ServiceRecord
from coop.hours.schemas import RecordArgs, RecordIn, ServiceRecordOut
from coop.pagination import paginate
from coop.schemas import ReasonIn
from coop.uow import unit_of_work

blp = signed_in_blueprint(
    "hours_api", __name__, "服务时长 · service records and their verification"
)


@blp.route("/service-records")
class ServiceRecords(MethodView):
    @blp.arguments(RecordArgs, location="query")
    @blp.response(200, page_schema(ServiceRecordOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Service records, newest first: staff see their community's, a volunteer her own."""
        query = queries.records_select(
            require_actor(),
            community_id=args.get("community_id"),
            status=args.get("status"),
            origin=args.get("origin"),
            volunteer_id=args.get("volunteer_id"),
            served_in=args.get("month") or None,
        ).options(
            selectinload(ServiceRecord.volunteer),
            selectinload(ServiceRecord.activity),
            selectinload(ServiceRecord.entered_by),
            selectinload(ServiceRecord.verified_by),
        )
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(RecordIn)
    @blp.response(201, ServiceRecordOut)
    @blp.doc(parameters=[idempotency.HEADER_DOC])
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields):
        """补录: staff enter a volunteer's hours for an activity afterwards, at most its length
        and 24 hours a day; another staff member verifies them. 409 idempotency_mismatch."""
        actor = require_actor()

        def create() -> dict:
            values = dict(fields)  # the whole body is the key's fingerprint
            record = service.enter_hours(actor, values.pop("community_id"), **values)
            return ServiceRecordOut().dump(record)

        return idempotency.respond_once(actor, fields, create, 201)


@blp.route("/service-records/<int:record_id>")
class ServiceRecordDetail(MethodView):
    @blp.response(200, ServiceRecordOut)
    @documents_errors(blp, 401, 404)
    def get(self, record_id):
        """One record: the community's staff, or the volunteer it is for."""
        return queries.get_record(require_actor(), record_id)


@blp.route("/service-records/<int:record_id>/verify")
class VerifyRecord(MethodView):
    @blp.response(200, ServiceRecordOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, record_id):
        """Confirm pending hours; the points are posted to her account at once (staff). 403
        own_hours for one's own record, second_person_needed for hours one entered oneself;
        409 illegal_transition when not pending."""
        actor = require_actor()
        with unit_of_work(actor):
            record = service.verify_record(actor, record_id, now=utcnow())
        return record


@blp.route("/service-records/<int:record_id>/reject")
class RejectRecord(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ServiceRecordOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, record_id):
        """Turn pending hours down with a reason the volunteer reads (staff). 403 own_hours,
        second_person_needed; 409 illegal_transition when not pending."""
        actor = require_actor()
        with unit_of_work(actor):
            record = service.reject_record(actor, record_id, now=utcnow(), **fields)
        return record


@blp.route("/service-records/<int:record_id>/reverse")
class ReverseRecord(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(201, ServiceRecordOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, record_id):
        """冲正 a verified record: the response is the new reversal record (negative hours and
        points, ``reverses_id`` the original), which is never edited itself (staff). 409
        already_reversed, insufficient_points; 422 when the record is not verified."""
        actor = require_actor()
        with unit_of_work(actor):
            reversal = service.reverse_record(actor, record_id, now=utcnow(), **fields)
        return reversal
