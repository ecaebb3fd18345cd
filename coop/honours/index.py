"""先锋指数 and the records attached to nominations: computed only from stored rows, for all
units (or teams) of a community in one pass per figure — no per-unit query loops.

A unit's year, in the community:
- claims: its claims of the community's projects fulfilled in the year;
- hours: verified hours (hours.queries.COUNTED) served in the community in the year by volunteers
  whose work unit it is (在职党员 双报到);
- activities: activities held (not cancelled, already begun) in the year, of projects it leads
  (the lead claim; a project without a lead counts for each unit holding an approved or
  fulfilled claim);
- ratings: residents' ratings (needs.ratings) given in the year to needs of projects it
  fulfilled a claim of — the count and the average stars;
- resources: 资源点单 it accepted for the community's projects in the year.

Each part scores ``weight × value / the best unit's value`` (ratings: ``weight × average / 5``,
when it has any), so the index runs 0–100 and says where a unit stands among its peers. It
informs the secretary's nominations; it never awards anything by itself.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coop.activities.models import Activity, ActivityStatus
from coop.alliance.models import (
    DEFAULT_PIONEER_WEIGHTS,
    Membership,
    PioneerWeights,
    Unit,
)
from coop.claims.models import Claim, ClaimStatus, OrderStatus, ResourceOrder
from coop.extensions import db
from coop.hours.models import ServiceRecord
from coop.hours.queries import COUNTED
from coop.needs.models import Need, NeedRating
from coop.people.models import Team, TeamMember, VolunteerProfile
from coop.projects.models import Project
from coop.timeutil import COMMUNITY_TZ

PARTS = ("claims", "hours", "activities", "ratings", "resources")
PART_LABELS = {
    "claims": _l("完成认领"),
    "hours": _l("成员服务时长"),
    "activities": _l("牵头活动"),
    "ratings": _l("居民评价"),
    "resources": _l("提供资源"),
}


def part_label(part: str) -> str:
    return str(PART_LABELS[part])


@dataclass
class UnitRecord:
    unit_id: int
    name: str
    claims: int = 0
    hours: Decimal = Decimal(0)
    activities: int = 0
    ratings: int = 0
    average_stars: Decimal | None = None
    resources: int = 0
    scores: dict[str, Decimal] = field(default_factory=dict)

    @property
    def index(self) -> Decimal:
        return sum(self.scores.values(), Decimal(0)).quantize(Decimal("0.1"))

    def snapshot(self, year: int, weights: dict[str, int]) -> dict:
        """What a nomination keeps: the figures, each part's weight and score, the index."""
        return {
            "year": year,
            "claims": self.claims,
            "hours": str(self.hours),
            "activities": self.activities,
            "ratings": self.ratings,
            "average_stars": str(self.average_stars) if self.average_stars is not None else None,
            "resources": self.resources,
            "weights": dict(weights),
            "scores": {k: str(v) for k, v in self.scores.items()},
            "index": str(self.index),
        }


def weights_for(community_id: int) -> dict[str, int]:
    row = db.session.scalar(
        sa.select(PioneerWeights).where(PioneerWeights.community_id == community_id)
    )
    return row.as_dict() if row else dict(DEFAULT_PIONEER_WEIGHTS)


def _bounds(year: int) -> tuple[date, date, datetime, datetime]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    start = datetime.combine(first, time.min, COMMUNITY_TZ)
    end = datetime.combine(date(year + 1, 1, 1), time.min, COMMUNITY_TZ)
    return first, last, start, end


def unit_records(community_id: int, year: int, now: datetime) -> list[UnitRecord]:
    """Every member unit's record and 先锋指数 for the year, best first (then by name)."""
    first, last, start, end = _bounds(year)
    held_until = max(start, min(end, now))  # an activity counts once it has begun
    records = {
        uid: UnitRecord(uid, name)
        for uid, name in db.session.execute(
            sa.select(Unit.id, Unit.name)
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.community_id == community_id)
        )
    }
    if not records:
        return []
    fulfilled = sa.and_(
        Claim.status == ClaimStatus.FULFILLED,
        Claim.unit_id.is_not(None),
    )
    for uid, n in db.session.execute(
        sa.select(Claim.unit_id, sa.func.count())
        .join(Project, Project.id == Claim.project_id)
        .where(
            fulfilled,
            Project.community_id == community_id,
            Claim.fulfilled_at >= start,
            Claim.fulfilled_at < end,
        )
        .group_by(Claim.unit_id)
    ):
        if uid in records:
            records[uid].claims = n
    for uid, hours in db.session.execute(
        sa.select(VolunteerProfile.work_unit_id, sa.func.sum(ServiceRecord.hours))
        .join(VolunteerProfile, VolunteerProfile.user_id == ServiceRecord.volunteer_id)
        .where(
            *COUNTED,
            ServiceRecord.community_id == community_id,
            ServiceRecord.service_date.between(first, last),
            VolunteerProfile.work_unit_id.is_not(None),
        )
        .group_by(VolunteerProfile.work_unit_id)
    ):
        if uid in records:
            records[uid].hours = Decimal(hours or 0)
    leads = sa.or_(
        Claim.id == Project.lead_claim_id,
        sa.and_(
            Project.lead_claim_id.is_(None),
            Claim.project_id == Project.id,
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
        ),
    )
    for uid, n in db.session.execute(
        sa.select(Claim.unit_id, sa.func.count(sa.distinct(Activity.id)))
        .select_from(Activity)
        .join(Project, Project.id == Activity.project_id)
        .join(Claim, leads)
        .where(
            Activity.community_id == community_id,
            Activity.status != ActivityStatus.CANCELLED,
            Activity.starts_at >= start,
            Activity.starts_at < held_until,
            Claim.unit_id.is_not(None),
        )
        .group_by(Claim.unit_id)
    ):
        if uid in records:
            records[uid].activities = n
    rated = (
        sa.select(Claim.unit_id, NeedRating.id, NeedRating.stars)
        .join(Project, Project.id == Claim.project_id)
        .join(Need, Need.project_id == Project.id)
        .join(NeedRating, NeedRating.need_id == Need.id)
        .where(
            fulfilled,
            Project.community_id == community_id,
            NeedRating.created_at >= start,
            NeedRating.created_at < end,
        )
        .distinct()
        .subquery()
    )
    for uid, n, average in db.session.execute(
        sa.select(rated.c.unit_id, sa.func.count(), sa.func.avg(rated.c.stars)).group_by(
            rated.c.unit_id
        )
    ):
        if uid in records:
            records[uid].ratings = n
            records[uid].average_stars = Decimal(average).quantize(Decimal("0.01"))
    for uid, n in db.session.execute(
        sa.select(ResourceOrder.unit_id, sa.func.count())
        .join(Project, Project.id == ResourceOrder.project_id)
        .where(
            ResourceOrder.status == OrderStatus.ACCEPTED,
            Project.community_id == community_id,
            ResourceOrder.created_at >= start,
            ResourceOrder.created_at < end,
        )
        .group_by(ResourceOrder.unit_id)
    ):
        if uid in records:
            records[uid].resources = n
    _score(list(records.values()), weights_for(community_id))
    return sorted(records.values(), key=lambda r: (-r.index, r.name))


def _score(records: list[UnitRecord], weights: dict[str, int]) -> None:
    best = {
        part: max((Decimal(getattr(r, part)) for r in records), default=Decimal(0))
        for part in ("claims", "hours", "activities", "resources")
    }
    for r in records:
        for part, top in best.items():
            value = Decimal(getattr(r, part))
            r.scores[part] = (
                (Decimal(weights[part]) * value / top).quantize(Decimal("0.1"))
                if top
                else Decimal("0.0")
            )
        r.scores["ratings"] = (
            (Decimal(weights["ratings"]) * r.average_stars / 5).quantize(Decimal("0.1"))
            if r.average_stars is not None
            else Decimal("0.0")
        )


def unit_record(community_id: int, unit_id: int, year: int, now: datetime) -> UnitRecord | None:
    return next((r for r in unit_records(community_id, year, now) if r.unit_id == unit_id), None)


@dataclass
class TeamRecord:
    team_id: int
    name: str
    members: int = 0
    hours: Decimal = Decimal(0)
    activities: int = 0

    def snapshot(self, year: int) -> dict:
        return {
            "year": year,
            "members": self.members,
            "hours": str(self.hours),
            "activities": self.activities,
        }


def _while_member(first: date, last: date):
    """Her counted records served while she was a member of the team (joined_on..left_on)."""
    return sa.and_(
        *COUNTED,
        ServiceRecord.volunteer_id == TeamMember.user_id,
        ServiceRecord.service_date.between(first, last),
        ServiceRecord.service_date >= TeamMember.joined_on,
        sa.or_(TeamMember.left_on.is_(None), ServiceRecord.service_date <= TeamMember.left_on),
    )


def team_records(community_id: int, year: int) -> list[TeamRecord]:
    """Every team of the community: members who served in the year, their verified hours while
    members, and the distinct activities they served at — best (most hours) first."""
    first, last, _start, _end = _bounds(year)
    records = {
        tid: TeamRecord(tid, name)
        for tid, name in db.session.execute(
            sa.select(Team.id, Team.name).where(Team.community_id == community_id)
        )
    }
    if not records:
        return []
    rows = db.session.execute(
        sa.select(
            TeamMember.team_id,
            sa.func.count(sa.distinct(TeamMember.user_id)),
            sa.func.sum(ServiceRecord.hours),
            sa.func.count(sa.distinct(ServiceRecord.activity_id)),
        )
        .join(ServiceRecord, _while_member(first, last))
        .where(TeamMember.team_id.in_(records))
        .group_by(TeamMember.team_id)
    )
    for tid, members, hours, activities in rows:
        records[tid].members = members
        records[tid].hours = Decimal(hours or 0)
        records[tid].activities = activities
    return sorted(records.values(), key=lambda r: (-r.hours, r.name))


def team_hours(team_id: int) -> Decimal:
    """All the team's verified hours, ever, served by members while members."""
    return Decimal(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0))
            .select_from(TeamMember)
            .join(ServiceRecord, _while_member(date(2000, 1, 1), date(2100, 12, 31)))
            .where(TeamMember.team_id == team_id)
        )
    )
