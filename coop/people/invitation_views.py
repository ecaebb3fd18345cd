"""Invitation pages: the code shown once after a person is added, a new code for one person,
and the printed list. Codes exist only in these answers (only their SHA-256 is stored), so
each page is ``no-store``, and printing again issues new codes and says so.

The QRs are inline SVG in the page, as the check-in and pickup QRs are on theirs: an ``<img>``
of a route would need the code in its URL, to be logged by every proxy on the way, and the CSP
forbids ``data:`` images.
"""

import segno
from flask import Blueprint, redirect, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.auth.current import login_required, require_actor
from coop.auth.invitations import lifetime
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.htmx import render
from coop.people import imports, service
from coop.people.bulk_schemas import InvitationsIn
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("people_invitations", __name__)

# The code of the person just added, handed from the form's answer (a redirect, which the
# form's submit-once record keeps) to the page that shows it once and drops it.
HANDED_OVER = "coop.invitation"


def hand_over(added: service.Added) -> None:
    session[HANDED_OVER] = [added.person.id, added.code]


def qr(code: str) -> Markup:
    """The QR of her invitation link, code included; medium error correction survives a
    creased printout."""
    link = url_for("auth.invitation", code=code, _external=True)
    return Markup(segno.make(link, "m", micro=False).svg_inline(scale=5, title=_("邀请二维码")))


def _sheet_page(community, sheets, *, skipped=(), reprint: bool, status: int = 200):
    html = render(
        "people/invitations.html",
        community=community,
        sheets=[(added, qr(added.code)) for added in sheets],
        skipped=skipped,
        reprint=reprint,
        link=url_for("auth.invitation", _external=True),
        expires_on=utcnow() + lifetime(),
    )
    return html, status, {"Cache-Control": "no-store"}


def _managed(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    return actor, community


@bp.route(
    "/communities/<int:community_id>/people/<int:user_id>/invitation", methods=["GET", "POST"]
)
@login_required
def invitation(community_id: int, user_id: int):
    """GET: the code of the person just added, once. POST: a new code for her (the old one
    stops working)."""
    actor, community = _managed(community_id)
    if request.method == "POST":
        with unit_of_work(actor):
            added = service.reissue_invitation(actor, community.id, user_id, now=utcnow())
        return _sheet_page(community, [added], reprint=True)
    person = service.invitable_person(actor, community.id, user_id)
    handed = session.pop(HANDED_OVER, None)
    if handed and handed[0] == person.id:
        return _sheet_page(community, [service.Added(person, handed[1])], reprint=False)
    return (
        render("people/invitation_gone.html", community=community, person=person),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.post("/communities/<int:community_id>/people/invitations")
@login_required
def print_list(community_id: int):
    """Fresh codes for the people chosen, as a page to print."""
    actor, community = _managed(community_id)
    data, errors = load_form(InvitationsIn(), request.form)
    if errors:
        raise Invalid(_("请勾选要打印邀请单的人。"), errors=errors)
    with unit_of_work(actor):
        if data.get("import_id"):
            printed = imports.print_import_invitations(
                actor, community.id, data["import_id"], now=utcnow()
            )
        else:
            printed = service.print_invitations(
                actor, community.id, data.get("user_ids"), now=utcnow()
            )
    if not printed.sheets and not printed.skipped:
        raise Invalid(_("没有需要打印邀请单的人。"))
    return _sheet_page(community, printed.sheets, skipped=printed.skipped, reprint=True)


@bp.get("/communities/<int:community_id>/people/invitations")
@login_required
def print_list_again(community_id: int):
    """A reload of the printed list's address: codes are not kept, so back to the list."""
    _managed(community_id)
    return redirect(url_for("people.people", community_id=community_id))
