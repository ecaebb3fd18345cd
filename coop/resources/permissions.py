"""Who may offer, list and see resources."""

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, liaison_unit_ids
from coop.auth.models import User
from coop.resources.models import Resource


def can_offer_for(actor: User | None, unit_id: int, community: Community) -> bool:
    """A unit's liaison offers its resources; the secretary may record them on its behalf."""
    return unit_id in liaison_unit_ids(actor) or can_manage_community(actor, community)


def can_review_resources(actor: User | None, community: Community) -> bool:
    """The secretary lists a resource or sends it back."""
    return can_manage_community(actor, community)


def is_owner(actor: User | None, resource: Resource) -> bool:
    return resource.unit_id in liaison_unit_ids(actor)
