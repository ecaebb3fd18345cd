from flask import Response
from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.certificates import documents, queries, service
from coop.certificates.schemas import CertificateOut, IssueIn
from coop.dbtypes import utcnow
from coop.schemas import ReasonIn
from coop.uow import unit_of_work

blp = signed_in_blueprint("certificates_api", __name__, "志愿服务记录证明 · certificates")


def pdf_response(certificate) -> Response:
    body = documents.certificate_pdf(certificate)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{documents.filename(certificate)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    @documents_errors(blp, 401, 404)
    def get(self, certificate_id):
        """The certificate as an A4 PDF, drawn from what it stated when issued."""
        return pdf_response(queries.get_certificate(require_actor(), certificate_id))


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
