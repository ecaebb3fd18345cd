"""Named reads of a community's people, for those allowed to see personal data."""

import sqlalchemy as sa

from coop.alliance import permissions, queries
from coop.alliance.models import Membership
from coop.auth.models import Role, RoleGrant, User


def _its_units(community_id: int) -> sa.Select:
    return sa.select(Membership.unit_id).where(Membership.community_id == community_id)


def _grant_in(community_id: int) -> sa.ColumnElement[bool]:
    """A grant in the community itself, or of one of its units (a liaison)."""
    return sa.or_(
        RoleGrant.community_id == community_id, RoleGrant.unit_id.in_(_its_units(community_id))
    )


def member_ids(community_id: int, *, role: Role | None = None) -> sa.Select:
    """Ids of the community's people: its staff, volunteers and residents, its units' liaisons."""
    grants = sa.select(RoleGrant.user_id).where(_grant_in(community_id))
    if role is not None:
        grants = grants.where(RoleGrant.role == role)
    return grants


def is_member(community_id: int, *, role: Role | None = None) -> sa.Exists:
    """``User`` holds a grant in the community (as member_ids says), asked per user: the
    people list walks users in name order and stops at its page instead of sorting everyone."""
    grant = sa.select(RoleGrant.id).where(RoleGrant.user_id == User.id, _grant_in(community_id))
    if role is not None:
        grant = grant.where(RoleGrant.role == role)
    return grant.exists()


def member_count(
    community_id: int, *, role: Role | None = None, active: bool | None = None
) -> sa.Select:
    """How many people member_ids holds (``active`` as people_select takes it), counted on the
    grants (an index-only scan) less the few who left (a partial index holds them), never by
    reading every member's row."""
    if active is False:
        return sa.select(sa.func.count()).where(
            is_member(community_id, role=role), User.is_active.is_(False)
        )
    # _grant_in's two halves apart: each is an index scan, their OR is not
    mine = sa.select(RoleGrant.user_id).where(RoleGrant.community_id == community_id)
    units = sa.select(RoleGrant.user_id).where(RoleGrant.unit_id.in_(_its_units(community_id)))
    if role is not None:
        mine, units = mine.where(RoleGrant.role == role), units.where(RoleGrant.role == role)
    everyone = sa.select(sa.func.count()).select_from(sa.union(mine, units).subquery())
    if active is None:
        return everyone
    left = member_count(community_id, role=role, active=False).scalar_subquery()
    return sa.select(everyone.scalar_subquery() - left)


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
    query = (
        sa.select(User)
        .where(is_member(community.id, role=role))
        .options(sa.orm.selectinload(User.grants), sa.orm.selectinload(User.volunteer))
    )
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
