"""Pages: 我的 → 服务证明, the staff's page for one volunteer, and the public check."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.auth.current import login_required, require_actor
from coop.certificates import public, queries, service
from coop.certificates.api import pdf_response
from coop.dbtypes import utcnow
from coop.errors import NotFound
from coop.extensions import db
from coop.hours.queries import volunteer_totals
from coop.htmx import render
from coop.people.models import VolunteerProfile
from coop.schemas import ReasonIn, load_form
from coop.uow import unit_of_work

bp = Blueprint("certificates", __name__)


def _page(actor, profile: VolunteerProfile, *, own: bool):
    return render(
        "certificates/list.html",
        volunteer=profile.user,
        profile=profile,
        own=own,
        totals=volunteer_totals(profile.user_id),
        here=volunteer_totals(profile.user_id, community_id=profile.home_community_id),
        certificates=queries.certificates_of(actor, profile.user_id),
    )


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
    flash(_("已出具证明 %(number)s。", number=certificate.number), "success")
    if volunteer_id == actor.id:
        return redirect(url_for("certificates.mine"))
    return redirect(url_for("certificates.for_volunteer", volunteer_id=volunteer_id))


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    return pdf_response(queries.get_certificate(require_actor(), certificate_id))


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
