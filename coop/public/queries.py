"""What the 公示栏 shows, read for anyone: the only reads public pages and the public API make.

Every query here names its columns; none loads a whole need, user or claim row, so a private
column added to a table later cannot reach the board by accident. What a need shows is its
category, neighbourhood, urgency, the day it came in, its state and the days it moved along
(the stamped columns), never its title, description, requester or staff (docs/decisions.md,
"The 公示栏"). Projects show their title and the partner units that claimed them (public
organisations, never individual volunteers); activities their title, day, place and hours.

A board costs the same few statements however many rows it shows: each list is one query, and
what hangs off a page of rows (claims, activities, hours) is one query for the whole page.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import pgettext

from coop.activities.models import Activity, ActivityStatus
from coop.alliance.models import (
    Community,
    Honour,
    HonourKind,
    HonourStatus,
    Neighbourhood,
    Street,
    Unit,
)
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.errors import NotFound
from coop.extensions import db
from coop.hours.models import RecordStatus, ServiceRecord
from coop.needs.models import Need, NeedRating, NeedStatus, Urgency
from coop.people.models import Team
from coop.projects.models import Project, ProjectStatus
from coop.timeutil import COMMUNITY_TZ, local_midnight, month_start, next_month

# A need is on the board once the community has taken it on: never while it waits for the
# secretary, never when it was turned down (nor closed after that).
SHOWN_STATUSES = (NeedStatus.LISTED, NeedStatus.IN_PROJECT, NeedStatus.RESOLVED, NeedStatus.CLOSED)
SHOWN_PROJECT_STATUSES = (
    ProjectStatus.PUBLISHED,
    ProjectStatus.CLAIMED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
    ProjectStatus.EVALUATED,
)
# Claims that stand (or stood) for the work done: approved, or fulfilled since.
STANDING_CLAIMS = (ClaimStatus.APPROVED, ClaimStatus.FULFILLED)
PROJECTS_SHOWN = 12
# The steps a need in each state has certainly passed, known day or not.
STATE_STEPS = {
    NeedStatus.LISTED: ("received", "listed"),
    NeedStatus.IN_PROJECT: ("received", "listed", "in_project"),
    NeedStatus.RESOLVED: ("received", "listed", "resolved"),
    NeedStatus.CLOSED: ("received", "listed", "resolved"),
}
NEEDS_PER_PAGE = 20


@dataclass(frozen=True)
class Step:
    """One step of a need's timeline: 收到, 列入清单, 纳入项目, 已认领, 活动, 已解决, 评价."""

    code: str
    label: str
    on: date | None
    detail: str = ""
    # Reached though its day is unknown (a need moved before the stamps existed) when a later
    # step was reached, or the need's state is past it.
    reached: bool = False


@dataclass(frozen=True)
class BoardNeed:
    id: int
    category: Category
    neighbourhood: str
    urgency: Urgency
    received_on: date
    status: NeedStatus
    timeline: list[Step]

    @property
    def summary(self) -> str:
        """The generic line shown instead of the title staff typed (it may hold a name)."""
        return _("一项%(category)s类服务需求", category=self.category.label)


@dataclass(frozen=True)
class BoardActivity:
    title: str
    on: date
    place: str
    hours: Decimal


@dataclass(frozen=True)
class BoardProject:
    id: int
    title: str
    category: Category
    status: ProjectStatus
    units: list[str]
    activities: list[BoardActivity]

    @property
    def hours(self) -> Decimal:
        return sum((a.hours for a in self.activities), Decimal(0))


@dataclass(frozen=True)
class MonthFigures:
    month: str  # 2026-12
    activities: int
    verified_hours: Decimal
    people_served: int
    units_taking_part: int


@dataclass(frozen=True)
class BoardHonour:
    unit: str
    title: str
    period: str  # 2026-11 for a month's badge, 2026 for the year's honour


@dataclass(frozen=True)
class Board:
    community_id: int
    community_name: str
    street_name: str
    needs: list[BoardNeed]
    needs_total: int
    page: int
    per_page: int
    projects: list[BoardProject]
    month: MonthFigures
    honours: list[BoardHonour]
    filters: dict = field(default_factory=dict)

    @property
    def needs_page(self) -> dict:
        return {
            "items": self.needs,
            "total": self.needs_total,
            "page": self.page,
            "per_page": self.per_page,
        }

    @property
    def pages(self) -> int:
        return max(1, -(-self.needs_total // self.per_page))


def rating_for(need_ids: list[int]) -> dict[int, tuple[int, date]]:
    """Each need's rating (1–5) of the solution the board shows and the day it was given, for
    the 评价 step; never the comment or who rated (a comment can name people). A rating that
    reopened the need rated a solution that no longer stands, and an earlier solution's rating
    is not the latest one's: neither is shown."""
    if not need_ids:
        return {}
    rows = db.session.execute(
        sa.select(NeedRating.need_id, NeedRating.stars, NeedRating.created_at)
        .join(Need, Need.id == NeedRating.need_id)
        .where(
            NeedRating.need_id.in_(need_ids),
            NeedRating.round == Need.resolution_round,
            NeedRating.reopened.is_(False),
        )
    )
    return {need_id: (stars, _local_day(at)) for need_id, stars, at in rows}


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(COMMUNITY_TZ).date() if moment is not None else None


def community_header(community_id: int) -> tuple[str, str]:
    """The community's and its street's names. :raise NotFound: no such community."""
    row = db.session.execute(
        sa.select(Community.name, Street.name)
        .join(Street, Street.id == Community.street_id)
        .where(Community.id == community_id)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def _needs(community_id, *, status, category, page, per_page) -> tuple[list, int]:
    query = (
        sa.select(
            Need.id,
            Need.category,
            Neighbourhood.name.label("neighbourhood"),
            Need.urgency,
            Need.status,
            Need.project_id,
            Need.created_at,
            Need.listed_at,
            Need.in_project_at,
            Need.resolved_at,
            sa.func.count().over().label("total"),
        )
        .outerjoin(Neighbourhood, Neighbourhood.id == Need.neighbourhood_id)
        .where(
            Need.community_id == community_id,
            Need.public.is_(True),
            Need.status.in_(SHOWN_STATUSES),
            # Closed after it was turned down is not on the board; closed once solved is.
            sa.or_(Need.status != NeedStatus.CLOSED, Need.resolved_at.is_not(None)),
        )
        .order_by(Need.created_at.desc(), Need.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    if status is not None:
        query = query.where(Need.status == status)
    if category is not None:
        query = query.where(Need.category == category)
    rows = db.session.execute(query).all()
    if rows:
        return rows, rows[0].total
    if page == 1:
        return [], 0
    # Past the last page: the window count has no row to ride on; ask once.
    return [], db.session.scalar(
        sa.select(sa.func.count()).select_from(query.limit(None).offset(None).subquery())
    )


def _first_claims(project_ids) -> dict[int, datetime]:
    if not project_ids:
        return {}
    rows = db.session.execute(
        sa.select(Claim.project_id, sa.func.min(Claim.decided_at))
        .where(Claim.project_id.in_(project_ids), Claim.status.in_(STANDING_CLAIMS))
        .group_by(Claim.project_id)
    )
    return {project_id: when for project_id, when in rows}


def _projects(community_id: int) -> list:
    return db.session.execute(
        sa.select(Project.id, Project.title, Project.category, Project.status)
        .where(
            Project.community_id == community_id,
            Project.status.in_(SHOWN_PROJECT_STATUSES),
        )
        .order_by(Project.published_at.desc().nulls_last(), Project.id.desc())
        .limit(PROJECTS_SHOWN)
    ).all()


def _units(project_ids) -> dict[int, list[str]]:
    found = defaultdict(list)
    if not project_ids:
        return found
    rows = db.session.execute(
        sa.select(Claim.project_id, Unit.name)
        .join(Unit, Unit.id == Claim.unit_id)
        .where(
            Claim.project_id.in_(project_ids),
            Claim.claimant_type == ClaimantType.UNIT,
            Claim.status.in_(STANDING_CLAIMS),
        )
        .order_by(Claim.project_id, Claim.decided_at, Claim.id)
    )
    for project_id, name in rows:
        found[project_id].append(name)
    return found


def _activities_held(project_ids, now: datetime) -> dict[int, list[BoardActivity]]:
    """Sessions held (not called off, ended before ``now``) with their verified hours."""
    found = defaultdict(list)
    if not project_ids:
        return found
    hours = (
        sa.select(ServiceRecord.activity_id, sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0))
        .where(ServiceRecord.status == RecordStatus.VERIFIED)
        .group_by(ServiceRecord.activity_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Activity.project_id,
            Activity.title,
            Activity.starts_at,
            Activity.place,
            sa.func.coalesce(hours.c[1], 0),
        )
        .outerjoin(hours, hours.c.activity_id == Activity.id)
        .where(
            Activity.project_id.in_(project_ids),
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.ends_at < now,
        )
        .order_by(Activity.project_id, Activity.starts_at)
    )
    for project_id, title, starts_at, place, total in rows:
        found[project_id].append(
            BoardActivity(title, _local_day(starts_at), place, Decimal(total or 0))
        )
    return found


# A step's name is a state reached (Listed), not the action's button (Add to the list): its own
# context in the catalog.
def _timeline(row, claimed: datetime | None, held: list[BoardActivity], rated) -> list[Step]:
    steps = [
        Step("received", pgettext("公示栏", "收到"), _local_day(row.created_at)),
        Step("listed", pgettext("公示栏", "列入清单"), _local_day(row.listed_at)),
    ]
    if row.project_id is not None or row.in_project_at is not None:
        steps.append(
            Step("in_project", pgettext("公示栏", "纳入项目"), _local_day(row.in_project_at))
        )
        steps.append(Step("claimed", pgettext("公示栏", "已认领"), _local_day(claimed)))
        if held:
            steps.append(
                Step(
                    "activities", pgettext("公示栏", "活动"), held[0].on, _("%(n)d 场", n=len(held))
                )
            )
    steps.append(Step("resolved", pgettext("公示栏", "已解决"), _local_day(row.resolved_at)))
    if rated is not None:
        stars, on = rated
        steps.append(Step("rated", pgettext("公示栏", "评价"), on, _("%(n)d 星", n=stars)))
    passed = set(STATE_STEPS[row.status])
    reached, later = [], False
    for step in reversed(steps):
        later = later or step.on is not None or step.code in passed
        reached.append(replace(step, reached=later))
    return reached[::-1]


def month_figures(community_id: int, now: datetime) -> MonthFigures:
    """This month so far, in the community's time zone: sessions held, verified hours (net of
    reversals), people served (needs solved this month, shown on the board or not: a count
    names nobody) and partner units with a standing claim on a project that held a session."""
    first = month_start(now.astimezone(COMMUNITY_TZ).date())
    start, end = local_midnight(first), local_midnight(next_month(first))
    held = sa.and_(
        Activity.community_id == community_id,
        Activity.status == ActivityStatus.SCHEDULED,
        Activity.ends_at >= start,
        Activity.ends_at < min(end, now),
    )
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.count()).select_from(Activity).where(held).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0))
            .where(
                ServiceRecord.community_id == community_id,
                ServiceRecord.status == RecordStatus.VERIFIED,
                ServiceRecord.service_date >= first,
                ServiceRecord.service_date < next_month(first),
            )
            .scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(Need)
            .where(
                Need.community_id == community_id,
                Need.resolved_at >= start,
                Need.resolved_at < end,
            )
            .scalar_subquery(),
            sa.select(sa.func.count(sa.distinct(Claim.unit_id)))
            .where(
                Claim.claimant_type == ClaimantType.UNIT,
                Claim.status.in_(STANDING_CLAIMS),
                Claim.project_id.in_(sa.select(Activity.project_id).where(held)),
            )
            .scalar_subquery(),
        )
    ).one()
    return MonthFigures(f"{first:%Y-%m}", row[0], Decimal(row[1] or 0), row[2], row[3])


def honours(community_id: int, now: datetime) -> list[BoardHonour]:
    """Partner units' honours: their badges of the latest month awarded (the clock awards a
    month once it has ended) and the approved annual honours (同心共建先锋 of units,
    最美志愿服务队 of teams) of the latest year awarded, so a new year does not empty the board."""
    year = now.astimezone(COMMUNITY_TZ).year
    latest_year = (
        sa.select(sa.func.max(Honour.year))
        .where(
            Honour.community_id == community_id,
            Honour.status == HonourStatus.APPROVED,
            Honour.year <= year,
        )
        .scalar_subquery()
    )
    latest = (
        sa.select(sa.func.max(BadgeAward.period))
        .where(
            BadgeAward.community_id == community_id,
            BadgeAward.holder_type == HolderType.UNIT,
            BadgeAward.revoked_at.is_(None),
            sa.func.length(BadgeAward.period) == 7,  # a month, not a half-year term (2026H2)
        )
        .scalar_subquery()
    )
    monthly = (
        sa.select(Unit.name, Badge.name.label("title"), BadgeAward.period, sa.literal(0).label("k"))
        .select_from(BadgeAward)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .join(Unit, Unit.id == BadgeAward.holder_id)
        .where(
            BadgeAward.community_id == community_id,
            BadgeAward.holder_type == HolderType.UNIT,
            BadgeAward.revoked_at.is_(None),
            BadgeAward.period == latest,
        )
    )
    kind_title = sa.case(*((Honour.kind == kind, str(kind.label)) for kind in HonourKind), else_="")
    annual = (
        sa.select(
            sa.func.coalesce(Unit.name, Team.name).label("name"),
            kind_title.label("title"),
            sa.cast(Honour.year, sa.String).label("period"),
            sa.literal(1).label("k"),
        )
        .outerjoin(Unit, Unit.id == Honour.unit_id)
        .outerjoin(Team, Team.id == Honour.team_id)
        .where(
            Honour.community_id == community_id,
            Honour.status == HonourStatus.APPROVED,
            Honour.year == latest_year,
        )
    )
    both = sa.union_all(annual, monthly).subquery()
    rows = db.session.execute(
        sa.select(both.c.name, both.c.title, both.c.period).order_by(
            both.c.k.desc(), both.c.title, both.c.name
        )
    )
    return [BoardHonour(name, title, period) for name, title, period in rows]


def board(
    community_id: int,
    now: datetime,
    *,
    status: NeedStatus | None = None,
    category: Category | None = None,
    page: int = 1,
    per_page: int = NEEDS_PER_PAGE,
) -> Board:
    """The community's 公示栏. :raise NotFound: no such community."""
    community_name, street_name = community_header(community_id)
    rows, total = _needs(
        community_id, status=status, category=category, page=page, per_page=per_page
    )
    projects = _projects(community_id)
    need_projects = {row.project_id for row in rows if row.project_id is not None}
    project_ids = sorted(need_projects | {p.id for p in projects})
    claimed = _first_claims(sorted(need_projects))
    held = _activities_held(project_ids, now)
    units = _units([p.id for p in projects])
    ratings = rating_for([row.id for row in rows])
    needs = [
        BoardNeed(
            id=row.id,
            category=row.category,
            neighbourhood=row.neighbourhood or "",
            urgency=row.urgency,
            received_on=_local_day(row.created_at),
            status=row.status,
            timeline=_timeline(
                row, claimed.get(row.project_id), held.get(row.project_id, []), ratings.get(row.id)
            ),
        )
        for row in rows
    ]
    return Board(
        community_id=community_id,
        community_name=community_name,
        street_name=street_name,
        needs=needs,
        needs_total=total,
        page=page,
        per_page=per_page,
        projects=[
            BoardProject(
                p.id, p.title, p.category, p.status, units.get(p.id, []), held.get(p.id, [])
            )
            for p in projects
        ],
        month=month_figures(community_id, now),
        honours=honours(community_id, now),
        filters={"status": status, "category": category},
    )
