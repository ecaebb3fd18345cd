"""签到表: an activity's sign-in sheet, its check-in QR and a roster to sign by hand."""

from markupsafe import Markup

from coop.activities import permissions as activity_permissions
from coop.activities import queries as activity_queries
from coop.activities.models import SignupStatus
from coop.activities.schemas import checkin_qr
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.documents.pdf import render_pdf

LINES = 40  # the sheet always has at least this many lines: walk-ins sign on the blank ones


def sign_in_sheet(actor: User, activity_id: int) -> bytes:
    """The activity's 签到表 as an A4 PDF (its organisers: the QR carries the check-in code).

    :raise NotFound: not an activity of the actor's communities.
    :raise Forbidden: not one of its organisers.
    """
    activity = activity_queries.get_activity(actor, activity_id)
    require(activity_permissions.can_run(actor, activity))
    confirmed = [
        s for s in activity_queries.signups_of(activity.id) if s.status is SignupStatus.CONFIRMED
    ]
    return render_pdf(
        "printables/sign_in_sheet.html",
        activity=activity,
        signups=confirmed,
        blank_lines=max(0, LINES - len(confirmed)),
        printed_at=utcnow(),
        qr_svg=Markup(checkin_qr(activity).svg_inline(scale=2, border=1)),
    )
