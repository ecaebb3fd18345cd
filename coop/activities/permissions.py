"""Who organises activities and who takes part."""

from coop.activities.models import Activity, ActivityStatus
from coop.alliance.permissions import can_manage_community, liaison_unit_ids
from coop.auth.models import Role, User
from coop.extensions import db
from coop.projects.models import Project


def _leads(actor: User | None, project: Project | None) -> bool:
    if project is None or project.lead_claim_id is None:
        return False
    from coop.claims.models import Claim

    lead = db.session.get(Claim, project.lead_claim_id)
    return lead is not None and lead.unit_id in liaison_unit_ids(actor)


def can_organise(actor: User | None, community, project: Project | None = None) -> bool:
    """The secretary, or the liaison of the project's lead unit, schedules and runs sessions."""
    return can_manage_community(actor, community) or _leads(actor, project)


def can_run(actor: User | None, activity: Activity) -> bool:
    """Who sees the check-in code and checks volunteers in on their behalf."""
    return can_organise(actor, activity.community, activity.project)


def is_volunteer_of(actor: User | None, community_id: int) -> bool:
    return actor is not None and any(
        g.community_id == community_id for g in actor.grants_of(Role.VOLUNTEER)
    )


def can_edit_activity(actor: User | None, activity: Activity, now) -> bool:
    """Its organisers change a session until it starts, unless it was called off."""
    return (
        can_run(actor, activity)
        and activity.status is ActivityStatus.SCHEDULED
        and now < activity.starts_at
    )
