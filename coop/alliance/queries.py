"""Named reads of the tenancy, scoped to what the actor may see."""

from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance import permissions
from coop.alliance.models import (
    Agreement,
    Alliance,
    AllianceOffice,
    Community,
    Honour,
    HonourKind,
    HonourStatus,
    Membership,
    Unit,
    UnitKind,
)
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.people.models import VolunteerProfile


def communities_for(actor: User | None) -> list[Community]:
    ids = permissions.visible_community_ids(actor)
    return list(
        db.session.scalars(sa.select(Community).where(Community.id.in_(ids)).order_by(Community.id))
    )


def get_community(actor: User | None, community_id: int) -> Community:
    """:raise NotFound: if the community does not exist or is not the actor's."""
    community = db.session.get(Community, community_id)
    if community is None or not permissions.can_view_community(actor, community):
        raise NotFound()
    return community


def get_community_for_update(actor: User | None, community_id: int) -> Community:
    """Like get_community, holding a row lock until the transaction ends."""
    community = db.session.get(Community, community_id, with_for_update=True)
    if community is None or not permissions.can_view_community(actor, community):
        raise NotFound()
    return community


def units_select(
    actor: User | None,
    *,
    community_id: int | None = None,
    kind: UnitKind | None = None,
    search: str | None = None,
) -> sa.Select:
    """Units serving the actor's communities (plus her own unit), optionally narrowed."""
    visible = permissions.visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    serving = sa.select(Membership.unit_id).where(Membership.community_id.in_(visible))
    own = permissions.liaison_unit_ids(actor) if community_id is None else set()
    query = (
        sa.select(Unit)
        .where(sa.or_(Unit.id.in_(serving), Unit.id.in_(own)))
        .options(selectinload(Unit.memberships), selectinload(Unit.agreements))
    )
    if kind is not None:
        query = query.where(Unit.kind == kind)
    if search:
        query = query.where(Unit.name.contains(search, autoescape=True))
    return query.order_by(Unit.kind, Unit.name)


def get_unit(actor: User | None, unit_id: int) -> Unit:
    """:raise NotFound: if the unit does not exist or serves none of the actor's communities."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not permissions.can_view_unit(actor, unit):
        raise NotFound()
    return unit


def get_agreement(actor: User | None, agreement_id: int) -> Agreement:
    """:raise NotFound: unless the agreement's community is the actor's."""
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.community_id not in permissions.visible_community_ids(actor):
        raise NotFound()
    return agreement


def agreements_between(unit_id: int, community_id: int) -> list[Agreement]:
    return list(
        db.session.scalars(
            sa.select(Agreement)
            .where(Agreement.unit_id == unit_id, Agreement.community_id == community_id)
            .order_by(Agreement.starts_on.desc())
        )
    )


def live_agreement(unit_id: int, community_id: int, today: date) -> Agreement | None:
    """The agreement that lets the unit claim in this community today, if any."""
    return next((a for a in agreements_between(unit_id, community_id) if a.is_live(today)), None)


def live_agreement_unit_ids(community_id: int, today: date) -> set[int]:
    rows = db.session.scalars(
        sa.select(Agreement).where(
            Agreement.community_id == community_id,
            Agreement.starts_on <= today,
            Agreement.ends_on >= today,
        )
    )
    return {a.unit_id for a in rows if a.is_live(today)}


def memberships_of(unit_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(Membership.unit_id == unit_id).order_by(Membership.id)
        )
    )


def alliance_for_dashboard(community_id: int) -> Alliance | None:
    """The community's alliance with what its page shows: mechanisms, terms, offices and their
    units (four statements however many there are)."""
    return db.session.scalar(
        sa.select(Alliance)
        .where(Alliance.community_id == community_id)
        .options(
            selectinload(Alliance.mechanisms),
            selectinload(Alliance.terms),
            selectinload(Alliance.offices).joinedload(AllianceOffice.unit),
        )
    )


def community_units(community_id: int, *, limit: int) -> list[Unit]:
    """The first ``limit`` units of the community's alliance, in the units page's order."""
    serving = sa.select(Membership.unit_id).where(Membership.community_id == community_id)
    return list(
        db.session.scalars(
            sa.select(Unit).where(Unit.id.in_(serving)).order_by(Unit.kind, Unit.name).limit(limit)
        )
    )


def current_term_and_deputy(alliance: Alliance, today: date):
    term = next((t for t in alliance.terms if t.is_current(today)), None)
    deputy = next((o for o in alliance.offices if term and o.term_id == term.id), None)
    return term, deputy


def unit_count_select(community_id: int) -> sa.Select:
    """How many units are in the community's alliance (a unit joins it once)."""
    return sa.select(sa.func.count()).where(Membership.community_id == community_id)


def party_member_volunteers_select(community_id: int) -> sa.Select:
    return sa.select(sa.func.count()).where(
        VolunteerProfile.home_community_id == community_id, VolunteerProfile.is_party_member
    )


def honours_selects(community_id: int, today: date) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """(the latest year of 同心共建先锋 approved, how many units were honoured that year): the
    latest year awarded, not today's, so a new year does not empty the figure."""
    pioneers = sa.and_(
        Honour.community_id == community_id,
        Honour.kind == HonourKind.PIONEER,
        Honour.status == HonourStatus.APPROVED,
    )
    year = sa.select(sa.func.max(Honour.year)).where(pioneers, Honour.year <= today.year)
    year = year.scalar_subquery()
    honoured = sa.select(sa.func.count(sa.distinct(Honour.unit_id))).where(
        pioneers, Honour.year == year
    )
    return year, honoured.scalar_subquery()


def community_stats(community: Community, today: date) -> dict:
    """Dashboard counts, every one computed from rows."""
    units = list(
        db.session.scalars(
            sa.select(Unit)
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.community_id == community.id)
        )
    )
    by_kind = Counter(unit.kind.value for unit in units)
    volunteers = sa.select(sa.func.count()).where(
        VolunteerProfile.home_community_id == community.id
    )
    alliance = community.alliance
    honour_year, honoured = honours_selects(community.id, today)
    year, honoured = db.session.execute(sa.select(honour_year, honoured)).one()
    return {
        "community_id": community.id,
        "neighbourhoods": len(community.neighbourhoods),
        "alliance_units": len(units),
        "alliance_units_by_kind": {kind.value: by_kind.get(kind.value, 0) for kind in UnitKind},
        "units_with_live_agreement": len(live_agreement_unit_ids(community.id, today)),
        "volunteers": db.session.scalar(volunteers),
        "party_member_volunteers": db.session.scalar(party_member_volunteers_select(community.id)),
        "mechanisms": len(alliance.mechanisms) if alliance else 0,
        "honoured_units": honoured,
        "honoured_year": year,
    }


def memberships_for_units(unit_ids: set[int]) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(Membership.unit_id.in_(unit_ids)).order_by(Membership.id)
        )
    )
