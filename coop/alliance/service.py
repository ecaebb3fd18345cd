"""Changing the tenancy: units joining the alliance and their 《共驻共建协议书》."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import errors, permissions, queries
from coop.alliance.models import (
    MAX_COMMUNITIES_PER_UNIT,
    Agreement,
    Membership,
    Unit,
    UnitKind,
)
from coop.auth.models import User
from coop.errors import Invalid
from coop.extensions import db
from coop.versioning import check_version


def add_unit(
    actor: User,
    community_id: int,
    *,
    name: str,
    kind: UnitKind,
    joined_on: date,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    description: str = "",
) -> Unit:
    """A new partner unit joins the secretary's community alliance.

    :raise NotFound: the community is not the actor's. :raise Forbidden: she does not manage it.
    :raise UnitNameTaken: a unit of that name exists (link it instead).
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    name = name.strip()
    if db.session.scalar(sa.select(Unit.id).where(Unit.name == name)) is not None:
        raise errors.UnitNameTaken()
    unit = Unit(
        name=name,
        kind=kind,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        description=description,
    )
    db.session.add(unit)
    db.session.add(Membership(unit=unit, community_id=community.id, joined_on=joined_on))
    db.session.flush()
    return unit


def edit_unit(actor: User, unit_id: int, *, version: int, **changes) -> Unit:
    """The unit's liaison or the secretary of a community it serves corrects its details.

    :raise NotFound: the unit serves none of the actor's communities.
    :raise Forbidden: she may see it but not edit it. :raise VersionConflict: saved since.
    :raise UnitNameTaken: another unit has that name.
    """
    unit = queries.get_unit(actor, unit_id)
    permissions.require(permissions.can_edit_unit(actor, unit))
    db.session.refresh(unit, with_for_update=True)
    check_version(unit, version)
    if "name" in changes:
        taken = sa.select(Unit.id).where(Unit.name == changes["name"], Unit.id != unit.id)
        if db.session.scalar(taken) is not None:
            raise errors.UnitNameTaken()
    for name, value in changes.items():
        setattr(unit, name, value)
    db.session.flush()
    return unit


def link_unit(actor: User, community_id: int, unit_id: int, *, joined_on: date) -> Membership:
    """An existing unit also serves this community (双报到: at most three communities).

    :raise TooManyCommunities: the unit already serves three.
    :raise AlreadyMember: it serves this one already.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    # The unit's row lock serialises concurrent links, so the cap holds under concurrency.
    unit = db.session.get(Unit, unit_id, with_for_update=True)
    if unit is None:
        raise Invalid(errors={"unit_id": [_("没有这个单位。")]})
    memberships = queries.memberships_of(unit.id)
    if any(m.community_id == community.id for m in memberships):
        raise errors.AlreadyMember()
    if len(memberships) >= MAX_COMMUNITIES_PER_UNIT:
        raise errors.TooManyCommunities()
    membership = Membership(unit_id=unit.id, community_id=community.id, joined_on=joined_on)
    db.session.add(membership)
    db.session.flush()
    return membership


def record_agreement(
    actor: User,
    community_id: int,
    unit_id: int,
    *,
    signed_on: date,
    starts_on: date,
    ends_on: date,
    scope: str,
) -> Agreement:
    """Record a signed agreement; its period may not overlap another not-ended one.

    :raise NotAMember: the unit is not in this community's alliance.
    :raise AgreementOverlaps: the period overlaps an agreement that has not been ended.
    """
    community = queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    membership = db.session.scalar(
        sa.select(Membership)
        .where(Membership.unit_id == unit_id, Membership.community_id == community.id)
        .with_for_update()
    )
    if membership is None:
        raise errors.NotAMember()
    if ends_on <= starts_on:
        raise Invalid(errors={"ends_on": [_("到期日期必须晚于生效日期。")]})
    for other in queries.agreements_between(unit_id, community.id):
        if other.starts_on <= ends_on and starts_on <= other.last_day():
            raise errors.AgreementOverlaps()
    agreement = Agreement(
        unit_id=unit_id,
        community_id=community.id,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        scope=scope.strip(),
    )
    db.session.add(agreement)
    db.session.flush()
    return agreement


def check_end_date_editable(agreement: Agreement) -> None:
    """:raise AgreementAlreadyEnded: it was ended early; its end date is history."""
    if agreement.ended_on is not None:
        raise errors.AgreementAlreadyEnded(_("该协议已提前终止，不能再修改到期日期。"))


def edit_agreement(actor: User, agreement_id: int, *, version: int, **changes) -> Agreement:
    """The secretary corrects when an agreement runs out, by the rules it was recorded under:
    after its start, and not overlapping the unit's other agreements here that were not ended
    early. Whether the unit may claim follows from the dates, as always.

    :raise AgreementAlreadyEnded: it was ended early; its end date is history.
    :raise AgreementOverlaps: the new period reaches into another agreement.
    :raise Invalid: it would end on or before its start. :raise VersionConflict: saved since.
    """
    agreement = queries.get_agreement(actor, agreement_id)
    community = queries.get_community(actor, agreement.community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    # The membership's row lock, as in record_agreement: one overlap check at a time per pair.
    db.session.execute(
        sa.select(Membership.id)
        .where(Membership.unit_id == agreement.unit_id, Membership.community_id == community.id)
        .with_for_update()
    )
    db.session.refresh(agreement, with_for_update=True)
    check_end_date_editable(agreement)
    check_version(agreement, version)
    ends_on = changes.get("ends_on", agreement.ends_on)
    if ends_on <= agreement.starts_on:
        raise Invalid(errors={"ends_on": [_("到期日期必须晚于生效日期。")]})
    for other in queries.agreements_between(agreement.unit_id, community.id):
        if other.id != agreement.id and (
            other.starts_on <= ends_on and agreement.starts_on <= other.last_day()
        ):
            raise errors.AgreementOverlaps()
    agreement.ends_on = ends_on
    db.session.flush()
    return agreement


def end_agreement(actor: User, agreement_id: int, *, ended_on: date, reason: str) -> Agreement:
    """End an agreement early, with a reason. The unit can no longer claim from that day.

    :raise AgreementAlreadyEnded: it was ended before or has run out.
    """
    agreement = queries.get_agreement(actor, agreement_id)
    community = queries.get_community(actor, agreement.community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    db.session.refresh(agreement, with_for_update=True)
    if agreement.ended_on is not None or ended_on > agreement.ends_on:
        raise errors.AgreementAlreadyEnded()
    if ended_on < agreement.starts_on:
        raise Invalid(errors={"ended_on": [_("终止日期不能早于协议生效日期。")]})
    agreement.ended_on = ended_on
    agreement.end_reason = reason.strip()
    db.session.flush()
    return agreement
