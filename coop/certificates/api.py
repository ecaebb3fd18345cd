from flask import Response
from flask.views import MethodView
from flask_babel import gettext as _

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.certificates import documents, pdfs, queries, service
from coop.certificates.errors import PdfFailed, PdfMissing
from coop.certificates.schemas import CertificateOut, IssueIn, PdfJobOut
from coop.dbtypes import utcnow
from coop.documents.queued import queued_pdf
from coop.schemas import ReasonIn
from coop.uow import unit_of_work

blp = signed_in_blueprint("certificates_api", __name__, "志愿服务记录证明 · certificates")


def pdf_response(certificate) -> Response:
    """The stored PDF by the queued documents' contract (coop.documents.queued); 409
    ``pdf_missing`` for a certificate issued before PDFs were kept."""
    document = pdfs.document_of(certificate.id)
    if document is None:
        raise PdfMissing()
    return queued_pdf(
        document.status,
        pdf=lambda: pdfs.stored_pdf(document),
        filename=documents.filename(certificate),
        not_ready_message=_("证明PDF正在生成，请几秒后再下载。"),
        failed=PdfFailed(),
    )


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.arguments(IssueIn)
    @blp.response(201, CertificateOut)
    @documents_errors(blp, 400, 401, 404, 409, 422)
    def post(self, fields):
        """Issue a 志愿服务记录证明: a volunteer for herself, staff for a volunteer of their
        community (another community's is a 404). 409 ``no_verified_hours`` when she has no
        verified hours there; nothing is written."""
        actor = require_actor()
        with unit_of_work(actor):
            certificate = service.issue(actor, fields["volunteer_id"], now=utcnow())
        return certificate


@blp.route("/certificates/<int:certificate_id>")
class Detail(MethodView):
    @blp.response(200, CertificateOut)
    @documents_errors(blp, 401, 404)
    def get(self, certificate_id):
        """One certificate: its volunteer, and the staff of the community that issued it."""
        return queries.get_certificate(require_actor(), certificate_id)


@blp.route("/certificates/<int:certificate_id>.pdf")
class Pdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(202, description="Still being made: ``pdf_not_ready``, with Retry-After")
    @documents_errors(blp, 401, 404, 409)
    def get(self, certificate_id):
        """The certificate as an A4 PDF, made once by the task queue when it was issued (from
        what it stated then) and stored. 202 ``pdf_not_ready`` with ``Retry-After`` while it is
        being made; 409 ``pdf_failed`` when the queue gave up (``POST …/pdf`` makes it again),
        ``pdf_missing`` for a certificate issued before PDFs were kept. A revoked certificate's
        PDF still downloads; the check page says it is revoked."""
        return pdf_response(queries.get_certificate(require_actor(), certificate_id))


@blp.route("/certificates/<int:certificate_id>/pdf")
class PdfJob(MethodView):
    @blp.response(200, PdfJobOut)
    @documents_errors(blp, 401, 404)
    def get(self, certificate_id):
        """The PDF's job: ``status`` queued, running, done (``pdf_url`` set) or failed;
        ``missing`` for a certificate issued before PDFs were kept."""
        certificate = queries.get_certificate(require_actor(), certificate_id)
        return pdfs.job_of(certificate)

    @blp.response(202, PdfJobOut)
    @documents_errors(blp, 401, 404, 409)
    def post(self, certificate_id):
        """Make the PDF again after it failed (or make it for an old certificate): 202 with the
        job. 409 ``pdf_already_made`` when it is there to download; a job already under way is
        returned as it is."""
        actor = require_actor()
        with unit_of_work(actor):
            pdfs.remake(actor, certificate_id)
        return pdfs.job_of(queries.get_certificate(actor, certificate_id))


@blp.route("/certificates/<int:certificate_id>/revoke")
class Revoke(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, CertificateOut)
    @documents_errors(blp, 400, 401, 404, 409, 422)
    def post(self, fields, certificate_id):
        """Staff of the issuing community withdraw it with a reason; the public check then
        says 已作废. 409 ``already_revoked``."""
        actor = require_actor()
        with unit_of_work(actor):
            certificate = service.revoke(
                actor, certificate_id, reason=fields["reason"], now=utcnow()
            )
        return certificate
