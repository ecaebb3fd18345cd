"""Named reads of the record of changes, scoped to one community.

A community's record holds the rows written with its ``community_id`` and, of the rows that
belong to no single community, those of the units that serve it and of the people who belong to
it (a volunteer, a resident, its staff, a unit's liaison): a unit's change is shown to every
community it serves. The page, its export, the API and the 历史 sections all read through here.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from coop.alliance.models import Community, Membership
from coop.audit import AuditLog
from coop.auditlog import describe, permissions
from coop.auth.models import RoleGrant, User
from coop.extensions import db
from coop.pagination import paginate
from coop.people.models import ResidentProfile, VolunteerProfile
from coop.timeutil import local_midnight

# What the 历史 section of a detail page shows at most; the rest is on the 操作记录 page.
HISTORY_LIMIT = 20
# A project's history includes its claims and resource orders (its own decisions about who
# serves); an activity's does not include its sign-ups (the roster shows those).
CHILDREN = {"projects": (("claims", "project_id"), ("resource_orders", "project_id"))}


def get_audited_community(actor: User | None, community_id: int) -> Community:
    """The community whose record the actor reads.

    :raise NotFound: the community is not the actor's (as every scoped page answers).
    :raise Forbidden: she sees the community but may not read its record.
    """
    from coop.alliance import queries as alliance_queries

    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_read_audit(actor, community))
    return community


def _as_text(column):
    return sa.cast(column, sa.String)


def _shared_rows(community_id: int):
    """Rows with no community of their own that the community still sees: its units, its people."""
    units = sa.select(Membership.unit_id).where(Membership.community_id == community_id)
    people = sa.union(
        sa.select(VolunteerProfile.user_id).where(
            VolunteerProfile.home_community_id == community_id
        ),
        sa.select(ResidentProfile.user_id).where(ResidentProfile.community_id == community_id),
        sa.select(RoleGrant.user_id).where(RoleGrant.community_id == community_id),
        sa.select(RoleGrant.user_id).where(RoleGrant.unit_id.in_(units)),
    )
    liaison_grants = sa.select(RoleGrant.id).where(RoleGrant.unit_id.in_(units))
    return sa.and_(
        AuditLog.community_id.is_(None),
        sa.or_(
            sa.and_(
                AuditLog.object_type == "units",
                AuditLog.object_id.in_(sa.select(_as_text(units.subquery().c.unit_id))),
            ),
            sa.and_(
                AuditLog.object_type == "users",
                AuditLog.object_id.in_(sa.select(_as_text(people.subquery().c[0]))),
            ),
            sa.and_(
                AuditLog.object_type == "role_grants",
                AuditLog.object_id.in_(sa.select(_as_text(liaison_grants.subquery().c.id))),
            ),
        ),
    )


def audit_select(
    community_id: int,
    *,
    actor_id: int | None = None,
    kind: str | None = None,
    object_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> sa.Select:
    """The community's audit rows, newest first, narrowed by the
    filters: who, what kind of object (and which one), from and to (local calendar days)."""
    query = sa.select(AuditLog).where(
        sa.or_(AuditLog.community_id == community_id, _shared_rows(community_id))
    )
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if kind is not None and object_id is not None:
        query = query.where(_object_and_children(kind, object_id))
    elif kind is not None:
        query = query.where(AuditLog.object_type == kind)
    if date_from is not None:
        query = query.where(AuditLog.at >= local_midnight(date_from))
    if date_to is not None:
        query = query.where(AuditLog.at < local_midnight(date_to + timedelta(days=1)))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def _object_and_children(kind: str, object_id: int):
    """One object's rows and, for a project, its claims' and resource orders'."""
    own = sa.and_(AuditLog.object_type == kind, AuditLog.object_id == str(object_id))
    clauses = [own]
    for child, column in CHILDREN.get(kind, ()):
        table = db.metadata.tables[child]
        ids = sa.select(_as_text(table.c.id)).where(table.c[column] == object_id)
        clauses.append(sa.and_(AuditLog.object_type == child, AuditLog.object_id.in_(ids)))
    return sa.or_(*clauses)


def audit_page(community_id: int, *, page: int = 1, per_page: int = 50, **filters) -> dict:
    """A page of the record in words: ``{items: [Entry], total, page, per_page}``."""
    found = paginate(audit_select(community_id, **filters), page, per_page)
    return {**found, "items": describe.describe(found["items"])}


def audit_entries(community_id: int, *, limit: int | None = None, **filters) -> list:
    """The whole filtered record in words (the export), or its newest ``limit`` entries."""
    query = audit_select(community_id, **filters)
    if limit is not None:
        query = query.limit(limit)
    return describe.describe(list(db.session.scalars(query)))


def may_read_history(actor: User | None, obj) -> bool:
    """Whether the actor reads the record of the community this object belongs to."""
    community = db.session.get(Community, obj.community_id)
    return community is not None and permissions.can_read_audit(actor, community)


def object_history(actor: User | None, kind: str, obj) -> dict | None:
    """The newest changes of a need, project or activity for its detail page, or None when the
    actor may not read its community's record."""
    if not may_read_history(actor, obj):
        return None
    community = db.session.get(Community, obj.community_id)
    return {
        "community": community,
        "kind": kind,
        "object_id": obj.id,
        "entries": audit_entries(
            community.id, kind=kind, object_id=obj.id, limit=HISTORY_LIMIT + 1
        ),
        "limit": HISTORY_LIMIT,
    }


def people_who_acted(community_id: int) -> list[tuple[int, str]]:
    """(id, name) of everyone who changed something in the community's record (the filter)."""
    acted = (
        sa.select(AuditLog.actor_id)
        .where(AuditLog.community_id == community_id, AuditLog.actor_id.is_not(None))
        .distinct()
    )
    rows = db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(acted)).order_by(User.display_name)
    )
    return [(row.id, row.display_name) for row in rows]
