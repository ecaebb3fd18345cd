"""The community dashboard's figures, each counted from rows: the tenancy's, then the lists'."""

from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa

from coop.activities.models import Activity, ActivityStatus
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.categories import Category
from coop.claims.models import Claim, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.meetings import queries as meetings_queries
from coop.needs import rates
from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus
from coop.projects.models import Project, ProjectStatus
from coop.resources.models import Resource, ResourceKind, ResourceStatus
from coop.timeutil import COMMUNITY_TZ


def _counts(column, where, members) -> dict[str, int]:
    rows = db.session.execute(sa.select(column, sa.func.count()).where(where).group_by(column))
    found = Counter({value.value: n for value, n in rows})
    return {member.value: found.get(member.value, 0) for member in members}


# Who "people visited with care" (走访慰问) are in the seed: 老党员, 残疾人, 老年人.
VISITED_GROUPS = (Beneficiary.OLD_PARTY_MEMBER, Beneficiary.DISABLED, Beneficiary.ELDERLY)


def activities_held(community_id: int, now: datetime) -> int:
    """Sessions held: activities of the community still scheduled (not cancelled) that ended
    before ``now``. Whether anyone checked in does not matter; a session called off does."""
    return db.session.scalar(activities_held_select(community_id, now))


def activities_held_select(community_id: int, now: datetime) -> sa.Select:
    return sa.select(sa.func.count()).where(
        Activity.community_id == community_id,
        Activity.status == ActivityStatus.SCHEDULED,
        Activity.ends_at < now,
    )


def people_visited(community_id: int) -> int:
    """People visited with care: distinct requesters of the community's 入户走访 needs (source
    ``visit``) for 老党员, 残疾人 or 老年人 whose need was resolved, i.e. ``resolved``, or
    ``closed`` after being resolved (not after a rejection). A requester with an account counts
    by account; one without by name and phone, so a person with two resolved needs counts once
    and two namesakes twice. A visit need with neither is nobody in particular and not counted.
    """
    return db.session.scalar(people_visited_select(community_id))


def people_visited_select(community_id: int) -> sa.Select:
    person = sa.case(
        (Need.requester_id.is_not(None), "u" + sa.cast(Need.requester_id, sa.String)),
        else_="n" + Need.requester_name + "|" + Need.requester_phone,
    )
    return sa.select(sa.func.count(sa.distinct(person))).where(
        Need.community_id == community_id,
        Need.source == NeedSource.VISIT,
        Need.beneficiary_group.in_(VISITED_GROUPS),
        sa.or_(
            Need.status == NeedStatus.RESOLVED,
            sa.and_(Need.status == NeedStatus.CLOSED, Need.reject_reason == ""),
        ),
        sa.or_(Need.requester_id.is_not(None), Need.requester_name != ""),
    )


def community_stats(community: Community, today: date, now: datetime | None = None) -> dict:
    """Aggregates only: nothing personal, so every member of the community may read them.

    ``activities_held`` and ``people_visited`` are the seed's "8 sessions held" and "more than
    30 people visited with care", counted from rows as ``activities_held`` and
    ``people_visited`` define them (both over all time: the demo holds one year).
    """
    projects = Project.community_id == community.id
    now = now or utcnow()
    this_month = rates.month_rates(community.id, now.astimezone(COMMUNITY_TZ).date(), now)
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
        "activities_held": activities_held(community.id, now),
        "people_visited": people_visited(community.id),
        "assemblies_held": meetings_queries.assemblies_held(community.id, today),
        "assemblies_expected": meetings_queries.ASSEMBLIES_A_YEAR,
        # 三率 of the current month (coop.needs.rates defines each).
        "response_rate": this_month["response_rate"],
        "resolution_rate": this_month["resolution_rate"],
        "median_hours_to_resolve": this_month["median_hours_to_resolve"],
        "satisfaction_rate": this_month["satisfaction_rate"],
    }


def dashboard_figures(community: Community, today: date, now: datetime) -> dict:
    """The community page's 概况 figures, as ``community_stats`` counts them, in one statement:
    each count a subquery of it. The page passes the figures it has already loaded (its
    neighbourhoods, mechanisms and units with a live agreement) itself."""
    honour_year, honoured_units = alliance_queries.honours_selects(community.id, today)
    figures = {
        "alliance_units": alliance_queries.unit_count_select(community.id).scalar_subquery(),
        "party_member_volunteers": alliance_queries.party_member_volunteers_select(
            community.id
        ).scalar_subquery(),
        "honoured_year": honour_year,
        "honoured_units": honoured_units,
        "activities_held": activities_held_select(community.id, now).scalar_subquery(),
        "assemblies_held": meetings_queries.assemblies_held_select(
            community.id, today
        ).scalar_subquery(),
        "people_visited": people_visited_select(community.id).scalar_subquery(),
    }
    row = db.session.execute(sa.select(*(v.label(k) for k, v in figures.items()))).one()
    return {**row._asdict(), "assemblies_expected": meetings_queries.ASSEMBLIES_A_YEAR}
