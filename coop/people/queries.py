"""Named reads of a community's people, for those allowed to see personal data."""

import sqlalchemy as sa

from coop.alliance import permissions, queries
from coop.alliance.models import Membership
from coop.auth.models import Role, RoleGrant, User


def people_select(actor: User, community_id: int, *, role: Role | None = None, q: str = ""):
    """People of the community: its staff, volunteers and residents, and its units' liaisons.

    :raise NotFound: not the actor's community. :raise Forbidden: she may not see its people.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_view_people(actor, community))
    in_community = sa.or_(
        RoleGrant.community_id == community.id,
        RoleGrant.unit_id.in_(
            sa.select(Membership.unit_id).where(Membership.community_id == community.id)
        ),
    )
    grants = sa.select(RoleGrant.user_id).where(in_community)
    if role is not None:
        grants = grants.where(RoleGrant.role == role)
    query = sa.select(User).where(User.id.in_(grants))
    if q:
        query = query.where(
            sa.or_(
                User.display_name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
            )
        )
    return query.order_by(User.display_name, User.id)
