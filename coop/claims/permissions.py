"""Who may claim, decide and withdraw."""

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, liaison_unit_ids
from coop.auth.models import Role, User
from coop.claims.models import Claim


def can_decide_claims(actor: User | None, community: Community) -> bool:
    """The secretary approves, rejects, releases and marks claims fulfilled."""
    return can_manage_community(actor, community)


def is_volunteer_of(actor: User | None, community_id: int) -> bool:
    return actor is not None and any(
        g.community_id == community_id for g in actor.grants_of(Role.VOLUNTEER)
    )


def is_claimant(actor: User | None, claim: Claim) -> bool:
    """The unit's liaison or the volunteer herself: who may withdraw the claim."""
    if actor is None:
        return False
    if claim.unit_id is not None:
        return claim.unit_id in liaison_unit_ids(actor)
    return claim.volunteer_id == actor.id
