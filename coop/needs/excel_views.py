from flask import Blueprint, redirect, request, url_for
from flask_babel import get_locale
from sqlalchemy.orm import selectinload

from coop import importing, xlsx
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import render
from coop.needs import excel, imports, permissions, queries
from coop.needs.models import Need
from coop.needs.schemas import NeedFilters
from coop.schemas import load_form
from coop.timeutil import local_today

bp = Blueprint("needs_excel", __name__)


def _managed_community(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    return actor, community


@bp.route("/communities/<int:community_id>/needs/import", methods=["GET", "POST"])
@login_required
def import_form(community_id: int):
    actor, community = _managed_community(community_id)
    context = {
        "community": community,
        "jobs": imports.recent_import_jobs(community.id),
        "max_rows": excel.MAX_ROWS,
    }
    if request.method == "GET":
        return render("needs_excel/import.html", form={}, errors={}, **context)
    retry_form("needs_excel/import.html", **context)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise excel.SheetRejected(excel.NO_FILE)
    data = upload.stream.read(excel.MAX_BYTES + 1)
    rows = excel.read_sheet(data)  # refused here, before a job exists, when it is no template
    locale = str(get_locale())

    def create():
        job = imports.create_import_job(
            actor, community.id, filename=upload.filename, total_rows=len(rows)
        )
        importing.queue_job(job, data, locale=locale)
        return redirect(url_for("needs_excel.job", job_id=job.id), code=303)

    return submit_once(actor, create)


@bp.get("/communities/<int:community_id>/needs/import/template.xlsx")
@login_required
def template(community_id: int):
    _actor, community = _managed_community(community_id)
    data = excel.build_template([n.name for n in community.neighbourhoods])
    return xlsx.attachment(
        data, f"服务需求清单导入模板-{community.name}.xlsx", "needs-template.xlsx"
    )


@bp.get("/needs/imports/<int:job_id>")
@login_required
def job(job_id: int):
    job = imports.get_import_job(require_actor(), job_id)
    return render(
        "needs_excel/job.html",
        block="job_status",
        job=job,
        community=job.community,
        stalled=job.is_stalled(utcnow()),
    )


@bp.get("/communities/<int:community_id>/needs/export.xlsx")
@login_required
def export(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    # The list page passes its filters on to the export link; the whole filtered list, unpaged.
    args, errors = load_form(NeedFilters(), request.args)
    if errors:
        raise Invalid(errors=errors)
    query = queries.needs_select(actor, community_id=community.id, **args).options(
        selectinload(Need.neighbourhood)
    )
    data = excel.write_export(
        db.session.scalars(query),
        with_requester=permissions.can_see_all_needs(actor, community),
    )
    today = local_today().isoformat()
    return xlsx.attachment(
        data, f"服务需求清单-{community.name}-{today}.xlsx", f"needs-{today}.xlsx"
    )


@bp.get("/my/needs/export.xlsx")
@login_required
def export_mine():
    """我的需求 as the page lists them, every page, in the needs list's own columns."""
    actor = require_actor()
    query = queries.needs_select(actor, mine=True).options(selectinload(Need.neighbourhood))
    data = excel.write_export(db.session.scalars(query), with_requester=False)
    today = local_today().isoformat()
    return xlsx.attachment(
        data, f"我的需求-{actor.display_name}-{today}.xlsx", f"my-needs-{today}.xlsx"
    )
