"""六个一 report: a term's plan, each item against its target, with its evidence and the photos
of the activities given as evidence, as an A4 PDF."""

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.documents.pdf import render_pdf
from coop.errors import NotFound
from coop.printables.ledger import photos_as_data
from coop.terms import permissions as term_permissions
from coop.terms import queries as term_queries
from coop.terms.models import EvidenceType
from coop.timeutil import local_today

PHOTOS_PER_EVIDENCE = 4  # a report, not an album: the rest are on the activity's page


def term_report(actor: User, term_id: int) -> bytes:
    """The term's 六个一 report (the community's staff).

    :raise NotFound: not a term of the actor's communities, or one without a plan.
    :raise Forbidden: not its community's staff.
    """
    term = term_queries.get_term(actor, term_id)
    community_id = term_queries.community_id_of(term)
    require(term_permissions.can_manage_term(actor, community_id))
    plan = term_queries.plan_of(term.id)
    if plan is None:
        raise NotFound()
    view = term_queries.plan_view(term, plan)
    activity_ids = [
        e["evidence_id"]
        for item in view["items"]
        for e in item["evidence"]
        if e["evidence_type"] is EvidenceType.ACTIVITY
    ]
    photos = {
        activity_id: shots[:PHOTOS_PER_EVIDENCE]
        for activity_id, shots in photos_as_data(activity_ids).items()
    }
    return render_pdf(
        "printables/term_report.html",
        term=term,
        community=alliance_queries.get_community(actor, community_id),
        plan=view,
        deputy=term_queries.deputy_of(term.id),
        photos=photos,
        activity_type=EvidenceType.ACTIVITY,
        today=local_today(),
    )
