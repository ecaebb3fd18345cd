"""Correcting a person's details: the secretary of her community, or she herself.

Her name and phone live on her user row, her skills and party membership on her volunteer
profile, her neighbourhood and address on her resident profile. The user row's version guards
all of them: an edit that changes only a profile still bumps it (``coop.versioning.touch``).
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance.models import Community, Membership, Neighbourhood, Unit
from coop.alliance.permissions import can_view_people, managed_community_ids, require
from coop.auth.models import LOCK_USER_ROW, Role, User
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.people.errors import AlreadyAnonymised
from coop.people.models import Departure
from coop.versioning import check_version, touch

USER_FIELDS = ("display_name", "phone")
VOLUNTEER_FIELDS = ("skills", "is_party_member", "work_unit_id")
RESIDENT_FIELDS = ("neighbourhood_id", "address")
# What she corrects herself on 我的; party membership and the rest are the community's record.
OWN_FIELDS = ("display_name", "phone", "skills")
# Staff are appointed by the street admin; a secretary does not rename her colleagues.
STAFF_ROLES = (Role.STREET_ADMIN, Role.SECRETARY)


def person_community_ids(person: User) -> set[int]:
    """The communities she belongs to: those of her grants, and those her unit serves."""
    ids = {g.community_id for g in person.grants if g.community_id is not None}
    unit_ids = {g.unit_id for g in person.grants_of(Role.UNIT_LIAISON)}
    if unit_ids:
        ids.update(
            db.session.scalars(
                sa.select(Membership.community_id).where(Membership.unit_id.in_(unit_ids))
            )
        )
    return ids


def get_person(actor: User, person_id: int) -> User:
    """She herself, or one of the people of a community whose people list the actor may see.

    :raise NotFound: anyone else (another community's people are not the actor's business).
    """
    person = db.session.get(User, person_id)
    if person is None:
        raise NotFound()
    if person.id == actor.id:
        return person
    ids = person_community_ids(person)
    communities = db.session.scalars(sa.select(Community).where(Community.id.in_(ids)))
    if not any(can_view_people(actor, community) for community in communities):
        raise NotFound()
    return person


def _is_staff(person: User) -> bool:
    return any(person.has_role(role) for role in STAFF_ROLES)


def can_edit_person(actor: User | None, person: User) -> bool:
    """She corrects her own details; the secretary those of her community's volunteers,
    residents and liaisons (for a liaison, of a community her unit serves)."""
    if actor is None:
        return False
    if actor.id == person.id:
        return True
    if _is_staff(person):
        return False
    return bool(managed_community_ids(actor) & person_community_ids(person))


def editable_people(actor: User, community: Community, people: list[User]) -> set[int]:
    """Of a page of ``community``'s people list, the ids the actor may edit. Everyone on it
    belongs to the community, so can_edit_person comes down to this, with no query per row."""
    manages = community.id in managed_community_ids(actor)
    return {p.id for p in people if p.id == actor.id or (manages and not _is_staff(p))}


def detail_fields(person: User) -> tuple[str, ...]:
    """The details she has: name and phone, and the fields of the profiles she holds."""
    names = USER_FIELDS
    if getattr(person, "volunteer", None) is not None:
        names += VOLUNTEER_FIELDS
    if getattr(person, "resident", None) is not None:
        names += RESIDENT_FIELDS
    return names


def editable_fields(actor: User, person: User) -> tuple[str, ...]:
    """Which of her details the actor may change (empty when none)."""
    if not can_edit_person(actor, person):
        return ()
    names = detail_fields(person)
    if actor.id == person.id:
        return tuple(name for name in names if name in OWN_FIELDS)
    return names


def current_values(person: User) -> dict:
    """Her details as the edit form shows them (the phone unmasked: only editors see it)."""
    values = {"version": str(person.version), "display_name": person.display_name}
    values["phone"] = person.phone or ""
    if (volunteer := getattr(person, "volunteer", None)) is not None:
        values["skills"] = "，".join(volunteer.skills or [])
        values["is_party_member"] = "y" if volunteer.is_party_member else ""
        values["work_unit_id"] = str(volunteer.work_unit_id or "")
    if (resident := getattr(person, "resident", None)) is not None:
        values["neighbourhood_id"] = str(resident.neighbourhood_id or "")
        values["address"] = resident.address
    return values


def managing_community_id(actor: User, person: User) -> int | None:
    """A community of hers that the actor manages (where her row in the people list is)."""
    return min(managed_community_ids(actor) & person_community_ids(person), default=None)


def edit_person(actor: User, person_id: int, *, version: int, **changes) -> User:
    """Correct a person's name, phone and profile; she herself only her name, phone and skills.

    :raise NotFound: not the actor nor one of her community's people.
    :raise Forbidden: the actor may not edit her, or not that detail (herself: party membership).
    :raise Invalid: a detail she does not have (skills of a resident), a phone another person
        uses (re-import finds people by phone), a unit or neighbourhood that will not do.
    :raise VersionConflict: someone saved her details since ``version``.
    :raise AlreadyAnonymised: her personal data was erased (注销).
    """
    person = get_person(actor, person_id)
    require(can_edit_person(actor, person))
    has = detail_fields(person)
    foreign = [name for name in changes if name not in has]
    if foreign:
        raise Invalid(errors={name: [_("此人没有这项资料。")] for name in foreign})
    allowed = editable_fields(actor, person)
    if any(name not in allowed for name in changes):
        raise Forbidden(_("党员身份、工作单位等请联系社区工作人员修改。"))
    db.session.refresh(person, with_for_update=LOCK_USER_ROW)
    if _anonymised(person.id):  # her details were erased on purpose: none come back
        raise AlreadyAnonymised()
    check_version(person, version)
    if "phone" in changes:
        changes["phone"] = changes["phone"] or None
        _check_phone_free(person, changes["phone"])
    if changes.get("work_unit_id") is not None and not db.session.get(
        Unit, changes["work_unit_id"]
    ):
        raise Invalid(errors={"work_unit_id": [_("没有这个单位。")]})
    if changes.get("neighbourhood_id") is not None:
        neighbourhood = db.session.get(Neighbourhood, changes["neighbourhood_id"])
        if neighbourhood is None or neighbourhood.community_id != person.resident.community_id:
            raise Invalid(errors={"neighbourhood_id": [_("请选择本社区的邻里单元。")]})
    # One flush, so one UPDATE of her row: a profile loaded mid-way must not flush it first.
    with db.session.no_autoflush:
        for name, value in changes.items():
            if name in VOLUNTEER_FIELDS:
                setattr(person.volunteer, name, value)
            elif name in RESIDENT_FIELDS:
                setattr(person.resident, name, value)
            else:
                setattr(person, name, value)
        if changes:
            touch(person, "display_name")  # a profile-only change still bumps her version
    db.session.flush()
    return person


def _anonymised(user_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(Departure.user_id == user_id, Departure.anonymised_at.isnot(None))
            )
        )
    )


def _check_phone_free(person: User, phone: str | None) -> None:
    """:raise Invalid: another person has this phone; re-importing a sheet would not know whom
    a row means."""
    if phone is None:
        return
    taken = sa.select(User.id).where(User.phone == phone, User.id != person.id)
    if db.session.scalar(taken) is not None:
        raise Invalid(errors={"phone": [_("该手机号已登记在另一人名下。")]})
