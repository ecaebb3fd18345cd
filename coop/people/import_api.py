from http import HTTPStatus

from flask.views import MethodView
from flask_babel import get_locale

from coop import importing
from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.people import imports, service
from coop.people.bulk_schemas import ImportUploadIn, InvitationsIn, InvitationsOut, PeopleImportOut
from coop.people.import_views import read_upload
from coop.uow import unit_of_work

blp = signed_in_blueprint("people_import_api", __name__, "People in bulk: import and invitations")


@blp.route("/communities/<int:community_id>/people/import")
class PeopleImport(MethodView):
    @blp.arguments(ImportUploadIn, location="files")
    @blp.response(202, PeopleImportOut)
    @blp.alt_response(413, response=HTTPStatus.REQUEST_ENTITY_TOO_LARGE.name)
    @documents_errors(blp, 401, 403, 404, 422)
    def post(self, files, community_id):
        """Import units with their liaisons, volunteers and residents from the template's
        workbook (secretary): multipart/form-data with the file in ``file``. 422
        ``sheet_rejected`` when the file is over 5 MB or its budget (refused before it is
        parsed), not an .xlsx or not the template; otherwise 202 with the job, which checks
        every row and imports all or none: poll ``GET /people/imports/{import_id}``."""
        actor = require_actor()
        imports.importing_community(actor, community_id)  # 403/404 before the file is read
        upload = files["file"]
        data, rows = read_upload(upload)
        with unit_of_work(actor):
            job = imports.create_import_job(
                actor,
                community_id,
                filename=upload.filename or "",
                total_rows=sum(map(len, rows.values())),
            )
            job_id = job.id
            importing.queue_job(job, data, locale=str(get_locale()))
        return db.session.get(imports.PeopleImportJob, job_id)


@blp.route("/people/imports/<int:import_id>")
class PeopleImportJob(MethodView):
    @blp.response(200, PeopleImportOut)
    @documents_errors(blp, 401, 403, 404)
    def get(self, import_id):
        """An import's status, progress, bad rows (sheet, row as Excel numbers it, reasons)
        and, once done, its counts and the people it created (secretary of its community)."""
        return imports.get_import_job(require_actor(), import_id)


@blp.route("/communities/<int:community_id>/people/invitations")
class Invitations(MethodView):
    @blp.arguments(InvitationsIn)
    @blp.response(201, InvitationsOut, headers={"Cache-Control": {"schema": {"type": "string"}}})
    @documents_errors(blp, 401, 403, 404, 422)
    def post(self, data, community_id):
        """Fresh one-time codes (secretary), given only in this answer: for ``user_ids``, for
        the people import ``import_id`` created, or for everyone of the community who has not
        set a password yet (``without_password``). Each one's earlier code stops working;
        people who have set their own password are left out (``skipped``)."""
        actor = require_actor()
        with unit_of_work(actor):
            if data.get("import_id"):
                printed = imports.print_import_invitations(
                    actor, community_id, data["import_id"], now=utcnow()
                )
            else:
                printed = service.print_invitations(
                    actor, community_id, data.get("user_ids"), now=utcnow()
                )
        return printed, 201, {"Cache-Control": "no-store"}
