"""Named reads of the project list, scoped to what the actor may see."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.permissions import managed_community_ids, visible_community_ids
from coop.auth.models import User
from coop.categories import Category
from coop.errors import NotFound
from coop.extensions import db
from coop.projects.models import Project, ProjectStatus


def projects_select(actor: User | None, *, community_id: int | None = None, **filters) -> sa.Select:
    """Projects of the actor's communities; drafts only for the secretary who compiles them."""
    return (
        _visible(actor, community_id=community_id, **filters)
        .options(selectinload(Project.needs))
        .order_by(Project.starts_at, Project.id)
    )


def _visible(actor: User | None, *, community_id: int | None = None, **filters) -> sa.Select:
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    managed = visible & managed_community_ids(actor)
    query = sa.select(Project).where(
        Project.community_id.in_(visible),
        sa.or_(Project.status != ProjectStatus.DRAFT, Project.community_id.in_(managed)),
    )
    search = filters.pop("q", None)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Project, name) == value)
    if search:
        query = query.where(Project.title.contains(search, autoescape=True))
    return query


def can_see(actor: User | None, project: Project, *, community_seen: bool = False) -> bool:
    """``_visible``'s rule for one loaded project. ``community_seen``: the caller has shown the
    actor belongs to the project's community (a unit of hers serves it), which spares the
    query of her communities."""
    visible = community_seen or project.community_id in visible_community_ids(actor)
    return visible and (
        project.status is not ProjectStatus.DRAFT
        or project.community_id in managed_community_ids(actor)
    )


# The locked row overwrites any copy read before the lock; its needs load when used. Built
# once: every claim takes this lock, and building _visible's select cost more than running it.
_LOCKED = (
    sa.select(Project)
    .where(Project.id == sa.bindparam("project_id"))
    .with_for_update(of=Project)
    .execution_options(populate_existing=True)
)


def locked_project(project_id: int) -> Project | None:
    """The project under its row lock, whoever asks: the caller checks ``can_see`` before
    anything else about it is told."""
    return db.session.scalar(_LOCKED, {"project_id": project_id})


def get_project(actor: User | None, project_id: int, *, for_update: bool = False) -> Project:
    """:raise NotFound: the project does not exist or is not one the actor may see.

    ``for_update`` holds the project's row lock: every change to its claims takes it first.
    """
    if for_update:
        project = locked_project(project_id)
        if project is not None and not can_see(actor, project):
            project = None
    else:
        project = db.session.scalar(projects_select(actor).where(Project.id == project_id))
    if project is None:
        raise NotFound()
    return project


# --- The menu (点单): published and claimed projects, by category ------------------------------

ON_MENU = (ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)


def _on_menu(actor: User | None, community_id: int) -> sa.Select:
    return _visible(actor, community_id=community_id).where(Project.status.in_(ON_MENU))


def _menu_order(now: datetime) -> tuple:
    """Those she can still claim first, each part by claim deadline (soonest first)."""
    claimable = sa.and_(Project.status == ProjectStatus.PUBLISHED, Project.claim_deadline > now)
    return (sa.case((claimable, 0), else_=1), Project.claim_deadline, Project.id)


def menu_counts(actor: User | None, community_id: int) -> dict[Category, int]:
    """How many projects each category has on the community's menu (those with none left out)."""
    query = (
        _on_menu(actor, community_id)
        .with_only_columns(Project.category, sa.func.count())
        .group_by(Project.category)
    )
    return dict(db.session.execute(query).all())


def menu_firsts(actor: User | None, community_id: int, now: datetime, per_category: int) -> list:
    """The first ``per_category`` projects of each category in menu order, in one statement."""
    place = sa.func.row_number().over(partition_by=Project.category, order_by=_menu_order(now))
    ranked = (
        _on_menu(actor, community_id).with_only_columns(Project.id, place.label("place")).subquery()
    )
    query = (
        sa.select(Project)
        .join(ranked, ranked.c.id == Project.id)
        .where(ranked.c.place <= per_category)
        .order_by(*_menu_order(now))
    )
    return list(db.session.scalars(query))


def menu_select(actor: User | None, community_id: int, category: Category, now: datetime):
    """One category of the menu, in menu order, to page."""
    return (
        _on_menu(actor, community_id)
        .where(Project.category == category)
        .order_by(*_menu_order(now))
    )
