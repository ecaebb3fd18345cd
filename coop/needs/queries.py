"""Named reads of the demand list, scoped to what the actor may see."""

from datetime import date

import sqlalchemy as sa

from coop.alliance import permissions as alliance_permissions
from coop.alliance.models import Community
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.needs import permissions
from coop.needs.models import Need
from coop.timeutil import local_midnight, next_month


def needs_select(
    actor: User | None, *, community_id: int | None = None, mine: bool = False, **filters
) -> sa.Select:
    """Needs of the actor's communities: all of them for staff, the public list plus her own
    for everyone else. ``filters`` are column=value pairs (status, category, source, …) and q,
    which matches the title and description, and the requester's name for staff only."""
    visible = alliance_permissions.visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    staff = {
        c.id
        for c in db.session.scalars(sa.select(Community).where(Community.id.in_(visible)))
        if permissions.can_see_all_needs(actor, c)
    }
    # Nobody signed in owns nothing: `== None` would read as IS NULL, i.e. every staff-recorded need.
    own = Need.requester_id == actor.id if actor is not None else sa.false()
    if community_id is not None:  # a community's list: her own needs there, not everywhere
        own = sa.and_(own, Need.community_id == community_id)
    scope = sa.or_(
        Need.community_id.in_(staff),
        sa.and_(Need.community_id.in_(visible), Need.status.in_(permissions.PUBLIC_STATUSES)),
        own,
    )
    query = sa.select(Need).where(own if mine else scope)
    search = filters.pop("q", None)
    for name, column in (("created_in", Need.created_at), ("resolved_in", Need.resolved_at)):
        if key := filters.pop(name, None):
            first = date(int(key[:4]), int(key[5:7]), 1)
            query = query.where(
                column >= local_midnight(first), column < local_midnight(next_month(first))
            )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Need, name) == value)
    if search:
        # Searching by who asked is for those who may read it: the staff of the need's community.
        query = query.where(
            sa.or_(
                Need.title.contains(search, autoescape=True),
                Need.description.contains(search, autoescape=True),
                sa.and_(
                    Need.community_id.in_(staff),
                    Need.requester_name.contains(search, autoescape=True),
                ),
            )
        )
    return query.order_by(Need.created_at.desc(), Need.id.desc())


def get_need(actor: User | None, need_id: int, *, for_update: bool = False) -> Need:
    """:raise NotFound: the need does not exist or is not one the actor may see."""
    query = needs_select(actor).where(Need.id == need_id)
    if for_update:
        # The locked row overwrites any copy read before the lock (its version above all).
        query = query.with_for_update(of=Need).execution_options(populate_existing=True)
    need = db.session.scalar(query)
    if need is None:
        raise NotFound()
    return need
