from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.printables import signin
from coop.printables.views import pdf_response

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
