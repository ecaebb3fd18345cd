"""Adding people to a community: unit liaisons, volunteers and residents, and their invitations.

Nobody is given a password: a person added by staff gets a one-time invitation code
(``coop.auth.invitations``) with which she sets her own. She signs in with her phone number as
her username when she has one; otherwise with a generated ``u`` and eight digits.
"""

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import permissions, queries
from coop.alliance.models import Membership, Neighbourhood, Unit
from coop.auth import invitations
from coop.auth.models import NO_PASSWORD, Role, RoleGrant, User
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.people import queries as people_queries
from coop.people.models import ResidentProfile, VolunteerProfile

PERSON_ROLES = (Role.VOLUNTEER, Role.RESIDENT, Role.UNIT_LIAISON)
# Whoever holds one of these is staff: her invitations come from whoever appointed her.
STAFF_ROLES = (Role.STREET_ADMIN, Role.SECRETARY)


class Added(NamedTuple):
    person: User
    code: str  # her invitation, shown once as ABCD-EFGH


def taken_usernames(candidates: Iterable[str]) -> set[str]:
    """Which of these usernames are in use (a query per thousand)."""
    wanted, taken = list(dict.fromkeys(candidates)), set()
    for start in range(0, len(wanted), 1000):
        taken.update(
            db.session.scalars(
                sa.select(User.username).where(User.username.in_(wanted[start : start + 1000]))
            )
        )
    return taken


def generated_username(taken: set[str]) -> str:
    """``u`` and eight digits, none of ``taken`` (the caller adds it there)."""
    while True:
        name = f"u{secrets.randbelow(10**8):08d}"
        if name not in taken and not taken_usernames([name]):
            return name


def users_by_phone(phones: Iterable[str]) -> dict[str, list[User]]:
    """Everyone holding each of these phone numbers (a query per thousand)."""
    wanted, found = list(dict.fromkeys(phones)), {}
    for start in range(0, len(wanted), 1000):
        for user in db.session.scalars(
            sa.select(User).where(User.phone.in_(wanted[start : start + 1000])).order_by(User.id)
        ):
            found.setdefault(user.phone, []).append(user)
    return found


def add_person(
    actor: User,
    community_id: int,
    *,
    role: Role,
    display_name: str,
    joined_on: date,
    username: str = "",
    phone: str = "",
    unit_id: int | None = None,
    is_party_member: bool = False,
    work_unit_id: int | None = None,
    skills: list[str] | None = None,
    neighbourhood_id: int | None = None,
    address: str = "",
    now: datetime | None = None,
) -> Added:
    """The secretary adds a volunteer, a resident or the liaison of one of her alliance's units;
    she has no password, and an invitation code (returned, shown once) to set her own. Without a
    username she signs in with her phone number, or a generated one.

    :raise Forbidden: the actor does not manage the community.
    :raise Invalid: the username is taken, the phone already has an account (an import matches
        people by phone instead), or the unit/neighbourhood is not this community's.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    if role not in PERSON_ROLES:
        raise Invalid(errors={"role": [_("请从给定的选项中选择。")]})
    if phone and users_by_phone([phone]):
        raise Invalid(errors={"phone": [_("该手机号已有账号，不能重复添加。")]})
    if username and taken_usernames([username]):
        raise Invalid(errors={"username": [_("该用户名已被使用，请换一个。")]})
    if not username:
        username = phone if phone and not taken_usernames([phone]) else ""
        username = username or generated_username(set())
    user = User(username=username, display_name=display_name, phone=phone or None)
    invitations.without_password(user)
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
    return Added(user, invitations.issue_invitation(user, by=actor, now=now or utcnow()))


def _invitable(actor: User, community_id: int, user_ids: list[int]) -> list[User]:
    """These people, each one of the community's (NotFound otherwise) and not staff (Forbidden:
    a secretary cannot take over a colleague's account with a code)."""
    if not user_ids:
        return []
    people = {
        person.id: person
        for person in db.session.scalars(
            sa.select(User).where(
                User.id.in_(
                    people_queries.people_select(actor, community_id)
                    .where(User.id.in_(user_ids))
                    .with_only_columns(User.id)
                    .order_by(None)
                )
            )
        )
    }
    if set(user_ids) - set(people):
        raise NotFound()
    if any(any(g.role in STAFF_ROLES for g in p.grants) for p in people.values()):
        raise Forbidden(_("工作人员的邀请码由任命她的人发放。"))
    return [people[user_id] for user_id in dict.fromkeys(user_ids)]


def invitable_person(actor: User, community_id: int, user_id: int) -> User:
    """One of the community's people whose invitations the actor issues.

    :raise NotFound: not one of the community's people. :raise Forbidden: the actor does not
        manage the community, or the person is staff.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    [person] = _invitable(actor, community.id, [user_id])
    return person


def reissue_invitation(actor: User, community_id: int, user_id: int, *, now: datetime) -> Added:
    """A new code for one of the community's people who has not set her password yet or has
    forgotten it; her earlier code stops working (she keeps her password until she uses it).

    :raise NotFound: not one of the community's people. :raise Forbidden: the actor does not
        manage the community, or the person is staff. :raise Invalid: she has been deactivated.
    """
    person = invitable_person(actor, community_id, user_id)
    if not person.is_active:
        raise Invalid(_("此人已停用，不能生成邀请码。"))
    return Added(person, invitations.issue_invitation(person, by=actor, now=now))


class Printed(NamedTuple):
    sheets: list[Added]  # in the order asked for
    skipped: list[User]  # they have set their own password (or were deactivated): no new code


def print_invitations(
    actor: User, community_id: int, user_ids: list[int] | None, *, now: datetime
) -> Printed:
    """Fresh codes for a printed list: for these people (None: everyone of the community who has
    not set a password yet, staff aside), each one's earlier code revoked. Those who have set
    their own password are left out: a code on paper would let whoever holds it take over her
    account; a forgotten password is ``reissue_invitation``, one person at a time.

    :raise NotFound, Forbidden: as reissue_invitation.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    if user_ids is None:
        staff = sa.select(RoleGrant.user_id).where(RoleGrant.role.in_(STAFF_ROLES))
        user_ids = list(
            db.session.scalars(
                people_queries.people_select(actor, community.id)
                .where(User.password_hash == NO_PASSWORD, User.id.not_in(staff))
                .with_only_columns(User.id)
                .order_by(None)
                .order_by(User.display_name, User.id)
            )
        )
    people = _invitable(actor, community.id, user_ids)
    wanted = [p for p in people if p.is_active and not invitations.has_password(p)]
    codes = invitations.issue_invitations(wanted, by=actor, now=now)
    return Printed([Added(p, codes[p.id]) for p in wanted], [p for p in people if p not in wanted])
