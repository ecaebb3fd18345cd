"""待办: what waits for a person, computed from the live data for each role she holds.

Nothing is stored: an item is a query over the things themselves, so it disappears the moment
the thing is done (the need reviewed, the order answered, the pickup collected). Each kind is one
query that returns its first few rows and, through a window function, how many there are in
all; a role's list costs one statement per kind, however many things wait.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from coop.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from coop.alliance.models import (
    Alliance,
    Community,
    Honour,
    HonourKind,
    HonourStatus,
    Neighbourhood,
    Street,
    Term,
    Unit,
)
from coop.auth.models import Role, RoleGrant, User
from coop.claims.models import Claim, ClaimStatus, OrderStatus, ResourceOrder
from coop.escalations.models import Escalation, EscalationStatus
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord, duration_text
from coop.matching.models import CandidateType, Suggestion, SuggestionStatus, TargetType
from coop.meetings.models import Attendance, Meeting, MeetingStatus
from coop.needs import time_limits
from coop.needs.models import Need, NeedRating, NeedStatus
from coop.people.models import Team
from coop.projects.models import Project, ProjectStatus
from coop.resources.models import Resource
from coop.rewards.models import ItemStatus, Redemption, RedemptionStatus, RewardItem
from coop.setup.models import HOUSEHOLDS_PER_GRID_MEMBER, GridAssignment, GridPost
from coop.terms.models import PlanStatus, TermPlan, TermPlanItem
from coop.timeutil import COMMUNITY_TZ

SHOWN = 5  # things named per kind; the rest behind 全部 N 条
RECENT = timedelta(days=7)  # decisions and solved needs stay this long, then drop off
STAFFING_WINDOW = timedelta(days=7)  # a claim's activities short of people, starting within
CHECKIN_OPENS = timedelta(minutes=30)  # 去签到 from this long before the start
PICKUP_WARNING = timedelta(days=3)  # a reserved item's deadline this close: go and fetch it
TERM_END_WARNING = timedelta(days=30)  # 六个一 items still open this close to the term's end
MEETING_NOTICE = timedelta(days=14)  # a meeting her unit is invited to, this close
OPEN_PROJECT = (ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED, ProjectStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Entry:
    """One thing that waits, with the page it is done on (and a button for the urgent step)."""

    text: str
    link: str
    action: str = ""
    action_link: str = ""


@dataclass(frozen=True)
class Item:
    """One kind of thing waiting for one role: a short line, how many, and where to go."""

    role: Role
    kind: str
    title: str
    count: int
    link: str
    entries: tuple[Entry, ...] = ()


@dataclass
class Section:
    """A role she holds (and its community, unit or street) with what waits in it."""

    role: Role
    heading: str
    items: list[Item] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(item.count for item in self.items)


def _first(query: sa.Select, limit: int = SHOWN) -> tuple[list, int]:
    """The query's first ``limit`` rows and its total, in one statement."""
    rows = db.session.execute(
        query.add_columns(sa.func.count().over().label("_total")).limit(limit)
    )
    rows = rows.all()
    return rows, (rows[0]._total if rows else 0)


def _item(role, kind, rows, total, title, link, entry: Callable) -> Item | None:
    if not total:
        return None
    return Item(role, kind, title, total, link, tuple(entry(row) for row in rows))


def _local(moment: datetime) -> str:
    return moment.astimezone(COMMUNITY_TZ).strftime("%m-%d %H:%M")


# --- 社区书记 / 社区工作者 -----------------------------------------------------------------


def needs_to_review(actor: User, community_id: int, now: datetime) -> Item | None:
    """Needs submitted (by residents, by import) that nobody has listed or refused yet."""
    rows, total = _first(
        sa.select(Need.id, Need.title)
        .where(Need.community_id == community_id, Need.status == NeedStatus.SUBMITTED)
        .order_by(Need.created_at, Need.id)
    )
    return _item(
        Role.SECRETARY,
        "needs_to_review",
        rows,
        total,
        _("%(n)d 条需求待审核", n=total),
        f"/communities/{community_id}/needs?status=submitted",
        lambda r: Entry(r.title, f"/needs/{r.id}"),
    )


def claims_to_approve(actor: User, community_id: int, now: datetime) -> Item | None:
    """Claims of the community's projects waiting for a decision."""
    volunteer = aliased(User)
    rows, total = _first(
        sa.select(
            Claim.id,
            Project.title,
            sa.func.coalesce(Unit.name, Team.name, volunteer.display_name).label("claimant"),
        )
        .join(Project, Project.id == Claim.project_id)
        .outerjoin(Unit, Unit.id == Claim.unit_id)
        .outerjoin(Team, Team.id == Claim.team_id)
        .outerjoin(volunteer, volunteer.id == Claim.volunteer_id)
        .where(Project.community_id == community_id, Claim.status == ClaimStatus.PENDING)
        .order_by(Claim.created_at, Claim.id)
    )
    link = f"/communities/{community_id}/claims"
    return _item(
        Role.SECRETARY,
        "claims_to_approve",
        rows,
        total,
        _("%(n)d 个认领待审核", n=total),
        link,
        lambda r: Entry(
            _("%(who)s 认领“%(title)s”", who=r.claimant, title=r.title), f"{link}#claim-{r.id}"
        ),
    )


def hours_to_verify(actor: User, community_id: int, now: datetime) -> Item | None:
    """Pending hours she may verify: not her own, and not a 补录 she entered herself."""
    volunteer = aliased(User)
    rows, total = _first(
        sa.select(ServiceRecord.id, ServiceRecord.hours, volunteer.display_name)
        .join(volunteer, volunteer.id == ServiceRecord.volunteer_id)
        .where(
            ServiceRecord.community_id == community_id,
            ServiceRecord.status == RecordStatus.PENDING,
            ServiceRecord.volunteer_id != actor.id,
            sa.not_(
                sa.and_(
                    ServiceRecord.origin == RecordOrigin.ENTERED,
                    ServiceRecord.entered_by_id == actor.id,
                )
            ),
        )
        .order_by(ServiceRecord.created_at, ServiceRecord.id)
    )
    link = f"/communities/{community_id}/hours#pending"
    return _item(
        Role.SECRETARY,
        "hours_to_verify",
        rows,
        total,
        _("%(n)d 条服务时长待核实", n=total),
        link,
        lambda r: Entry(f"{r.display_name} · {duration_text(r.hours)}", link),
    )


def orders_declined(actor: User, community_id: int, now: datetime) -> Item | None:
    """点单 a unit declined, for a project still open that has had no order since: she finds
    another resource (or unit) for it. Ordering again, or the project closing, ends it."""
    later = aliased(ResourceOrder)
    rows, total = _first(
        sa.select(ResourceOrder.project_id, Project.title, Unit.name, Resource.title.label("res"))
        .join(Project, Project.id == ResourceOrder.project_id)
        .join(Unit, Unit.id == ResourceOrder.unit_id)
        .join(Resource, Resource.id == ResourceOrder.resource_id)
        .where(
            Project.community_id == community_id,
            Project.status.in_(OPEN_PROJECT),
            ResourceOrder.status == OrderStatus.DECLINED,
            ~sa.exists().where(
                later.project_id == ResourceOrder.project_id, later.id > ResourceOrder.id
            ),
        )
        .order_by(ResourceOrder.id.desc())
    )
    return _item(
        Role.SECRETARY,
        "orders_declined",
        rows,
        total,
        _("%(n)d 个点单被单位婉拒", n=total),
        f"/communities/{community_id}/projects",
        lambda r: Entry(
            _(
                "%(unit)s 婉拒了“%(resource)s”（%(title)s）",
                unit=r.name,
                resource=r.res,
                title=r.title,
            ),
            f"/projects/{r.project_id}",
        ),
    )


def needs_overdue(actor: User, community_id: int, now: datetime) -> Item | None:
    """Open needs past the deadline their community's 服务承诺 gave them (stored on each need)."""
    rows, total = _first(
        sa.select(Need.id, Need.title)
        .where(Need.community_id == community_id, time_limits.overdue(now))
        .order_by(Need.created_at, Need.id)
    )
    return _item(
        Role.SECRETARY,
        "needs_overdue",
        rows,
        total,
        _("%(n)d 条需求已超过办理时限", n=total),
        f"/communities/{community_id}/needs",
        lambda r: Entry(r.title, f"/needs/{r.id}"),
    )


def needs_reopened(actor: User, community_id: int, now: datetime) -> Item | None:
    """Needs a resident rated 2 stars or less, back on the list until solved again (回访)."""
    rows, total = _first(
        sa.select(Need.id, Need.title, NeedRating.stars, NeedRating.comment)
        .join(
            NeedRating,
            sa.and_(NeedRating.need_id == Need.id, NeedRating.round == Need.resolution_round),
        )
        .where(
            Need.community_id == community_id,
            Need.status.in_((NeedStatus.LISTED, NeedStatus.IN_PROJECT)),
            NeedRating.reopened,
        )
        .order_by(NeedRating.created_at, Need.id)
    )
    return _item(
        Role.SECRETARY,
        "needs_reopened",
        rows,
        total,
        _("%(n)d 条需求因居民评价较低重新打开，待回访", n=total),
        f"/communities/{community_id}/needs?status=listed",
        lambda r: Entry(
            _(
                "%(title)s（%(stars)d 星）%(comment)s",
                title=r.title,
                stars=r.stars,
                comment=r.comment,
            ),
            f"/needs/{r.id}",
        ),
    )


def items_low_on_stock(actor: User, community_id: int, now: datetime) -> Item | None:
    """Rewards on the shelf at or below their own low-stock mark (3 unless set)."""
    rows, total = _first(
        sa.select(RewardItem.id, RewardItem.name, RewardItem.stock)
        .where(
            RewardItem.community_id == community_id,
            RewardItem.status == ItemStatus.ON_SHELF,
            RewardItem.stock <= RewardItem.low_stock_at,
        )
        .order_by(RewardItem.stock, RewardItem.id)
    )
    return _item(
        Role.SECRETARY,
        "items_low_on_stock",
        rows,
        total,
        _("%(n)d 件兑换物品库存不足", n=total),
        f"/communities/{community_id}/supermarket/items?status=on_shelf",
        lambda r: Entry(
            _("%(name)s（剩 %(stock)d 件）", name=r.name, stock=r.stock),
            f"/supermarket/items/{r.id}/restock",
        ),
    )


def term_items_open(actor: User, community_id: int, now: datetime) -> Item | None:
    """六个一 items not done while the term ends within 30 days."""
    today = now.astimezone(COMMUNITY_TZ).date()
    rows, total = _first(
        sa.select(TermPlanItem.kind, Term.id.label("term_id"), Term.ends_on)
        .join(TermPlan, TermPlan.id == TermPlanItem.plan_id)
        .join(Term, Term.id == TermPlan.term_id)
        .join(Alliance, Alliance.id == Term.alliance_id)
        .where(
            Alliance.community_id == community_id,
            TermPlan.status != PlanStatus.DONE,
            TermPlanItem.done_at.is_(None),
            Term.ends_on >= today,
            Term.ends_on <= today + TERM_END_WARNING,
        )
        .order_by(Term.ends_on, TermPlanItem.position)
    )
    return _item(
        Role.SECRETARY,
        "term_items_open",
        rows,
        total,
        _("六个一还有 %(n)d 项未完成，任期即将结束", n=total),
        f"/communities/{community_id}/term",
        lambda r: Entry(
            _("%(item)s（任期 %(day)s 结束）", item=r.kind.label, day=r.ends_on.isoformat()),
            f"/terms/{r.term_id}",
        ),
    )


def nominations_returned(actor: User, community_id: int, now: datetime) -> Item | None:
    """Her community's nominations the street sent back, to amend and nominate again."""
    rows, total = _first(
        _honour_rows(
            Honour.community_id == community_id, Honour.status == HonourStatus.RETURNED
        ).order_by(Honour.decided_at.desc(), Honour.id)
    )
    return _item(
        Role.SECRETARY,
        "nominations_returned",
        rows,
        total,
        _("%(n)d 项评选提名被街道退回", n=total),
        f"/communities/{community_id}/nominations?status=returned",
        lambda r: Entry(f"{r.holder} · {r.year} {HonourKind(r.kind).label}", f"/honours/{r.id}"),
    )


def minutes_to_write(actor: User, community_id: int, now: datetime) -> Item | None:
    """Meetings that have started, were not cancelled and still have no minutes."""
    rows, total = _first(
        sa.select(Meeting.id, Meeting.title, Meeting.starts_at)
        .where(
            Meeting.community_id == community_id,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at <= now,
            Meeting.minutes_at.is_(None),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return _item(
        Role.SECRETARY,
        "minutes_to_write",
        rows,
        total,
        _("%(n)d 次会议待写纪要", n=total),
        f"/communities/{community_id}/meetings",
        lambda r: Entry(
            _("%(title)s（%(when)s）", title=r.title, when=_local(r.starts_at)),
            f"/meetings/{r.id}#minutes",
        ),
    )


SECRETARY_KINDS = (
    needs_to_review,
    claims_to_approve,
    hours_to_verify,
    orders_declined,
    needs_overdue,
    needs_reopened,
    items_low_on_stock,
    term_items_open,
    nominations_returned,
    minutes_to_write,
)


# --- 单位联络员 -----------------------------------------------------------------------------


def meetings_invited(actor: User, unit_id: int, now: datetime) -> Item | None:
    """Meetings ahead within the fortnight that her unit is invited to."""
    rows, total = _first(
        sa.select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.place)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.unit_id == unit_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + MEETING_NOTICE,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return _item(
        Role.UNIT_LIAISON,
        "meetings_invited",
        rows,
        total,
        _("%(n)d 次会议邀请本单位参加", n=total),
        f"/meetings/{rows[0].id}" if rows else "/",
        lambda r: Entry(
            _(
                "%(title)s（%(when)s，%(place)s）",
                title=r.title,
                when=_local(r.starts_at),
                place=r.place,
            ),
            f"/meetings/{r.id}",
        ),
    )


def orders_to_answer(actor: User, unit_id: int, now: datetime) -> Item | None:
    """点单 addressed to her unit that nobody there has accepted or declined."""
    rows, total = _first(
        sa.select(ResourceOrder.id, Project.title, Resource.title.label("res"))
        .join(Project, Project.id == ResourceOrder.project_id)
        .join(Resource, Resource.id == ResourceOrder.resource_id)
        .where(ResourceOrder.unit_id == unit_id, ResourceOrder.status == OrderStatus.REQUESTED)
        .order_by(ResourceOrder.created_at, ResourceOrder.id)
    )
    return _item(
        Role.UNIT_LIAISON,
        "orders_to_answer",
        rows,
        total,
        _("%(n)d 个点单待回复", n=total),
        "/orders",
        lambda r: Entry(
            _("“%(title)s”点单：%(resource)s", title=r.title, resource=r.res),
            f"/orders#order-{r.id}",
        ),
    )


def invitations_to_answer(actor: User, unit_id: int, now: datetime) -> Item | None:
    """邀请认领 sent to her unit for a project still open for claiming, which the unit has not
    claimed yet."""
    rows, total = _first(
        sa.select(Project.id, Project.title, Project.community_id)
        .join(
            Suggestion,
            sa.and_(
                Suggestion.target_type == TargetType.PROJECT, Suggestion.target_id == Project.id
            ),
        )
        .where(
            Suggestion.candidate_type == CandidateType.UNIT,
            Suggestion.candidate_id == unit_id,
            Suggestion.status == SuggestionStatus.ACTED,
            Project.status == ProjectStatus.PUBLISHED,
            Project.claim_deadline > now,
            Project.approved_count < Project.slots,
            ~sa.exists().where(
                Claim.project_id == Project.id,
                Claim.unit_id == unit_id,
                Claim.status.in_((ClaimStatus.PENDING, ClaimStatus.APPROVED)),
            ),
        )
        .order_by(Project.claim_deadline, Project.id)
    )
    link = f"/communities/{rows[0].community_id}/menu" if rows else "/"
    return _item(
        Role.UNIT_LIAISON,
        "invitations_to_answer",
        rows,
        total,
        _("%(n)d 个项目邀请贵单位认领", n=total),
        link,
        lambda r: Entry(r.title, f"/projects/{r.id}/claim"),
    )


def claims_decided(actor: User, unit_id: int, now: datetime) -> Item | None:
    """Her unit's claims approved or rejected in the last 7 days."""
    rows, total = _first(
        sa.select(Claim.id, Claim.status, Project.id.label("project_id"), Project.title)
        .join(Project, Project.id == Claim.project_id)
        .where(
            Claim.unit_id == unit_id,
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.REJECTED)),
            Claim.decided_at >= now - RECENT,
        )
        .order_by(Claim.decided_at.desc(), Claim.id.desc())
    )
    return _item(
        Role.UNIT_LIAISON,
        "claims_decided",
        rows,
        total,
        _("%(n)d 个认领有了结果", n=total),
        "/my/claims",
        lambda r: Entry(f"{r.title} · {r.status.label}", f"/projects/{r.project_id}"),
    )


def activities_to_staff(actor: User, unit_id: int, now: datetime) -> Item | None:
    """Sessions of projects her unit holds, starting within 7 days with seats still free."""
    rows, total = _first(
        sa.select(Activity.id, Activity.title, Activity.starts_at, Activity.capacity)
        .add_columns(Activity.confirmed_count)
        .where(
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.starts_at > now,
            Activity.starts_at <= now + STAFFING_WINDOW,
            Activity.confirmed_count < Activity.capacity,
            sa.exists().where(
                Claim.project_id == Activity.project_id,
                Claim.unit_id == unit_id,
                Claim.status == ClaimStatus.APPROVED,
            ),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    return _item(
        Role.UNIT_LIAISON,
        "activities_to_staff",
        rows,
        total,
        _("%(n)d 场活动还缺人手", n=total),
        "/my/claims",
        lambda r: Entry(
            _(
                "%(when)s %(title)s（已报名 %(n)d/%(cap)d）",
                when=_local(r.starts_at),
                title=r.title,
                n=r.confirmed_count,
                cap=r.capacity,
            ),
            f"/activities/{r.id}",
        ),
    )


LIAISON_KINDS = (
    meetings_invited,
    orders_to_answer,
    invitations_to_answer,
    claims_decided,
    activities_to_staff,
)


# --- 志愿者 ---------------------------------------------------------------------------------


def next_signups(actor: User, now: datetime) -> Item | None:
    """Her confirmed sign-ups not yet over, starting within 7 days; 去签到 from 30 minutes
    before the start until she has checked in."""
    rows, total = _first(
        sa.select(Activity.id, Activity.title, Activity.starts_at, Signup.checked_in_at)
        .join(Signup, Signup.activity_id == Activity.id)
        .where(
            Signup.volunteer_id == actor.id,
            Signup.status == SignupStatus.CONFIRMED,
            Signup.checked_out_at.is_(None),
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.ends_at > now,
            Activity.starts_at <= now + RECENT,
        )
        .order_by(Activity.starts_at, Activity.id)
    )

    def entry(r) -> Entry:
        text = f"{_local(r.starts_at)} {r.title}"
        if r.checked_in_at is None and r.starts_at - CHECKIN_OPENS <= now:
            return Entry(text, f"/activities/{r.id}", _("去签到"), f"/activities/{r.id}/checkin")
        return Entry(text, f"/activities/{r.id}")

    return _item(
        Role.VOLUNTEER,
        "next_signups",
        rows,
        total,
        _("%(n)d 场报名的活动即将开始", n=total),
        "/my/activities",
        entry,
    )


def pickups_expiring(actor: User, now: datetime) -> Item | None:
    """Her reserved rewards whose pickup deadline is within 3 days."""
    rows, total = _first(
        sa.select(Redemption.id, Redemption.item_name, Redemption.expires_at)
        .where(
            Redemption.volunteer_id == actor.id,
            Redemption.status == RedemptionStatus.RESERVED,
            Redemption.expires_at > now,
            Redemption.expires_at <= now + PICKUP_WARNING,
        )
        .order_by(Redemption.expires_at, Redemption.id)
    )
    return _item(
        Role.VOLUNTEER,
        "pickups_expiring",
        rows,
        total,
        _("%(n)d 件兑换物品即将过期，请尽快领取", n=total),
        "/supermarket/redemptions",
        lambda r: Entry(
            _("%(name)s（%(when)s 前领取）", name=r.item_name, when=_local(r.expires_at)),
            f"/supermarket/redemptions/{r.id}",
        ),
    )


def hours_decided(actor: User, now: datetime) -> Item | None:
    """Her hours verified or rejected in the last 7 days."""
    rows, total = _first(
        sa.select(
            ServiceRecord.id,
            ServiceRecord.hours,
            ServiceRecord.status,
            ServiceRecord.activity_id,
            ServiceRecord.service_date,
        )
        .where(
            ServiceRecord.volunteer_id == actor.id,
            ServiceRecord.origin != RecordOrigin.REVERSAL,
            ServiceRecord.status.in_((RecordStatus.VERIFIED, RecordStatus.REJECTED)),
            ServiceRecord.verified_at >= now - RECENT,
        )
        .order_by(ServiceRecord.verified_at.desc(), ServiceRecord.id.desc())
    )
    return _item(
        Role.VOLUNTEER,
        "hours_decided",
        rows,
        total,
        _("%(n)d 条服务时长有了核实结果", n=total),
        "/my/points",
        lambda r: Entry(
            f"{r.service_date.isoformat()} · {duration_text(r.hours)} · {r.status.label}",
            f"/activities/{r.activity_id}/checkin" if r.activity_id else "/my/points",
        ),
    )


VOLUNTEER_KINDS = (next_signups, pickups_expiring, hours_decided)


# --- 居民 -----------------------------------------------------------------------------------


def my_needs(actor: User, now: datetime) -> Item | None:
    """Her needs still open, each with where it stands, and those solved in the last 7 days."""
    rows, total = _first(
        sa.select(Need.id, Need.title, Need.status)
        .where(
            Need.requester_id == actor.id,
            sa.or_(
                Need.status.in_(time_limits.OPEN),
                sa.and_(Need.status == NeedStatus.RESOLVED, Need.updated_at >= now - RECENT),
            ),
        )
        .order_by(Need.created_at.desc(), Need.id.desc())
    )
    return _item(
        Role.RESIDENT,
        "my_needs",
        rows,
        total,
        _("我的需求：%(n)d 条有进展", n=total),
        "/my/needs",
        lambda r: Entry(f"{r.title} · {r.status.label}", f"/needs/{r.id}"),
    )


RESIDENT_KINDS = (my_needs,)


# --- 街道管理员 -----------------------------------------------------------------------------


def communities_without_secretary(actor: User, street_id: int, now: datetime) -> Item | None:
    """Communities of her street with no 社区书记 or 社区工作者 appointed."""
    rows, total = _first(
        sa.select(Community.id, Community.name)
        .where(
            Community.street_id == street_id,
            ~sa.exists().where(
                RoleGrant.community_id == Community.id, RoleGrant.role == Role.SECRETARY
            ),
        )
        .order_by(Community.id)
    )
    return _item(
        Role.STREET_ADMIN,
        "communities_without_secretary",
        rows,
        total,
        _("%(n)d 个社区尚未任命社区书记", n=total),
        "/settings/communities",
        lambda r: Entry(r.name, f"/settings/communities/{r.id}/staff/new"),
    )


def grids_short_of_staff(actor: User, street_id: int, now: datetime) -> Item | None:
    """Neighbourhoods of her street without a 网格长, or with fewer 网格员 than their
    households need (one per 150)."""
    members = (
        sa.select(sa.func.count())
        .where(
            GridAssignment.neighbourhood_id == Neighbourhood.id,
            GridAssignment.post == GridPost.MEMBER,
        )
        .scalar_subquery()
    )
    leader = sa.exists().where(
        GridAssignment.neighbourhood_id == Neighbourhood.id,
        GridAssignment.post == GridPost.LEADER,
    )
    per = HOUSEHOLDS_PER_GRID_MEMBER
    needed = (Neighbourhood.households + (per - 1)) // per  # rounded up
    rows, total = _first(
        sa.select(Neighbourhood.id, Neighbourhood.name, Community.name.label("community"))
        .join(Community, Community.id == Neighbourhood.community_id)
        .where(Community.street_id == street_id, sa.or_(~leader, members < needed))
        .order_by(Community.id, Neighbourhood.position, Neighbourhood.id)
    )
    return _item(
        Role.STREET_ADMIN,
        "grids_short_of_staff",
        rows,
        total,
        _("%(n)d 个网格缺网格长或网格员", n=total),
        "/settings/communities",
        lambda r: Entry(f"{r.community} · {r.name}", f"/settings/neighbourhoods/{r.id}"),
    )


def escalations_to_assign(actor: User, street_id: int, now: datetime) -> Item | None:
    """Needs her street's communities raised (吹哨) that no department has been assigned yet."""
    rows, total = _first(
        sa.select(Escalation.id, Need.title, Community.name.label("community"))
        .join(Need, Need.id == Escalation.need_id)
        .join(Community, Community.id == Escalation.community_id)
        .where(Community.street_id == street_id, Escalation.status == EscalationStatus.OPEN)
        .order_by(Escalation.raised_at, Escalation.id)
    )
    return _item(
        Role.STREET_ADMIN,
        "escalations_to_assign",
        rows,
        total,
        _("%(n)d 件吹哨事项待分派", n=total),
        f"/streets/{street_id}/escalations?status=open",
        lambda r: Entry(f"{r.community} · {r.title}", f"/escalations/{r.id}"),
    )


def escalations_overdue(actor: User, street_id: int, now: datetime) -> Item | None:
    """Raised needs her departments are handling past the deadline she set."""
    today = now.astimezone(COMMUNITY_TZ).date()
    rows, total = _first(
        sa.select(Escalation.id, Escalation.deadline, Need.title)
        .join(Need, Need.id == Escalation.need_id)
        .join(Community, Community.id == Escalation.community_id)
        .where(
            Community.street_id == street_id,
            Escalation.status == EscalationStatus.ASSIGNED,
            Escalation.deadline < today,
        )
        .order_by(Escalation.deadline, Escalation.id)
    )
    return _item(
        Role.STREET_ADMIN,
        "escalations_overdue",
        rows,
        total,
        _("%(n)d 件吹哨事项已超过办理期限", n=total),
        f"/streets/{street_id}/escalations?status=assigned&order=deadline",
        lambda r: Entry(
            _("%(title)s（期限 %(deadline)s）", title=r.title, deadline=r.deadline.isoformat()),
            f"/escalations/{r.id}",
        ),
    )


def _honour_rows(*conditions) -> sa.Select:
    return (
        sa.select(
            Honour.id,
            Honour.kind,
            Honour.year,
            sa.func.coalesce(Unit.name, Team.name).label("holder"),
            Community.name.label("community"),
        )
        .join(Community, Community.id == Honour.community_id)
        .outerjoin(Unit, Unit.id == Honour.unit_id)
        .outerjoin(Team, Team.id == Honour.team_id)
        .where(*conditions)
    )


def nominations_to_approve(actor: User, street_id: int, now: datetime) -> Item | None:
    """Honours her street's communities nominated, waiting for the street's decision."""
    rows, total = _first(
        _honour_rows(
            Community.street_id == street_id, Honour.status == HonourStatus.NOMINATED
        ).order_by(Honour.nominated_at, Honour.id)
    )
    return _item(
        Role.STREET_ADMIN,
        "nominations_to_approve",
        rows,
        total,
        _("%(n)d 项评选提名待审批", n=total),
        f"/streets/{street_id}/nominations",
        lambda r: Entry(
            f"{r.community} · {r.holder} · {r.year} {HonourKind(r.kind).label}",
            f"/honours/{r.id}",
        ),
    )


STREET_KINDS = (
    communities_without_secretary,
    grids_short_of_staff,
    escalations_to_assign,
    escalations_overdue,
    nominations_to_approve,
)


# --- Everything for one person --------------------------------------------------------------


def _names(model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


def todo_for(actor: User, now: datetime) -> list[Section]:
    """Her to-do list, one section per role she holds (and per community, unit or street of
    it), in the order of the roles. A role with nothing waiting still has its section."""
    grants = sorted(actor.grants, key=lambda g: (list(Role).index(g.role), g.id))
    streets = _names(Street, {g.street_id for g in grants if g.role is Role.STREET_ADMIN})
    units = _names(Unit, {g.unit_id for g in grants if g.role is Role.UNIT_LIAISON})
    managed = {g.community_id for g in grants if g.role is Role.SECRETARY}
    communities = _names(Community, managed)
    sections: list[Section] = []
    seen: set[tuple] = set()
    for grant in grants:
        if grant.role is Role.STREET_ADMIN:
            key, kinds, scope = (grant.role, grant.street_id), STREET_KINDS, grant.street_id
            heading = f"{grant.label} · {streets.get(grant.street_id, '')}"
        elif grant.role is Role.SECRETARY:
            key, kinds, scope = (
                (grant.role, grant.community_id),
                SECRETARY_KINDS,
                grant.community_id,
            )
            heading = f"{grant.label} · {communities.get(grant.community_id, '')}"
        elif grant.role is Role.UNIT_LIAISON:
            key, kinds, scope = (grant.role, grant.unit_id), LIAISON_KINDS, grant.unit_id
            heading = f"{grant.label} · {units.get(grant.unit_id, '')}"
        elif grant.role is Role.VOLUNTEER:
            key, kinds, scope, heading = (grant.role,), VOLUNTEER_KINDS, None, grant.label
        elif grant.role is Role.RESIDENT:
            key, kinds, scope, heading = (grant.role,), RESIDENT_KINDS, None, grant.label
        else:
            continue  # 积分超市 staff work at the counter, which is their home page
        if key in seen:
            continue
        seen.add(key)
        if scope is None:
            found = [kind(actor, now) for kind in kinds]
        else:
            found = [kind(actor, scope, now) for kind in kinds]
        sections.append(Section(grant.role, heading, [i for i in found if i is not None]))
    return sections


def items_of(sections: list[Section]) -> list[Item]:
    return [item for section in sections for item in section.items]


def count_for(actor: User, now: datetime) -> int:
    """How many things wait for her in all (the number beside 待办 in the menu)."""
    return sum(section.count for section in todo_for(actor, now))
