"""Named reads of the resource list, scoped to what the actor may see."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, liaison_unit_ids, visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.resources.models import Resource, ResourceStatus


def resources_select(
    actor: User | None, *, community_id: int | None = None, **filters
) -> sa.Select:
    """Listed resources of the actor's communities; all of them for the secretary, and every
    state of her own unit's for a liaison."""
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    managed = [
        c.id
        for c in db.session.scalars(sa.select(Community).where(Community.id.in_(visible)))
        if can_manage_community(actor, c)
    ]
    query = sa.select(Resource).where(
        Resource.community_id.in_(visible),
        sa.or_(
            Resource.status == ResourceStatus.LISTED,
            Resource.community_id.in_(managed),
            Resource.unit_id.in_(liaison_unit_ids(actor)),
        ),
    )
    search = filters.pop("q", None)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Resource, name) == value)
    if search:
        query = query.where(
            sa.or_(
                Resource.title.contains(search, autoescape=True),
                Resource.description.contains(search, autoescape=True),
            )
        )
    return query.options(
        selectinload(Resource.unit), selectinload(Resource.neighbourhoods)
    ).order_by(Resource.created_at.desc(), Resource.id.desc())


def get_resource(actor: User | None, resource_id: int, *, for_update: bool = False) -> Resource:
    """:raise NotFound: the resource does not exist or is not one the actor may see."""
    query = resources_select(actor).where(Resource.id == resource_id)
    resource = db.session.scalar(query.with_for_update(of=Resource) if for_update else query)
    if resource is None:
        raise NotFound()
    return resource
