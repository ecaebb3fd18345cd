"""Who may claim, decide and withdraw."""

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, liaison_unit_ids, managed_community_ids
from coop.auth.models import Role, User
from coop.claims.models import Claim
from coop.people.models import Team


def can_decide_claims(actor: User | None, community: Community) -> bool:
    """The secretary approves, rejects, releases and marks claims fulfilled."""
    return can_manage_community(actor, community)


def is_volunteer_of(actor: User | None, community_id: int) -> bool:
    return actor is not None and any(
        g.community_id == community_id for g in actor.grants_of(Role.VOLUNTEER)
    )


def leads_team(actor: User | None, team: Team) -> bool:
    """She is one of the team's current leaders."""
    return actor is not None and any(
        m.user_id == actor.id and m.is_leader and m.left_on is None for m in team.members
    )


def can_claim_for_team(actor: User | None, team: Team) -> bool:
    """The team's current leader, or the staff of its community, claim for the team."""
    if actor is None:
        return False
    return leads_team(actor, team) or team.community_id in managed_community_ids(actor)


def is_claimant(actor: User | None, claim: Claim) -> bool:
    """The unit's liaison, the volunteer herself, or who may claim for the team: who may
    withdraw the claim."""
    if actor is None:
        return False
    if claim.team_id is not None:
        return can_claim_for_team(actor, claim.team)
    if claim.unit_id is not None:
        return claim.unit_id in liaison_unit_ids(actor)
    return claim.volunteer_id == actor.id
