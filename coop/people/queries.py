"""Named reads of a community's people, for those allowed to see personal data."""

import sqlalchemy as sa

from coop.alliance import permissions, queries
from coop.alliance.models import Membership
from coop.auth.models import Role, RoleGrant, User


def member_ids(community_id: int, *, role: Role | None = None) -> sa.Select:
    """Ids of the community's people: its staff, volunteers and residents, its units' liaisons."""
    in_community = sa.or_(
        RoleGrant.community_id == community_id,
        RoleGrant.unit_id.in_(
            sa.select(Membership.unit_id).where(Membership.community_id == community_id)
        ),
    )
    grants = sa.select(RoleGrant.user_id).where(in_community)
    if role is not None:
        grants = grants.where(RoleGrant.role == role)
    return grants


def people_select(
    actor: User,
    community_id: int,
    *,
    role: Role | None = None,
    q: str = "",
    active: bool | None = None,
):
    """People of the community: its staff, volunteers and residents, and its units' liaisons;
    ``active`` False for those who left (停用), True for the others, None for all.

    :raise NotFound: not the actor's community. :raise Forbidden: she may not see its people.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_view_people(actor, community))
    query = sa.select(User).where(User.id.in_(member_ids(community.id, role=role)))
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if q:
        query = query.where(
            sa.or_(
                User.display_name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
            )
        )
    return query.order_by(User.display_name, User.id)
