from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.printables import ledger, notice, signin
from coop.printables import term_report as term_reports
from coop.printables.schemas import LedgerIn, LedgerReportOut
from coop.printables.views import ledger_pdf_response, pdf_response
from coop.timeutil import local_today
from coop.uow import unit_of_work

blp = signed_in_blueprint("printables_api", __name__, "打印 · printable A4 documents (PDF)")

PDF_DOC = {
    "responses": {
        "200": {
            "description": "An A4 PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@blp.route("/activities/<int:activity_id>/sign-in-sheet.pdf")
class SignInSheet(MethodView):
    @blp.doc(**PDF_DOC)
    @documents_errors(blp, 401, 403, 404)
    def get(self, activity_id):
        """The activity's 签到表 (its organisers: staff, the lead unit's liaison): its check-in
        QR and a roster of those signed up, with blank lines to 40, to sign by hand."""
        return pdf_response(signin.sign_in_sheet(require_actor(), activity_id), "签到表.pdf")


@blp.route("/communities/<int:community_id>/ledger-reports")
class LedgerReports(MethodView):
    @blp.arguments(LedgerIn)
    @blp.response(202, LedgerReportOut)
    @documents_errors(blp, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """Ask for the community's monthly 台账 (its staff): 202 with the job, which the task
        queue makes; poll ``GET /ledger-reports/{id}`` until ``status`` is done, then fetch
        ``pdf_url``. 422 for a month still to come (nothing is written)."""
        actor = require_actor()
        with unit_of_work(actor):
            report = ledger.request_ledger(
                actor, community_id, fields["month"], today=local_today()
            )
        return report


@blp.route("/ledger-reports/<int:report_id>")
class LedgerReportJob(MethodView):
    @blp.response(200, LedgerReportOut)
    @documents_errors(blp, 401, 404)
    def get(self, report_id):
        """The job: queued, running, done (with ``pdf_url``) or failed."""
        return ledger.get_report(require_actor(), report_id)


@blp.route("/ledger-reports/<int:report_id>.pdf")
class LedgerReportPdf(MethodView):
    @blp.doc(**PDF_DOC)
    @blp.alt_response(202, description="Still being made: ``pdf_not_ready``, with Retry-After")
    @documents_errors(blp, 401, 404, 409)
    def get(self, report_id):
        """The finished 台账. 202 ``pdf_not_ready`` with ``Retry-After`` while the queue is
        making it; 409 ``pdf_failed`` with the reason when it failed (ask for the month again);
        404 for a report that does not exist or is not of a community the asker manages."""
        return ledger_pdf_response(ledger.get_report(require_actor(), report_id))


@blp.route("/communities/<int:community_id>/projects/notice.pdf")
class ProjectNotice(MethodView):
    @blp.doc(**PDF_DOC)
    @documents_errors(blp, 401, 403, 404)
    def get(self, community_id):
        """The project list's 公示 (the community's staff): its published, claimed, running and
        finished projects as an A4 notice to post."""
        return pdf_response(notice.project_notice(require_actor(), community_id), "公示.pdf")


@blp.route("/terms/<int:term_id>/report.pdf")
class TermReport(MethodView):
    @blp.doc(**PDF_DOC)
    @documents_errors(blp, 401, 403, 404)
    def get(self, term_id):
        """The term's 六个一 report with its evidence and the activities' photos (staff)."""
        return pdf_response(term_reports.term_report(require_actor(), term_id), "六个一.pdf")
