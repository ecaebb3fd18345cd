"""Named reads for the street admin's set-up pages: staff, grids and who holds which post."""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.models import Community, Membership, Neighbourhood, Unit
from coop.auth.models import Role, RoleGrant, StaffTitle, User
from coop.extensions import db
from coop.setup.models import GridAssignment, GridPost, grid_members_needed


def staff_grants(community_id: int) -> list[RoleGrant]:
    """The community's 社区书记 first, then its 副书记, then its 社区工作者, each by name."""
    grants = db.session.scalars(
        sa.select(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == community_id)
        .options(selectinload(RoleGrant.user))
        .order_by(User.display_name, RoleGrant.id)
    ).all()
    order = list(StaffTitle)  # an untitled grant reads 社区书记
    # sorted is stable: names stay in order within a post
    return sorted(grants, key=lambda g: order.index(g.title or StaffTitle.SECRETARY))


def community_secretary(community_id: int) -> User | None:
    """Whoever is appointed the community's 社区书记 (one at most: a unique index says so)."""
    return db.session.scalar(
        sa.select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.community_id == community_id,
            RoleGrant.title == StaffTitle.SECRETARY,
        )
    )


def street_admin_grants(street_id: int) -> list[RoleGrant]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant)
            .join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.role == Role.STREET_ADMIN, RoleGrant.street_id == street_id)
            .options(selectinload(RoleGrant.user))
            .order_by(User.display_name, RoleGrant.id)
        )
    )


@dataclass
class Grid:
    """A neighbourhood with its posts and whether it has the 网格员 its households need."""

    neighbourhood: Neighbourhood
    leader: GridAssignment | None = None
    members: list[GridAssignment] = field(default_factory=list)

    @property
    def members_needed(self) -> int:
        return grid_members_needed(self.neighbourhood.households)

    @property
    def members_short(self) -> int:
        return max(0, self.members_needed - len(self.members))


def grids(community: Community) -> list[Grid]:
    """Every neighbourhood of the community, in order, with its 网格长 and 网格员."""
    by_id = {n.id: Grid(n) for n in community.neighbourhoods}
    assignments = db.session.scalars(
        sa.select(GridAssignment)
        .where(GridAssignment.neighbourhood_id.in_(by_id))
        .options(selectinload(GridAssignment.user))
        .order_by(GridAssignment.id)
    )
    for assignment in assignments:
        grid = by_id[assignment.neighbourhood_id]
        if assignment.post is GridPost.LEADER:
            grid.leader = assignment
        else:
            grid.members.append(assignment)
    return list(by_id.values())


def grid_of(neighbourhood: Neighbourhood) -> Grid:
    return next(g for g in grids(neighbourhood.community) if g.neighbourhood.id == neighbourhood.id)


def community_people(community: Community, *, limit: int = 500) -> list[User]:
    """People with a role in the community, for picking a 网格长 or 网格员, by name."""
    ids = sa.select(RoleGrant.user_id).where(RoleGrant.community_id == community.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.id.in_(ids), User.is_active.is_(True))
            .order_by(User.display_name, User.id)
            .limit(limit)
        )
    )


@dataclass
class CommunityPosts:
    """Who holds which post in one community (人员与职务)."""

    community: Community
    staff: list[RoleGrant]
    grids: list[Grid]
    supermarket: list[RoleGrant]
    liaisons: list[tuple[Unit, list[User]]]


def community_posts(community: Community) -> CommunityPosts:
    supermarket = db.session.scalars(
        sa.select(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.SUPERMARKET_STAFF, RoleGrant.community_id == community.id)
        .options(selectinload(RoleGrant.user))
        .order_by(User.display_name)
    ).all()
    units = db.session.scalars(
        sa.select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.community_id == community.id)
        .order_by(Unit.kind, Unit.name)
    ).all()
    liaisons: dict[int, list[User]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(RoleGrant.unit_id, User)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.UNIT_LIAISON, RoleGrant.unit_id.in_([u.id for u in units]))
        .order_by(User.display_name)
    )
    for unit_id, user in rows:
        liaisons[unit_id].append(user)
    return CommunityPosts(
        community=community,
        staff=staff_grants(community.id),
        grids=grids(community),
        supermarket=list(supermarket),
        liaisons=[(unit, liaisons[unit.id]) for unit in units],
    )


def street_communities(street_ids: set[int]) -> list[Community]:
    return list(
        db.session.scalars(
            sa.select(Community)
            .where(Community.street_id.in_(street_ids))
            .options(selectinload(Community.neighbourhoods), selectinload(Community.street))
            .order_by(Community.street_id, Community.id)
        )
    )
