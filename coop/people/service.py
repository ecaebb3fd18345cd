"""Adding people to a community: unit liaisons, volunteers and residents."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import permissions, queries
from coop.alliance.models import Membership, Neighbourhood, Unit
from coop.auth.models import Role, RoleGrant, User
from coop.errors import Invalid
from coop.extensions import db
from coop.people.models import ResidentProfile, VolunteerProfile

PERSON_ROLES = (Role.VOLUNTEER, Role.RESIDENT, Role.UNIT_LIAISON)


def add_person(
    actor: User,
    community_id: int,
    *,
    role: Role,
    username: str,
    display_name: str,
    password: str,
    joined_on: date,
    phone: str = "",
    unit_id: int | None = None,
    is_party_member: bool = False,
    work_unit_id: int | None = None,
    skills: list[str] | None = None,
    neighbourhood_id: int | None = None,
    address: str = "",
) -> User:
    """The secretary adds a volunteer, a resident or the liaison of one of her alliance's units.

    :raise Forbidden: the actor does not manage the community.
    :raise Invalid: the username is taken, or the unit/neighbourhood is not this community's.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    if role not in PERSON_ROLES:
        raise Invalid(errors={"role": [_("请从给定的选项中选择。")]})
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Invalid(errors={"username": [_("该用户名已被使用，请换一个。")]})
    user = User(username=username, display_name=display_name, phone=phone or None)
    user.set_password(password)
    db.session.add(user)

    if role is Role.UNIT_LIAISON:
        serves = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.unit_id == unit_id, Membership.community_id == community.id
            )
        )
        if unit_id is None or serves is None:
            raise Invalid(errors={"unit_id": [_("请选择本社区联盟中的单位。")]})
        user.grants.append(RoleGrant(role=role, unit_id=unit_id))
    elif role is Role.VOLUNTEER:
        if work_unit_id is not None and db.session.get(Unit, work_unit_id) is None:
            raise Invalid(errors={"work_unit_id": [_("没有这个单位。")]})
        user.grants.append(RoleGrant(role=role, community_id=community.id))
        db.session.add(
            VolunteerProfile(
                user=user,
                home_community_id=community.id,
                work_unit_id=work_unit_id,
                is_party_member=is_party_member,
                skills=skills or [],
                joined_on=joined_on,
            )
        )
    else:
        if neighbourhood_id is not None:
            neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
            if neighbourhood is None or neighbourhood.community_id != community.id:
                raise Invalid(errors={"neighbourhood_id": [_("请选择本社区的邻里单元。")]})
        user.grants.append(RoleGrant(role=role, community_id=community.id))
        db.session.add(
            ResidentProfile(
                user=user,
                community_id=community.id,
                neighbourhood_id=neighbourhood_id,
                address=address,
            )
        )
    db.session.flush()
    return user
