"""Who may see and change what in the tenancy. Every entry point reaches these rules."""

import sqlalchemy as sa

from coop.alliance.models import Community, Membership, Unit
from coop.auth.models import Role, User
from coop.errors import Forbidden
from coop.extensions import db
from coop.memo import per_request


def visible_community_ids(actor: User | None) -> set[int]:
    """Communities the actor belongs to: her street's, her community, or those her unit serves.
    Worked out once per request (a page asks per list, per row, per permission); a new set
    each call, so a caller may narrow it in place."""
    if actor is None:
        return set()
    memo = per_request()
    key = ("visible_community_ids", actor.id)
    if memo is not None and key in memo:
        return set(memo[key])
    ids: set[int] = set()
    for grant in actor.grants:
        if grant.role is Role.STREET_ADMIN:
            ids.update(
                db.session.scalars(
                    sa.select(Community.id).where(Community.street_id == grant.street_id)
                )
            )
        elif grant.role is Role.UNIT_LIAISON:
            ids.update(
                db.session.scalars(
                    sa.select(Membership.community_id).where(Membership.unit_id == grant.unit_id)
                )
            )
        else:
            ids.add(grant.community_id)
    if memo is not None:
        memo[key] = frozenset(ids)
    return ids


def liaison_unit_ids(actor: User | None) -> set[int]:
    return {g.unit_id for g in actor.grants_of(Role.UNIT_LIAISON)} if actor else set()


def can_view_community(actor: User | None, community: Community) -> bool:
    return community.id in visible_community_ids(actor)


def managed_community_ids(actor: User | None) -> set[int]:
    """The communities the actor manages, as ids (no query: the grants say it)."""
    return {g.community_id for g in actor.grants_of(Role.SECRETARY)} if actor else set()


def can_manage_community(actor: User | None, community: Community) -> bool:
    """Secretaries (and staff holding the same grant) manage their own community only."""
    return community.id in managed_community_ids(actor)


def can_view_people(actor: User | None, community: Community) -> bool:
    """The people list carries personal data: the community's staff and its street only."""
    if can_manage_community(actor, community):
        return True
    return actor is not None and any(
        g.street_id == community.street_id for g in actor.grants_of(Role.STREET_ADMIN)
    )


def can_view_unit(actor: User | None, unit: Unit) -> bool:
    if unit.id in liaison_unit_ids(actor):
        return True
    visible = visible_community_ids(actor)
    return any(m.community_id in visible for m in unit.memberships)


def can_edit_unit(actor: User | None, unit: Unit) -> bool:
    """The unit's own liaison, and the secretary of a community it serves, correct its details."""
    if unit.id in liaison_unit_ids(actor):
        return True
    managed = managed_community_ids(actor)
    return any(m.community_id in managed for m in unit.memberships)


def require(allowed: bool) -> None:
    """:raise Forbidden: unless ``allowed``."""
    if not allowed:
        raise Forbidden()


def can_compare_communities(actor: User | None, street_id: int) -> bool:
    """The street's admins compare its communities' figures side by side."""
    return actor is not None and any(
        g.street_id == street_id for g in actor.grants_of(Role.STREET_ADMIN)
    )
