"""Named reads of the project list, scoped to what the actor may see."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.projects.models import Project, ProjectStatus


def projects_select(actor: User | None, *, community_id: int | None = None, **filters) -> sa.Select:
    """Projects of the actor's communities; drafts only for the secretary who compiles them."""
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    managed = [
        c.id
        for c in db.session.scalars(sa.select(Community).where(Community.id.in_(visible)))
        if can_manage_community(actor, c)
    ]
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
    return query.options(selectinload(Project.needs)).order_by(Project.starts_at, Project.id)


def get_project(actor: User | None, project_id: int, *, for_update: bool = False) -> Project:
    """:raise NotFound: the project does not exist or is not one the actor may see.

    ``for_update`` holds the project's row lock: every change to its claims takes it first.
    """
    query = projects_select(actor).where(Project.id == project_id)
    project = db.session.scalar(query.with_for_update(of=Project) if for_update else query)
    if project is None:
        raise NotFound()
    if for_update:
        db.session.refresh(project)  # the locked row, not a copy read before the lock
    return project
