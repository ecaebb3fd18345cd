"""Who sees the alliance's meetings and who runs them. Pages show forms only where these allow;
the service raises on the same predicates."""

from coop.alliance.permissions import managed_community_ids, require, visible_community_ids
from coop.auth.models import Role, User

__all__ = ["can_manage_meetings", "can_view_meetings", "liaison_unit_ids", "require"]


def can_view_meetings(actor: User | None, community_id: int) -> bool:
    """Everyone of the community (its staff, its units' liaisons, its street) sees the meetings."""
    return community_id in visible_community_ids(actor)


def can_manage_meetings(actor: User | None, community_id: int) -> bool:
    """The community's secretary schedules, takes attendance, minutes and runs the 推选."""
    return community_id in managed_community_ids(actor)


def liaison_unit_ids(actor: User | None) -> set[int]:
    """The units the actor signs in for at the door."""
    if actor is None:
        return set()
    return {g.unit_id for g in actor.grants_of(Role.UNIT_LIAISON) if g.unit_id is not None}
