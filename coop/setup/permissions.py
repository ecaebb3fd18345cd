"""Who may set up what: the street admin, within her street only."""

from coop.alliance.models import Community
from coop.auth.models import Role, User


def administered_street_ids(actor: User | None) -> set[int]:
    """The streets the actor administers, as ids (no query: the grants say it)."""
    return {g.street_id for g in actor.grants_of(Role.STREET_ADMIN)} if actor else set()


def can_administer_street(actor: User | None, street_id: int) -> bool:
    return street_id in administered_street_ids(actor)


def can_set_up_community(actor: User | None, community: Community) -> bool:
    """Communities, their neighbourhoods and their staff are set up by their street's admin;
    a secretary cannot appoint or remove staff, her own community's either."""
    return can_administer_street(actor, community.street_id)
