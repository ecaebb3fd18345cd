"""Who sees and acts on suggestions, and who says which 邻里单元 a unit serves."""

from coop.alliance.models import Community, Unit
from coop.alliance.permissions import can_manage_community, liaison_unit_ids
from coop.auth.models import Role, User


def can_view_suggestions(actor: User | None, community: Community) -> bool:
    """Suggestions compare units with each other: the community's staff and its street only."""
    if can_manage_community(actor, community):
        return True
    return actor is not None and any(
        g.street_id == community.street_id for g in actor.grants_of(Role.STREET_ADMIN)
    )


def can_act_on_suggestions(actor: User | None, community: Community) -> bool:
    """The secretary invites, orders, dismisses and reruns the matching."""
    return can_manage_community(actor, community)


def can_set_served_neighbourhoods(actor: User | None, community: Community) -> bool:
    """The secretary records which 邻里单元 each unit serves in her community."""
    return can_manage_community(actor, community)


def fitting_community_ids(actor: User | None, unit: Unit) -> set[int]:
    """Where the actor may read "projects that fit" the unit: everywhere it serves for its own
    liaisons, the communities she manages for a secretary; empty for anyone else."""
    own = unit.id in liaison_unit_ids(actor)
    return {
        m.community_id for m in unit.memberships if own or can_manage_community(actor, m.community)
    }
