"""Awarding a month's 月月红 badges, community by community, computed with GROUP BY.

For the month (``2026-10``) and a community:

- **月月红 (theme)**: every volunteer whose verified hours, net of reversals, in the community's
  activities carrying that month's theme (``activities.theme_month``) are above zero.
- **Hour tiers**: her verified hours with a service date in the month, net of reversals. *Every*
  tier reached is awarded (20 h earns bronze, silver and gold), not only the highest: tiers are
  milestones, so a late verification that lifts her from 12 h to 22 h only adds gold and never
  marks silver revoked on her wall, and the bonus points (posted once per award and kept) come
  to the same total however the hours arrived. Pages show the highest tier first.
- **月度共建之星 (unit)**: for each unit serving the community (a membership), a score of
  ``CLAIM_HOURS`` for each of its claims fulfilled in the month on the community's projects,
  plus the verified hours in the month of volunteers whose work unit (在职党员双报到) it is.
  The top score wins, ties share, and only a score above zero.

The database works out the wanted awards, evidence included, into a temporary table, and the
community's awards for the month are brought in line with it by a few set-based statements (a
city's month is a million and a half awards that never come to Python): new ones are inserted,
ones that no longer hold are revoked with a reason (never deleted), revoked ones that hold again
are restored, and evidence is brought up to date. Bonus points go through the ledger once per
award (``badge_award:<id>``, ``ledger.bulk.credit_from_pool``). Running a month twice changes
nothing the second time.

A verification or a reversal after the month was awarded (its ``monthly_badges`` run is done)
re-evaluates that volunteer's badges and the community's unit badge in the same transaction
(``record_changed``, called by ``hours.service``).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from coop.activities.models import Activity
from coop.alliance.models import Community, Membership
from coop.badges import catalog, kept_roll, telling
from coop.badges.catalog import ensure_catalog
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.badges.themes import theme_of
from coop.claims.models import Claim, ClaimStatus
from coop.extensions import db
from coop.hours.models import RecordStatus, ServiceRecord, hours_text
from coop.jobruns import periods
from coop.jobruns.models import JobRun, RunStatus
from coop.ledger import bulk as ledger_bulk
from coop.ledger.models import Posting, PostingKind
from coop.people.models import VolunteerProfile
from coop.projects.models import Project

JOB_NAME = "monthly_badges"
MONTHLY_CODES = (
    catalog.THEME,
    catalog.HOURS_BRONZE,
    catalog.HOURS_SILVER,
    catalog.HOURS_GOLD,
    catalog.UNIT_STAR,
)
# Highest first; the hours a volunteer needs in the month for each.
TIERS = (
    (catalog.HOURS_GOLD, Decimal(20)),
    (catalog.HOURS_SILVER, Decimal(10)),
    (catalog.HOURS_BRONZE, Decimal(4)),
)
# A fulfilled claim counts as half a day of service in the unit's score.
CLAIM_HOURS = Decimal(4)


@dataclass(frozen=True)
class Month:
    period: str
    first: date  # the month's first day (service dates count from here)
    after: date  # the next month's first day
    start: datetime  # the same as moments in community time (fulfilled_at counts in these)
    end: datetime

    @classmethod
    def of(cls, period: str) -> "Month":
        """:raise BadPeriod: not a month like 2026-10."""
        start = periods.start(periods.Cadence.MONTHLY, period)
        end = periods.end(periods.Cadence.MONTHLY, period)
        return cls(period.strip(), start.date(), end.date(), start, end)


def all_community_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Community.id).order_by(Community.id)))


def monthly_badges(
    period: str,
    *,
    now: datetime,
    community_ids: Iterable[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Award the month's badges in each community (all of them by default), revoking what no
    longer holds and restoring what holds again; ``progress`` hears how many communities are
    done. Flushes, never commits: the job commits community by community. Returns the counts.

    :raise BadPeriod: not a month like 2026-10.
    """
    month = Month.of(period)
    ensure_catalog()
    ids = list(community_ids) if community_ids is not None else all_community_ids()
    counts = Counter({"communities": 0, "granted": 0, "restored": 0, "revoked": 0, "bonuses": 0})
    for done, community_id in enumerate(ids, start=1):
        counts.update(_evaluate(community_id, month, now=now))
        kept_roll.forget_after_commit(db.session(), community_id)  # written with Core
        counts["communities"] += 1
        if progress is not None:
            progress(done)
    return dict(counts)


def record_changed(record: ServiceRecord, *, now: datetime) -> None:
    """Re-evaluate the month of a record verified or reversed after that month was awarded:
    her badges and the community's unit badge, in the caller's transaction. Months not yet
    awarded are left to the job."""
    months = {f"{record.service_date:%Y-%m}"}
    if record.activity_id is not None:
        themed = db.session.scalar(
            sa.select(Activity.theme_month).where(Activity.id == record.activity_id)
        )
        if themed:
            months.add(themed)
    awarded = db.session.scalars(
        sa.select(JobRun.period).where(
            JobRun.name == JOB_NAME, JobRun.period.in_(months), JobRun.status == RunStatus.DONE
        )
    ).all()
    for period in sorted(awarded):
        _evaluate(record.community_id, Month.of(period), now=now, volunteer_id=record.volunteer_id)


# The month's figures, as SELECTs ----------------------------------------------------------


def _verified(community_id: int, month: Month | None, volunteer_id: int | None) -> list:
    """Verified records (reversals included, so sums are net) of the community; in the month's
    service dates if given; hers only if given."""
    where = [
        ServiceRecord.community_id == community_id,
        ServiceRecord.status == RecordStatus.VERIFIED,
    ]
    if month is not None:
        where += [
            ServiceRecord.service_date >= month.first,
            ServiceRecord.service_date < month.after,
        ]
    if volunteer_id is not None:
        where.append(ServiceRecord.volunteer_id == volunteer_id)
    return where


def _hours_select(community_id: int, month: Month, volunteer_id: int | None) -> sa.Select:
    """(holder_id, hours): each volunteer's verified hours with a service date in the month."""
    return (
        sa.select(
            ServiceRecord.volunteer_id.label("holder_id"),
            sa.func.sum(ServiceRecord.hours).label("hours"),
        )
        .where(*_verified(community_id, month, volunteer_id))
        .group_by(ServiceRecord.volunteer_id)
    )


def _community_hours(community_id: int, month: Month):
    return _hours_select(community_id, month, None).subquery("community_hours")


def _themed_select(community_id: int, month: Month, volunteer_id: int | None) -> sa.Select:
    """(holder_id, hours, activities): her verified hours in the month's themed activities, and
    in how many of them they come to more than zero."""
    per_activity = (
        sa.select(
            ServiceRecord.volunteer_id,
            ServiceRecord.activity_id,
            sa.func.sum(ServiceRecord.hours).label("hours"),
        )
        .join(Activity, Activity.id == ServiceRecord.activity_id)
        .where(*_verified(community_id, None, volunteer_id), Activity.theme_month == month.period)
        .group_by(ServiceRecord.volunteer_id, ServiceRecord.activity_id)
        .subquery("per_activity")
    )
    return sa.select(
        per_activity.c.volunteer_id.label("holder_id"),
        sa.func.sum(per_activity.c.hours).label("hours"),
        sa.func.sum(sa.case((per_activity.c.hours > 0, 1), else_=0)).label("activities"),
    ).group_by(per_activity.c.volunteer_id)


def _unit_scores_select(community_id: int, month: Month, hours) -> sa.Select:
    """(unit_id, claims, hours, score) of each unit serving the community that did anything;
    ``hours`` is every volunteer's (holder_id, hours) in the month (``_hours_select``)."""
    members = sa.select(Membership.unit_id).where(Membership.community_id == community_id)
    claims = (
        sa.select(
            Claim.unit_id.label("unit_id"),
            sa.func.count().label("claims"),
            sa.literal(0).label("hours"),
        )
        .join(Project, Project.id == Claim.project_id)
        .where(
            Project.community_id == community_id,
            Claim.status == ClaimStatus.FULFILLED,
            Claim.fulfilled_at >= month.start,
            Claim.fulfilled_at < month.end,
            Claim.unit_id.in_(members),
        )
        .group_by(Claim.unit_id)
    )
    members_hours = (
        sa.select(
            VolunteerProfile.work_unit_id.label("unit_id"),
            sa.literal(0).label("claims"),
            sa.func.sum(hours.c.hours).label("hours"),
        )
        .join(VolunteerProfile, VolunteerProfile.user_id == hours.c.holder_id)
        .where(VolunteerProfile.work_unit_id.in_(members))
        .group_by(VolunteerProfile.work_unit_id)
    )
    both = sa.union_all(claims, members_hours).subquery("both_parts")
    claims_n, hours_n = sa.func.sum(both.c.claims), sa.func.sum(both.c.hours)
    return sa.select(
        both.c.unit_id,
        claims_n.label("claims"),
        hours_n.label("hours"),
        (CLAIM_HOURS * claims_n + hours_n).label("score"),
    ).group_by(both.c.unit_id)


def _number(value):
    """2.00 → 2 and 1.50 → 1.5 in the evidence, as people read hours."""
    whole = sa.cast(value, sa.Integer)
    return sa.case((value == whole, whole), else_=value)


def _json_object(**pairs):
    """A JSON object built by the database: its keys are ours, never user input."""
    function = (
        sa.func.json_build_object
        if db.session.get_bind().dialect.name == "postgresql"
        else sa.func.json_object
    )
    args = []
    for key, value in pairs.items():
        args += [sa.literal_column(f"'{key}'"), value]
    return function(*args, type_=sa.JSON)


def _same_json(a, b):
    if db.session.get_bind().dialect.name == "postgresql":  # json has no equality; jsonb has
        return sa.cast(a, postgresql.JSONB) == sa.cast(b, postgresql.JSONB)
    return sa.func.json(a) == sa.func.json(b)


def _wanted_select(
    community_id: int, month: Month, badges: dict, volunteer_id: int | None
) -> sa.Select:
    """(badge_id, holder_type, holder_id, evidence): every award the month's figures earn."""
    hours = _hours_select(community_id, month, volunteer_id).cte("month_hours")
    themed = _themed_select(community_id, month, volunteer_id).subquery("themed")
    everyone = hours if volunteer_id is None else _community_hours(community_id, month)
    scores = _unit_scores_select(community_id, month, everyone).cte("unit_scores")
    title = theme_of(community_id, month.first.month).title
    volunteer, unit = (sa.literal(t.value, sa.String) for t in HolderType)

    def award(code: str, holder_type, holder_id, evidence):
        return sa.select(
            sa.literal(badges[code].id, sa.Integer).label("badge_id"),
            holder_type.label("holder_type"),
            holder_id.label("holder_id"),
            evidence.label("evidence"),
        )

    theme = award(
        catalog.THEME,
        volunteer,
        themed.c.holder_id,
        _json_object(
            theme=sa.cast(sa.literal(title), sa.Text),
            hours=_number(themed.c.hours),
            activities=themed.c.activities,
        ),
    ).where(themed.c.hours > 0)
    tiers = [
        award(code, volunteer, hours.c.holder_id, _json_object(hours=_number(hours.c.hours))).where(
            hours.c.hours >= need
        )
        for code, need in TIERS
    ]
    top = sa.select(sa.func.max(scores.c.score)).scalar_subquery()
    star = award(
        catalog.UNIT_STAR,
        unit,
        scores.c.unit_id,
        _json_object(
            score=_number(scores.c.score), claims=scores.c.claims, hours=_number(scores.c.hours)
        ),
    ).where(scores.c.score > 0, scores.c.score == top)
    return sa.union_all(theme, *tiers, star)


# Applying the difference -------------------------------------------------------------------

# The awards the figures earn, while one community's month is brought in line with them.
WANTED = sa.Table(
    "wanted_awards",
    sa.MetaData(),
    sa.Column("badge_id", sa.Integer, primary_key=True),
    sa.Column("holder_type", sa.String(32), primary_key=True),
    sa.Column("holder_id", sa.Integer, primary_key=True),
    sa.Column("evidence", sa.JSON),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _evaluate(
    community_id: int, month: Month, *, now: datetime, volunteer_id: int | None = None
) -> Counter:
    """Bring one community's awards for the month in line with its figures; with
    ``volunteer_id``, only hers and the unit badge (whose winner may change with her hours).

    The wanted awards go into a temporary table, made by the database from its GROUP BYs, and
    the awards are brought in line with a few set-based statements: a city month is a million
    rows that never come to Python."""
    badges = ensure_catalog()
    monthly_ids = [badges[code].id for code in MONTHLY_CODES]
    award, wanted = BadgeAward.__table__, WANTED
    db.session.execute(sa.schema.CreateTable(wanted, if_not_exists=True))
    db.session.execute(sa.delete(wanted))
    db.session.execute(
        sa.insert(wanted).from_select(
            ["badge_id", "holder_type", "holder_id", "evidence"],
            _wanted_select(community_id, month, badges, volunteer_id),
        )
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Autovacuum never sees a temporary table: without statistics the planner would take
        # its tens of thousands of rows for a handful and join them row by row.
        db.session.execute(sa.text(f"ANALYZE {wanted.name}"))
    mine = [
        award.c.community_id == community_id,
        award.c.period == month.period,
        award.c.badge_id.in_(monthly_ids),
    ]
    if volunteer_id is not None:
        mine.append(
            sa.or_(
                award.c.holder_type == HolderType.UNIT,
                sa.and_(
                    award.c.holder_type == HolderType.VOLUNTEER,
                    award.c.holder_id == volunteer_id,
                ),
            )
        )
    same = sa.and_(
        award.c.badge_id == wanted.c.badge_id,
        award.c.holder_type == wanted.c.holder_type,
        award.c.holder_id == wanted.c.holder_id,
    )
    counts = Counter()
    restoring = db.session.scalars(
        sa.select(award.c.id).where(*mine, same, award.c.revoked_at.is_not(None))
    ).all()
    newer_than = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(award.c.id), 0)))
    counts["restored"] = db.session.execute(
        sa.update(award)
        .where(*mine, same, award.c.revoked_at.is_not(None))
        .values(revoked_at=None, revoke_reason="", evidence=wanted.c.evidence)
    ).rowcount
    db.session.execute(
        sa.update(award)
        .where(*mine, same, ~_same_json(award.c.evidence, wanted.c.evidence))
        .values(evidence=wanted.c.evidence)
    )
    revocations = _revoke_unearned(community_id, month, mine, same, now)
    counts["revoked"] = len(revocations)
    counts["granted"] = db.session.execute(
        _insert_new(award)
        .from_select(
            [
                "badge_id",
                "holder_type",
                "holder_id",
                "community_id",
                "period",
                "evidence",
                "awarded_at",
                "revoked_at",
                "revoke_reason",
            ],
            sa.select(
                wanted.c.badge_id,
                wanted.c.holder_type,
                wanted.c.holder_id,
                sa.literal(community_id, sa.Integer),
                sa.literal(month.period, sa.String),
                wanted.c.evidence,
                sa.literal(now, award.c.awarded_at.type),
                sa.null(),
                sa.literal("", sa.Text),
            )
            .where(~sa.select(award.c.id).where(*mine, same).exists())
            .order_by(wanted.c.badge_id, wanted.c.holder_id),
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)  # only UPDATE and DELETE have it by default
    ).rowcount
    if counts["granted"] or counts["restored"] or counts["revoked"]:
        _forget_loaded_awards()
    # Ids are drawn after ``newer_than`` was read, so the awards inserted above are above it.
    told = sa.or_(award.c.id > newer_than, award.c.id.in_(restoring))
    if volunteer_id is not None:  # a late re-evaluation: a few awards, told one by one
        telling.granted_one_by_one(
            db.session.scalars(sa.select(award.c.id).where(*mine, told)).all()
        )
    elif counts["granted"] or counts["restored"]:
        telling.granted_in_bulk(sa.and_(*mine, told), community_id, month.period, now)
    telling.revoked(revocations, community_id, month.period)
    if counts["granted"]:  # a restored award was paid when first granted
        counts["bonuses"] = _post_missing_bonuses(community_id, month.period)
    return counts


def _insert_new(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _revoke_unearned(community_id: int, month: Month, mine: list, same, now: datetime) -> list:
    """Revoke the live awards the figures no longer earn, each with the reason its holder reads.
    Few rows (a reversal, a unit overtaken), so the reasons are written here. Returns what was
    revoked: award_id, reason, holder_type, holder_id and the badge's name."""
    award = BadgeAward.__table__
    gone = db.session.execute(
        sa.select(award.c.id, award.c.badge_id, award.c.holder_id)
        .where(
            *mine, award.c.revoked_at.is_(None), ~sa.select(WANTED.c.badge_id).where(same).exists()
        )
        .order_by(award.c.id)
    ).all()
    if not gone:
        return []
    code_of = {badge.id: code for code, badge in ensure_catalog().items()}
    volunteers = [
        holder for _id, badge_id, holder in gone if code_of[badge_id] != catalog.UNIT_STAR
    ]
    hours = dict(
        db.session.execute(
            _hours_select(community_id, month, None).where(
                ServiceRecord.volunteer_id.in_(volunteers)
            )
        ).all()
    )
    scores = {
        row.unit_id: row.score
        for row in db.session.execute(
            _unit_scores_select(community_id, month, _community_hours(community_id, month))
        )
    }
    theme = theme_of(community_id, month.first.month).title
    catalogue = ensure_catalog()
    reasons = [
        {
            "award_id": award_id,
            "reason": _reason(code_of[badge_id], holder_id, theme, hours, scores),
            "holder_type": catalogue[code_of[badge_id]].holder_type,
            "holder_id": holder_id,
            "badge": catalogue[code_of[badge_id]].name,
        }
        for award_id, badge_id, holder_id in gone
    ]
    db.session.execute(
        sa.update(award)
        .where(award.c.id == sa.bindparam("award_id"))
        .values(revoked_at=now, revoke_reason=sa.bindparam("reason")),
        [{"award_id": r["award_id"], "reason": r["reason"]} for r in reasons],
    )
    return reasons


def _reason(code: str, holder_id: int, theme: str, hours: dict, scores: dict) -> str:
    """Why an award no longer holds, in the words its holder reads on her wall."""
    if code == catalog.THEME:
        return _(
            "当月主题活动「%(theme)s」的核实服务时长经冲正后为 0，不再符合月月红条件", theme=theme
        )
    if code == catalog.UNIT_STAR:
        score = Decimal(scores.get(holder_id) or 0)
        if score <= 0:
            return _("本月已没有完成的认领，也没有本单位志愿者的核实时长")
        return _(
            "本月共建得分 %(score)s，低于社区最高的 %(top)s",
            score=hours_text(score),
            top=hours_text(max(scores.values())),
        )
    return _(
        "本月核实时长经冲正后为 %(hours)s 小时，不足 %(need)s 小时",
        hours=hours_text(hours.get(holder_id) or 0),
        need=hours_text(dict(TIERS)[code]),
    )


def _forget_loaded_awards() -> None:
    """Bulk statements bypass the identity map: awards loaded earlier reload when next read."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, BadgeAward):
            db.session.expire(obj)


def _post_missing_bonuses(community_id: int, period: str) -> int:
    """Post the bonus of every wanted award that carries one and has none yet (a restored award
    was paid when first granted), set-based (``ledger.bulk.credit_from_pool``). Read from the
    analysed wanted table, whose row count the planner knows, rather than from awards inserted
    moments ago, which it would take for none."""
    award, wanted = BadgeAward.__table__, WANTED
    posted = sa.select(Posting.id).where(
        Posting.source_type == "badge_award", Posting.source_id == award.c.id
    )
    rows = (
        sa.select(
            (sa.literal("badge_award:") + sa.cast(award.c.id, sa.String)).label("key"),
            award.c.id.label("source_id"),
            Badge.name.label("memo"),
            award.c.holder_id.label("owner_id"),
            Badge.bonus_points.label("amount"),
        )
        .select_from(wanted)
        .join(Badge, Badge.id == wanted.c.badge_id)
        .join(
            award,
            sa.and_(
                award.c.badge_id == wanted.c.badge_id,
                award.c.holder_type == wanted.c.holder_type,
                award.c.holder_id == wanted.c.holder_id,
                award.c.community_id == community_id,
                award.c.period == period,
            ),
        )
        .where(
            wanted.c.holder_type == HolderType.VOLUNTEER,
            award.c.revoked_at.is_(None),
            Badge.bonus_points > 0,
            ~posted.exists(),
        )
    )
    return ledger_bulk.credit_from_pool(
        community_id, rows, kind=PostingKind.BADGE, source_type="badge_award"
    )
