"""The community dashboard's figures, each counted from rows: the tenancy's, then the lists'."""

from collections import Counter
from datetime import date

import sqlalchemy as sa

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.categories import Category
from coop.claims.models import Claim, ClaimStatus
from coop.extensions import db
from coop.needs.models import Need, NeedStatus
from coop.projects.models import Project, ProjectStatus
from coop.resources.models import Resource, ResourceKind, ResourceStatus


def _counts(column, where, members) -> dict[str, int]:
    rows = db.session.execute(sa.select(column, sa.func.count()).where(where).group_by(column))
    found = Counter({value.value: n for value, n in rows})
    return {member.value: found.get(member.value, 0) for member in members}


def community_stats(community: Community, today: date) -> dict:
    """Aggregates only: nothing personal, so every member of the community may read them."""
    projects = Project.community_id == community.id
    return {
        **alliance_queries.community_stats(community, today),
        "needs_by_status": _counts(Need.status, Need.community_id == community.id, NeedStatus),
        "projects_by_category": _counts(
            Project.category, sa.and_(projects, Project.status != ProjectStatus.DRAFT), Category
        ),
        "projects_by_status": _counts(Project.status, projects, ProjectStatus),
        "listed_resources_by_kind": _counts(
            Resource.kind,
            sa.and_(
                Resource.community_id == community.id, Resource.status == ResourceStatus.LISTED
            ),
            ResourceKind,
        ),
        "claims_fulfilled": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Claim)
            .join(Project, Claim.project_id == Project.id)
            .where(projects, Claim.status == ClaimStatus.FULFILLED)
        ),
    }
