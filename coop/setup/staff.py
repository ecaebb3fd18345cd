"""Appointing and removing a community's 社区书记 and 社区工作者, and the street's admins.

Both community posts are the ``secretary`` grant (the same powers); its ``title`` tells them
apart. A person is appointed by phone: whoever has that phone gets the grant; otherwise she is
added without a password and gets an invitation code, shown once.
"""

from datetime import datetime

import sqlalchemy as sa

from coop.alliance.models import Street
from coop.alliance.permissions import require
from coop.auth.models import Role, RoleGrant, StaffTitle, User
from coop.errors import NotFound
from coop.extensions import db
from coop.setup import errors, permissions, queries
from coop.setup.people import Person, find_or_invite
from coop.setup.service import community_to_set_up, street_for


def appoint_staff(
    actor: User,
    community_id: int,
    *,
    title: StaffTitle,
    phone: str,
    now: datetime,
    display_name: str = "",
    username: str | None = None,
) -> tuple[RoleGrant, Person]:
    """The street admin appoints a 社区书记 or 社区工作者 of a community in her street.

    :raise NotFound: not a community of her street. :raise Forbidden: she is no street admin.
    :raise AlreadyAppointed: the person already works for this community.
    :raise SecretaryTaken: a 社区书记 is wanted and the community has one.
    :raise Invalid: a new person without a name, a taken username, an ambiguous phone.
    """
    community = community_to_set_up(actor, community_id)
    # The community's row lock: two appointments to it are decided one after the other.
    db.session.refresh(community, with_for_update=True)
    person = find_or_invite(
        actor, phone=phone, display_name=display_name, username=username, now=now
    )
    user = person.user
    if any(g.role is Role.SECRETARY and g.community_id == community.id for g in user.grants):
        raise errors.AlreadyAppointed()
    if title is StaffTitle.SECRETARY:
        incumbent = queries.community_secretary(community.id)
        if incumbent is not None:
            raise errors.SecretaryTaken(incumbent.display_name)
    grant = RoleGrant(role=Role.SECRETARY, community_id=community.id, title=title)
    user.grants.append(grant)
    db.session.flush()
    return grant, person


def staff_grant(actor: User, community_id: int, grant_id: int) -> RoleGrant:
    """One of the community's staff grants. :raise NotFound: not one of them."""
    community = community_to_set_up(actor, community_id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.role is not Role.SECRETARY or grant.community_id != community.id:
        raise NotFound()
    return grant


def remove_staff(actor: User, community_id: int, grant_id: int) -> RoleGrant:
    """She no longer works for the community: the grant goes, with its powers, at once.

    :raise NotFound: not a staff grant of this community in her street.
    """
    grant = staff_grant(actor, community_id, grant_id)
    grant.user.grants.remove(grant)
    db.session.flush()
    return grant


def appoint_street_admin(
    actor: User,
    street_id: int,
    *,
    phone: str,
    now: datetime,
    display_name: str = "",
    username: str | None = None,
) -> tuple[RoleGrant, Person]:
    """A street admin appoints another admin of her street.

    :raise AlreadyAppointed: the person is an admin of this street already.
    """
    street_id = street_for(actor, street_id)
    person = find_or_invite(
        actor, phone=phone, display_name=display_name, username=username, now=now
    )
    user = person.user
    if any(g.role is Role.STREET_ADMIN and g.street_id == street_id for g in user.grants):
        raise errors.AlreadyAppointed()
    grant = RoleGrant(role=Role.STREET_ADMIN, street_id=street_id)
    user.grants.append(grant)
    db.session.flush()
    return grant, person


def street_admin_grant(actor: User, grant_id: int) -> RoleGrant:
    """An admin grant of one of the actor's streets. :raise NotFound: not one of them."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.role is not Role.STREET_ADMIN:
        raise NotFound()
    require(bool(permissions.administered_street_ids(actor)))
    if not permissions.can_administer_street(actor, grant.street_id):
        raise NotFound()
    return grant


def remove_street_admin(actor: User, grant_id: int) -> RoleGrant:
    """An admin of the street steps down or is removed; the street always keeps one.

    :raise LastStreetAdmin: she is the street's last active admin (the actor included).
    """
    grant = street_admin_grant(actor, grant_id)
    # The street's row lock: two admins removing each other are decided one after the other.
    db.session.get(Street, grant.street_id, with_for_update=True)
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(
            RoleGrant.role == Role.STREET_ADMIN,
            RoleGrant.street_id == grant.street_id,
            RoleGrant.id != grant.id,
            User.is_active.is_(True),
        )
    )
    if not others:
        raise errors.LastStreetAdmin()
    grant.user.grants.remove(grant)
    db.session.flush()
    return grant
