"""Who nominates (the community's secretary), who decides (the street's admins) and who sees
honours (everyone of the community; approved ones are public on the 公示栏)."""

from coop.alliance.models import Community
from coop.alliance.permissions import managed_community_ids, require, visible_community_ids
from coop.auth.models import Role, User

__all__ = ["can_decide", "can_nominate", "can_view_honours", "require"]


def can_view_honours(actor: User | None, community: Community) -> bool:
    """The community's people and its street see its nominations and the 先锋指数."""
    return community.id in visible_community_ids(actor)


def can_nominate(actor: User | None, community: Community) -> bool:
    """The community's secretary (or staff) nominates, and sets the 先锋指数 weights."""
    return community.id in managed_community_ids(actor)


def can_decide(actor: User | None, community: Community) -> bool:
    """The street's admins approve, send back and revoke the honours of its communities."""
    return actor is not None and any(
        g.street_id == community.street_id for g in actor.grants_of(Role.STREET_ADMIN)
    )


def can_decide_for_street(actor: User | None, street_id: int) -> bool:
    return actor is not None and any(
        g.street_id == street_id for g in actor.grants_of(Role.STREET_ADMIN)
    )
