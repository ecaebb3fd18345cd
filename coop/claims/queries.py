"""Named reads of claims and resource orders, scoped like the projects they belong to."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.models import Agreement, Community, Membership
from coop.alliance.permissions import (
    liaison_unit_ids,
    managed_community_ids,
    visible_community_ids,
)
from coop.auth.models import Role, RoleGrant, User
from coop.claims.models import (
    LIVE,
    Claim,
    ClaimantType,
    ClaimStatus,
    ResourceOrder,
    claim_resources,
)
from coop.errors import NotFound
from coop.extensions import db
from coop.people.models import Team, TeamMember
from coop.projects.models import Project, ProjectStatus


def claims_select(
    actor: User | None,
    *,
    community_id: int | None = None,
    mine: bool = False,
    **filters,
) -> sa.Select:
    """Claims on the actor's communities' projects: everyone sees who claimed what."""
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    query = (
        sa.select(Claim)
        .join(Project, Claim.project_id == Project.id)
        .where(Project.community_id.in_(visible), Project.status != ProjectStatus.DRAFT)
    )
    if mine:
        query = query.where(_made_by(actor))
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Claim, name) == value)
    return query.options(
        selectinload(Claim.project),  # every list of claims shows its project
        selectinload(Claim.unit),
        selectinload(Claim.volunteer),
        selectinload(Claim.team),
        selectinload(Claim.resources),
    ).order_by(Claim.created_at.desc(), Claim.id.desc())


def _made_by(actor: User | None) -> sa.ColumnElement[bool]:
    """Claims that are hers: her units' (as their liaison), her own, her led teams'."""
    return sa.or_(
        Claim.unit_id.in_(liaison_unit_ids(actor)),
        Claim.volunteer_id == (actor.id if actor else None),
        Claim.team_id.in_(led_team_ids(actor)),
    )


def live_claims_on(actor: User | None, project_ids: list[int]) -> dict[int, Claim]:
    """Her pending or approved claim on each of these projects that has one, by project id:
    what a menu card says instead of offering 认领 (the approved one if she has two). One statement for the claims (and one each
    for the units and teams they name), however many projects."""
    if not project_ids:
        return {}
    approved_first = sa.case((Claim.status == ClaimStatus.APPROVED, 0), else_=1)
    query = (
        sa.select(Claim)
        .where(
            Claim.project_id.in_(project_ids),
            Claim.status.in_((ClaimStatus.PENDING, ClaimStatus.APPROVED)),
            _made_by(actor),
        )
        .options(selectinload(Claim.unit), selectinload(Claim.team))
        .order_by(approved_first, Claim.created_at.desc(), Claim.id.desc())
    )
    found: dict[int, Claim] = {}
    for claim in db.session.scalars(query):
        found.setdefault(claim.project_id, claim)
    return found


def led_team_ids(actor: User | None) -> sa.Select:
    """The teams she currently leads: their claims are hers to follow (我的认领)."""
    return sa.select(TeamMember.team_id).where(
        TeamMember.user_id == (actor.id if actor else None),
        TeamMember.is_leader.is_(True),
        TeamMember.left_on.is_(None),
    )


def teams_to_claim_for(actor: User | None, community_id: int) -> list[Team]:
    """The community's teams she may claim for: those she leads, or all of them for its staff."""
    if actor is None:
        return []
    query = sa.select(Team).where(Team.community_id == community_id).order_by(Team.name)
    if community_id not in managed_community_ids(actor):
        query = query.where(Team.id.in_(led_team_ids(actor)))
    return list(db.session.scalars(query))


def get_claim(actor: User | None, claim_id: int) -> Claim:
    """:raise NotFound: the claim does not exist or is on a project the actor cannot see."""
    claim = db.session.scalar(claims_select(actor).where(Claim.id == claim_id))
    if claim is None:
        raise NotFound()
    return claim


def live_volunteer_claims_of(volunteer_id: int) -> list[tuple[int, int]]:
    """(claim id, project id) of the live claims she made for herself, in project id order (the
    order their projects' locks are taken)."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Claim.id, Claim.project_id)
            .where(
                Claim.volunteer_id == volunteer_id,
                Claim.claimant_type == ClaimantType.VOLUNTEER,
                Claim.status.in_(LIVE),
            )
            .order_by(Claim.project_id, Claim.id)
        )
    ]


def lock_project(project_id: int) -> Project:
    """The project under its row lock, re-read (no scope: the caller has authorised)."""
    return db.session.scalar(
        sa.select(Project)
        .where(Project.id == project_id)
        .with_for_update(of=Project)
        .execution_options(populate_existing=True)
    )


# The claim's hot path: its reads are built once and run on the session's connection with
# parameters (building a select costs more Python than running it).
_SERVING_UNIT = (
    sa.select(
        Membership.unit_id,
        sa.exists()
        .where(
            Agreement.unit_id == Membership.unit_id,
            Agreement.community_id == Membership.community_id,
            Agreement.live_on(sa.bindparam("today")),
        )
        .label("has_live_agreement"),
        Community.max_open_claims,
    )
    .join(Community, Community.id == Membership.community_id)
    .where(
        Membership.unit_id.in_(sa.bindparam("unit_ids", expanding=True)),
        Membership.community_id == sa.bindparam("community_id"),
    )
    .order_by(Membership.id)
    .limit(1)
    .with_for_update(of=Membership)
)


def lock_serving_unit(unit_ids: set[int], community_id: int, today: date) -> sa.Row | None:
    """The first of the units (by membership) that serves the community, under its membership's
    row lock, as ``(unit_id, has_live_agreement, max_open_claims)``; None if none serves it.

    One statement: the lock, the agreement and the community's limit of open claims. The
    agreement is read in the statement's snapshot, which may predate the wait for the lock; an
    agreement is not something claims race for. The open claims must be counted after it.
    """
    parameters = {"unit_ids": sorted(unit_ids), "community_id": community_id, "today": today}
    return db.session.connection().execute(_SERVING_UNIT, parameters).one_or_none()


_OPEN_CLAIMS = (
    sa.select(sa.func.count())
    .select_from(Claim)
    .join(Project, Claim.project_id == Project.id)
    .where(
        Claim.unit_id == sa.bindparam("unit_id"),
        Claim.status == ClaimStatus.APPROVED,
        Project.community_id == sa.bindparam("community_id"),
    )
)


def open_claims_of_unit(unit_id: int, community_id: int) -> int:
    """Approved claims the unit has not yet delivered in this community."""
    parameters = {"unit_id": unit_id, "community_id": community_id}
    return db.session.connection().execute(_OPEN_CLAIMS, parameters).scalar_one()


HOLDING = (ClaimStatus.APPROVED, ClaimStatus.FULFILLED)


def live_claimant_user_ids(project_id: int) -> set[int]:
    """The people behind the project's live (pending or approved) claims: the volunteers who
    claimed it, the current leaders of the teams that did, and the liaisons of the units that
    did."""
    live = sa.select(Claim).where(Claim.project_id == project_id, Claim.status.in_(LIVE))
    claims = live.subquery()
    volunteers = sa.select(claims.c.volunteer_id).where(claims.c.volunteer_id.is_not(None))
    liaisons = sa.select(RoleGrant.user_id).where(
        RoleGrant.role == Role.UNIT_LIAISON,
        RoleGrant.unit_id.in_(sa.select(claims.c.unit_id).where(claims.c.unit_id.is_not(None))),
    )
    leaders = sa.select(TeamMember.user_id).where(
        TeamMember.team_id.in_(sa.select(claims.c.team_id).where(claims.c.team_id.is_not(None))),
        TeamMember.is_leader.is_(True),
        TeamMember.left_on.is_(None),
    )
    return set(db.session.scalars(sa.union(volunteers, liaisons, leaders)))


def approved_claims_by_project(project_ids: list[int]) -> dict[int, list[Claim]]:
    """The claims holding each project's slots (approved or fulfilled), oldest decision first."""
    claims = db.session.scalars(
        sa.select(Claim)
        .where(Claim.project_id.in_(project_ids), Claim.status.in_(HOLDING))
        .options(selectinload(Claim.unit), selectinload(Claim.volunteer))
        .order_by(Claim.decided_at, Claim.id)
    )
    found: dict[int, list[Claim]] = {}
    for claim in claims:
        found.setdefault(claim.project_id, []).append(claim)
    return found


def committed_resource_ids(resource_ids: list[int]) -> set[int]:
    """Which of these resources an approved or fulfilled claim pledges ("committed")."""
    return set(
        db.session.scalars(
            sa.select(claim_resources.c.resource_id)
            .join(Claim, Claim.id == claim_resources.c.claim_id)
            .where(claim_resources.c.resource_id.in_(resource_ids), Claim.status.in_(HOLDING))
            .distinct()
        )
    )


NOT_BEGUN = (ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)


def is_stale(claim: Claim, now: datetime) -> bool:
    """Approved, the project's start has passed, and the work has not begun."""
    return (
        claim.status is ClaimStatus.APPROVED
        and claim.project.starts_at < now
        and claim.project.status in NOT_BEGUN
    )


def stale_clause(now: datetime) -> sa.ColumnElement[bool]:
    """is_stale in SQL, for a select of claims joined to their projects."""
    return sa.and_(
        Claim.status == ClaimStatus.APPROVED,
        Project.starts_at < now,
        Project.status.in_(NOT_BEGUN),
    )


def queue_counts(actor: User | None, community_id: int, now: datetime) -> dict[str, int]:
    """The review page's three figures in one statement: pending, approved, and of those
    approved the stale (逾期未开展)."""
    row = db.session.execute(
        claims_select(actor, community_id=community_id)
        .order_by(None)
        .with_only_columns(
            sa.func.count().filter(Claim.status == ClaimStatus.PENDING),
            sa.func.count().filter(Claim.status == ClaimStatus.APPROVED),
            sa.func.count().filter(stale_clause(now)),
        )
    ).one()
    return {"pending": row[0], "approved": row[1], "stale": row[2]}


def approved_stale_first(actor: User | None, community_id: int, now: datetime) -> sa.Select:
    """The approved claims, the stale ones first (they are what the secretary acts on)."""
    stale_first = sa.case((stale_clause(now), 0), else_=1)
    return (
        claims_select(actor, community_id=community_id, status=ClaimStatus.APPROVED)
        .order_by(None)
        .order_by(stale_first, Claim.created_at.desc(), Claim.id.desc())
    )


def orders_select(actor: User | None, *, community_id: int | None = None, **filters) -> sa.Select:
    """Resource orders: the secretary's community's, and those addressed to the actor's unit."""
    from coop.alliance.models import Community
    from coop.alliance.permissions import can_manage_community

    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    managed = [
        c.id
        for c in db.session.scalars(sa.select(Community).where(Community.id.in_(visible)))
        if can_manage_community(actor, c)
    ]
    query = (
        sa.select(ResourceOrder)
        .join(Project, ResourceOrder.project_id == Project.id)
        .where(
            Project.community_id.in_(visible),
            sa.or_(
                Project.community_id.in_(managed),
                ResourceOrder.unit_id.in_(liaison_unit_ids(actor)),
            ),
        )
    )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(ResourceOrder, name) == value)
    return query.order_by(ResourceOrder.created_at.desc(), ResourceOrder.id.desc())


def get_order(actor: User | None, order_id: int) -> ResourceOrder:
    """:raise NotFound: not an order the actor may see."""
    order = db.session.scalar(orders_select(actor).where(ResourceOrder.id == order_id))
    if order is None:
        raise NotFound()
    return order
