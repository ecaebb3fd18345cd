"""Who may see and handle needs."""

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, can_view_people
from coop.auth.models import Role, User
from coop.needs.models import Need, NeedStatus

PUBLIC_STATUSES = (NeedStatus.LISTED, NeedStatus.IN_PROJECT, NeedStatus.RESOLVED)


def can_manage_needs(actor: User | None, community: Community) -> bool:
    """The community's secretary records, lists, rejects, resolves and closes its needs."""
    return can_manage_community(actor, community)


def can_see_all_needs(actor: User | None, community: Community) -> bool:
    """Staff and the street see every need; others see the public list and their own."""
    return can_view_people(actor, community)


def can_reveal_requester(actor: User | None, need: Need) -> bool:
    """Only the community's staff may see a requester's full phone and address, with a reason."""
    return can_manage_community(actor, need.community)


def can_submit_need(actor: User | None, community: Community) -> bool:
    """A resident (or volunteer) of the community raises her own need."""
    return actor is not None and any(
        g.community_id == community.id
        for g in actor.grants
        if g.role in (Role.RESIDENT, Role.VOLUNTEER)
    )


def is_requester(actor: User | None, need: Need) -> bool:
    return actor is not None and need.requester_id == actor.id
