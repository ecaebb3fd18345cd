"""Named reads of honours: by community and year, by holder, and the latest year awarded."""

import sqlalchemy as sa

from coop.alliance.models import Community, Honour, HonourKind, HonourStatus, Unit
from coop.alliance.permissions import visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.honours import permissions
from coop.people.models import Team


def get_honour(actor: User | None, honour_id: int) -> Honour:
    """:raise NotFound: if it does not exist or is not the actor's community's."""
    honour = db.session.get(Honour, honour_id)
    if honour is None or not permissions.can_view_honours(actor, honour.community):
        raise NotFound()
    return honour


def honours_select(
    community_id: int,
    *,
    year: int | None = None,
    status: HonourStatus | None = None,
    kind: HonourKind | None = None,
) -> sa.Select:
    query = sa.select(Honour).where(Honour.community_id == community_id)
    if year is not None:
        query = query.where(Honour.year == year)
    if status is not None:
        query = query.where(Honour.status == status)
    if kind is not None:
        query = query.where(Honour.kind == kind)
    return query.order_by(Honour.year.desc(), Honour.kind, Honour.id.desc())


def holder_names(honours: list[Honour]) -> dict[int, str]:
    """Each honour's holder's name by honour id: one query for the units, one for the teams."""
    unit_ids = {h.unit_id for h in honours if h.unit_id is not None}
    team_ids = {h.team_id for h in honours if h.team_id is not None}
    units = (
        dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
        if unit_ids
        else {}
    )
    teams = (
        dict(db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
        if team_ids
        else {}
    )
    return {h.id: units[h.unit_id] if h.unit_id is not None else teams[h.team_id] for h in honours}


def approved_of(*, unit_id: int | None = None, team_id: int | None = None) -> list[Honour]:
    """A holder's approved honours, newest year first (revoked ones are not shown)."""
    column, value = (Honour.unit_id, unit_id) if unit_id is not None else (Honour.team_id, team_id)
    return list(
        db.session.scalars(
            sa.select(Honour)
            .where(column == value, Honour.status == HonourStatus.APPROVED)
            .order_by(Honour.year.desc(), Honour.kind)
        )
    )


def latest_awarded_year(community_id: int, kind: HonourKind = HonourKind.PIONEER) -> int | None:
    """The latest year with an approved honour of the kind: the dashboard and the 公示栏 show
    that year's, so the figure does not fall to 0 when a new year begins."""
    return db.session.scalar(
        sa.select(sa.func.max(Honour.year)).where(
            Honour.community_id == community_id,
            Honour.kind == kind,
            Honour.status == HonourStatus.APPROVED,
        )
    )


def waiting_for_street(street_id: int) -> sa.Select:
    return (
        sa.select(Honour)
        .join(Community, Community.id == Honour.community_id)
        .where(Community.street_id == street_id, Honour.status == HonourStatus.NOMINATED)
        .order_by(Honour.nominated_at, Honour.id)
    )


def returned_to(community_id: int) -> sa.Select:
    return (
        sa.select(Honour)
        .where(Honour.community_id == community_id, Honour.status == HonourStatus.RETURNED)
        .order_by(Honour.decided_at.desc(), Honour.id)
    )


def teams_of(community_id: int) -> list[Team]:
    return list(
        db.session.scalars(
            sa.select(Team)
            .where(Team.community_id == community_id)
            .options(sa.orm.selectinload(Team.unit), sa.orm.selectinload(Team.members))
            .order_by(Team.name)
        )
    )


def get_team(actor: User | None, team_id: int) -> Team:
    """:raise NotFound: if the team does not exist or is not of the actor's communities."""
    team = db.session.get(Team, team_id)
    if team is None or team.community_id not in visible_community_ids(actor):
        raise NotFound()
    return team
