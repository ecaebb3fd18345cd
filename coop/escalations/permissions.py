"""Who raises a need to the street, who handles it there, and who follows it."""

from coop.auth.models import Role, User
from coop.escalations.models import Escalation
from coop.needs import permissions as need_permissions
from coop.needs.models import Need


def street_ids(actor: User | None) -> set[int]:
    """The streets the actor administers (no query: the grants say it)."""
    return {g.street_id for g in actor.grants_of(Role.STREET_ADMIN)} if actor else set()


def can_manage_departments(actor: User | None, street_id: int) -> bool:
    """The street admin keeps her street's list of departments."""
    return street_id in street_ids(actor)


def can_escalate(actor: User | None, need: Need) -> bool:
    """The community's secretary (or staff) raises its need to the street."""
    return need_permissions.can_manage_needs(actor, need.community)


def can_handle(actor: User | None, escalation: Escalation) -> bool:
    """The admins of the community's street assign, record, resolve and return it."""
    return escalation.community.street_id in street_ids(actor)


def can_follow(actor: User | None, need: Need) -> bool:
    """Who reads the 街道协同处置 section of a need: its community's staff, its street, and the
    resident who raised the need."""
    return need_permissions.can_see_all_needs(actor, need.community) or (
        need_permissions.is_requester(actor, need)
    )
