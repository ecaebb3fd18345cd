"""The people import's pages: the template, the upload, and the job's progress and result."""

from flask import Blueprint, redirect, request, url_for
from flask_babel import get_locale

from coop import importing, xlsx
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.people import excel, imports

bp = Blueprint("people_import", __name__)


def _managed(community_id: int):
    actor = require_actor()
    return actor, imports.importing_community(actor, community_id)


def read_upload(upload) -> tuple[bytes, dict]:
    """The upload and its rows by kind. :raise SheetRejected: no file, over the budget (before
    anything is parsed) or not the template."""
    if upload is None or not upload.filename:
        raise xlsx.SheetRejected(xlsx.NO_FILE)
    data = upload.stream.read(excel.MAX_BYTES + 1)
    return data, excel.read_workbook(data)


@bp.route("/communities/<int:community_id>/people/import", methods=["GET", "POST"])
@login_required
def import_form(community_id: int):
    actor, community = _managed(community_id)
    context = {
        "community": community,
        "jobs": imports.recent_import_jobs(community.id),
        "max_rows": excel.MAX_ROWS,
    }
    if request.method == "GET":
        return render("people_import/import.html", form={}, errors={}, **context)
    retry_form("people_import/import.html", **context)
    upload = request.files.get("file")
    data, rows = read_upload(upload)
    locale = str(get_locale())

    def create():
        job = imports.create_import_job(
            actor, community.id, filename=upload.filename, total_rows=sum(map(len, rows.values()))
        )
        importing.queue_job(job, data, locale=locale)
        return redirect(url_for("people_import.job", job_id=job.id), code=303)

    return submit_once(actor, create)


@bp.get("/communities/<int:community_id>/people/import/template.xlsx")
@login_required
def template(community_id: int):
    _actor, community = _managed(community_id)
    data = excel.build_template(
        [n.name for n in community.neighbourhoods], sorted(imports.alliance_units(community.id))
    )
    return xlsx.attachment(data, f"人员导入模板-{community.name}.xlsx", "people-template.xlsx")


@bp.get("/people/imports/<int:job_id>")
@login_required
def job(job_id: int):
    job = imports.get_import_job(require_actor(), job_id)
    return render(
        "people_import/job.html",
        block="job_status",
        job=job,
        community=job.community,
        stalled=job.is_stalled(utcnow()),
    )
