"""Pages: 我的 → 服务证明, the staff's page for one volunteer, and the public check."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coop.auth.current import login_required, require_actor
from coop.certificates import pdfs, public, queries, service
from coop.certificates.api import pdf_response
from coop.certificates.models import PDF_DONE
from coop.dbtypes import utcnow
from coop.errors import NotFound
from coop.extensions import db
from coop.hours.queries import volunteer_totals
from coop.htmx import is_htmx, render
from coop.people.models import VolunteerProfile
from coop.schemas import ReasonIn, load_form
from coop.uow import unit_of_work

bp = Blueprint("certificates", __name__)


def _page(actor, profile: VolunteerProfile, *, own: bool):
    certificates = queries.certificates_of(actor, profile.user_id)
    documents = pdfs.documents_of([c.id for c in certificates])
    return render(
        "certificates/list.html",
        volunteer=profile.user,
        profile=profile,
        own=own,
        totals=volunteer_totals(profile.user_id),
        here=volunteer_totals(profile.user_id, community_id=profile.home_community_id),
        certificates=certificates,
        jobs={c.id: pdfs.job_of(c, documents.get(c.id)) for c in certificates},
    )


def _back(actor, certificate):
    if certificate.volunteer_id == actor.id:
        return redirect(url_for("certificates.mine"))
    return redirect(url_for("certificates.for_volunteer", volunteer_id=certificate.volunteer_id))


def _profile_for_staff(actor, volunteer_id: int) -> VolunteerProfile:
    from coop.alliance.permissions import managed_community_ids

    profile = db.session.get(VolunteerProfile, volunteer_id)
    if profile is None or profile.home_community_id not in managed_community_ids(actor):
        raise NotFound()
    return profile


@bp.get("/me/certificates")
@login_required
def mine():
    actor = require_actor()
    profile = db.session.get(VolunteerProfile, actor.id)
    if profile is None:
        raise NotFound()
    return _page(actor, profile, own=True)


@bp.get("/volunteers/<int:volunteer_id>/certificates")
@login_required
def for_volunteer(volunteer_id: int):
    actor = require_actor()
    return _page(actor, _profile_for_staff(actor, volunteer_id), own=False)


@bp.post("/volunteers/<int:volunteer_id>/certificates")
@login_required
def issue(volunteer_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        certificate = service.issue(actor, volunteer_id, now=utcnow())
    if pdfs.job_of(certificate).status == PDF_DONE:  # a queue run in-process made it already
        flash(_("已出具证明 %(number)s。", number=certificate.number), "success")
    else:
        flash(
            _("已出具证明 %(number)s，PDF正在生成，好了就可以下载。", number=certificate.number),
            "success",
        )
    if volunteer_id == actor.id:
        return redirect(url_for("certificates.mine"))
    return redirect(url_for("certificates.for_volunteer", volunteer_id=volunteer_id))


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    actor = require_actor()
    certificate = queries.get_certificate(actor, certificate_id)
    if pdfs.job_of(certificate).status != PDF_DONE:  # a link kept from before it was ready
        flash(_("证明 %(number)s 的PDF还没有生成好。", number=certificate.number), "error")
        return _back(actor, certificate)
    return pdf_response(certificate)


@bp.get("/certificates/<int:certificate_id>/pdf")
@login_required
def pdf_job(certificate_id: int):
    """The certificate's download card: it polls itself while the queue makes the PDF."""
    actor = require_actor()
    certificate = queries.get_certificate(actor, certificate_id)
    if not is_htmx():
        return _back(actor, certificate)
    return render_template(
        "certificates/_pdf_job.html", c=certificate, job=pdfs.job_of(certificate)
    )


@bp.post("/certificates/<int:certificate_id>/pdf")
@login_required
def remake_pdf(certificate_id: int):
    """重新生成: queue the PDF again after it failed."""
    actor = require_actor()
    certificate = queries.get_certificate(actor, certificate_id)
    with unit_of_work(actor):
        pdfs.remake(actor, certificate_id)
    flash(_("证明 %(number)s 的PDF已重新排队生成。", number=certificate.number), "success")
    return _back(actor, certificate)


@bp.post("/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id: int):
    actor = require_actor()
    certificate = queries.get_certificate(actor, certificate_id)
    fields, errors = load_form(ReasonIn(), request.form)
    if errors:
        flash(_("请填写作废原因（至少2个字）。"), "error")
    else:
        with unit_of_work(actor):
            service.revoke(actor, certificate_id, reason=fields["reason"], now=utcnow())
        flash(_("证明 %(number)s 已作废。", number=certificate.number), "success")
    return redirect(url_for("certificates.for_volunteer", volunteer_id=certificate.volunteer_id))


@bp.get("/certificates/check/<code>")
def check(code: str):
    """Anyone, signed in or not: is the certificate behind this QR genuine and not revoked?"""
    if len(code) > 32:
        abort(404)
    found = public.check(code)
    response = render("certificates/check.html", found=found, locale="zh")
    if found is None:
        return response, 404
    return response
