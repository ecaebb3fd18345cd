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

The wanted awards are diffed against the community's awards for the month: new ones are inserted
in bulk, ones that no longer hold are revoked with a reason (never deleted), revoked ones that
hold again are restored, and evidence is brought up to date. Bonus points go through the ledger
once per award (``badge_award:<id>``). Running a month twice changes nothing the second time.

A verification or a reversal after the month was awarded (its ``monthly_badges`` run is done)
re-evaluates that volunteer's badges and the community's unit badge in the same transaction
(``record_changed``, called by ``hours.service``).
"""

import json
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
from coop.badges import catalog
from coop.badges.catalog import ensure_catalog
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.badges.themes import theme_of
from coop.claims.models import Claim, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordStatus, ServiceRecord, hours_text
from coop.jobruns import periods
from coop.jobruns.models import JobRun, RunStatus
from coop.ledger import service as ledger
from coop.ledger.models import Account, AccountType, Posting, PostingKind
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
CHUNK = 5000  # rows per bulk statement

Key = tuple[str, HolderType, int]  # (badge code, holder type, holder id)


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


# What the month's figures say -------------------------------------------------------------


def _verified_in(community_id: int):
    return (
        ServiceRecord.community_id == community_id,
        ServiceRecord.status == RecordStatus.VERIFIED,
    )


def _hours_in_month(community_id: int, month: Month, volunteer_id: int | None) -> dict:
    """Each volunteer's verified hours with a service date in the month, net of reversals."""
    query = (
        sa.select(ServiceRecord.volunteer_id, sa.func.sum(ServiceRecord.hours))
        .where(
            *_verified_in(community_id),
            ServiceRecord.service_date >= month.first,
            ServiceRecord.service_date < month.after,
        )
        .group_by(ServiceRecord.volunteer_id)
    )
    if volunteer_id is not None:
        query = query.where(ServiceRecord.volunteer_id == volunteer_id)
    return {vid: Decimal(hours or 0) for vid, hours in db.session.execute(query)}


def _themed_hours(community_id: int, month: Month, volunteer_id: int | None) -> dict:
    """(net hours, activities with net hours above zero) in the month's themed activities."""
    per_activity = (
        sa.select(
            ServiceRecord.volunteer_id.label("volunteer_id"),
            ServiceRecord.activity_id.label("activity_id"),
            sa.func.sum(ServiceRecord.hours).label("hours"),
        )
        .join(Activity, Activity.id == ServiceRecord.activity_id)
        .where(*_verified_in(community_id), Activity.theme_month == month.period)
        .group_by(ServiceRecord.volunteer_id, ServiceRecord.activity_id)
    )
    if volunteer_id is not None:
        per_activity = per_activity.where(ServiceRecord.volunteer_id == volunteer_id)
    per_activity = per_activity.subquery()
    query = sa.select(
        per_activity.c.volunteer_id,
        sa.func.sum(per_activity.c.hours),
        sa.func.sum(sa.case((per_activity.c.hours > 0, 1), else_=0)),
    ).group_by(per_activity.c.volunteer_id)
    return {vid: (Decimal(h or 0), int(n or 0)) for vid, h, n in db.session.execute(query)}


def _unit_scores(community_id: int, month: Month, hours_in_month: dict | None) -> dict[int, dict]:
    """Each serving unit's fulfilled claims, its volunteers' hours, and its score. Given every
    volunteer's hours in the month (``_hours_in_month`` for the whole community), the units'
    hours are summed from them instead of read again."""
    members = sa.select(Membership.unit_id).where(Membership.community_id == community_id)
    claims = dict(
        db.session.execute(
            sa.select(Claim.unit_id, sa.func.count())
            .join(Project, Project.id == Claim.project_id)
            .where(
                Project.community_id == community_id,
                Claim.status == ClaimStatus.FULFILLED,
                Claim.fulfilled_at >= month.start,
                Claim.fulfilled_at < month.end,
                Claim.unit_id.in_(members),
            )
            .group_by(Claim.unit_id)
        ).all()
    )
    if hours_in_month is not None:
        hours: dict = {}
        for vid, unit_id in db.session.execute(
            sa.select(VolunteerProfile.user_id, VolunteerProfile.work_unit_id).where(
                VolunteerProfile.work_unit_id.in_(members)
            )
        ):
            if vid in hours_in_month:
                hours[unit_id] = hours.get(unit_id, Decimal(0)) + hours_in_month[vid]
    else:
        hours = _unit_hours(community_id, month, members)
    scores = {}
    for unit_id in set(claims) | set(hours):
        n, h = int(claims.get(unit_id, 0)), Decimal(hours.get(unit_id) or 0)
        scores[unit_id] = {"claims": n, "hours": h, "score": CLAIM_HOURS * n + h}
    return scores


def _unit_hours(community_id: int, month: Month, members) -> dict:
    return dict(
        db.session.execute(
            sa.select(VolunteerProfile.work_unit_id, sa.func.sum(ServiceRecord.hours))
            .join(VolunteerProfile, VolunteerProfile.user_id == ServiceRecord.volunteer_id)
            .where(
                *_verified_in(community_id),
                ServiceRecord.service_date >= month.first,
                ServiceRecord.service_date < month.after,
                VolunteerProfile.work_unit_id.in_(members),
            )
            .group_by(VolunteerProfile.work_unit_id)
        ).all()
    )


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


class _Figures:
    """The month's figures for one community (or one volunteer of it), and what they earn."""

    def __init__(self, community_id: int, month: Month, volunteer_id: int | None):
        self.hours = _hours_in_month(community_id, month, volunteer_id)
        self.themed = _themed_hours(community_id, month, volunteer_id)
        self.theme = theme_of(community_id, month.first.month).title
        self.units = _unit_scores(community_id, month, self.hours if volunteer_id is None else None)
        self.top = max((u["score"] for u in self.units.values()), default=Decimal(0))

    def wanted(self) -> dict[Key, dict]:
        wanted: dict[Key, dict] = {}
        volunteer = HolderType.VOLUNTEER
        for vid, (hours, activities) in self.themed.items():
            if hours > 0:
                wanted[(catalog.THEME, volunteer, vid)] = {
                    "theme": self.theme,
                    "hours": _number(hours),
                    "activities": activities,
                }
        for vid, hours in self.hours.items():
            for code, need in TIERS:
                if hours >= need:
                    wanted[(code, volunteer, vid)] = {"hours": _number(hours)}
        if self.top > 0:
            for unit_id, figures in self.units.items():
                if figures["score"] == self.top:
                    wanted[(catalog.UNIT_STAR, HolderType.UNIT, unit_id)] = {
                        "score": _number(figures["score"]),
                        "claims": figures["claims"],
                        "hours": _number(figures["hours"]),
                    }
        return wanted

    def reason(self, key: Key) -> str:
        """Why an award no longer holds, in the words its holder reads on her wall."""
        code, _holder_type, holder_id = key
        if code == catalog.THEME:
            return _(
                "当月主题活动「%(theme)s」的核实服务时长经冲正后为 0，不再符合月月红条件",
                theme=self.theme,
            )
        if code == catalog.UNIT_STAR:
            score = self.units.get(holder_id, {}).get("score", Decimal(0))
            if score <= 0:
                return _("本月已没有完成的认领，也没有本单位志愿者的核实时长")
            return _(
                "本月共建得分 %(score)s，低于社区最高的 %(top)s",
                score=hours_text(score),
                top=hours_text(self.top),
            )
        need = dict(TIERS)[code]
        return _(
            "本月核实时长经冲正后为 %(hours)s 小时，不足 %(need)s 小时",
            hours=hours_text(self.hours.get(holder_id, Decimal(0))),
            need=hours_text(need),
        )


# Applying the difference -------------------------------------------------------------------


def _evaluate(
    community_id: int, month: Month, *, now: datetime, volunteer_id: int | None = None
) -> Counter:
    """Bring one community's awards for the month in line with its figures; with
    ``volunteer_id``, only hers and the unit badge (whose winner may change with her hours)."""
    badges = ensure_catalog()
    code_of = {badges[code].id: code for code in MONTHLY_CODES}
    figures = _Figures(community_id, month, volunteer_id)
    wanted = figures.wanted()

    existing = sa.select(
        BadgeAward.id,
        BadgeAward.badge_id,
        BadgeAward.holder_type,
        BadgeAward.holder_id,
        BadgeAward.revoked_at,
        BadgeAward.evidence,
    ).where(
        BadgeAward.community_id == community_id,
        BadgeAward.period == month.period,
        BadgeAward.badge_id.in_(code_of),
    )
    if volunteer_id is not None:
        existing = existing.where(
            sa.or_(
                BadgeAward.holder_type == HolderType.UNIT,
                sa.and_(
                    BadgeAward.holder_type == HolderType.VOLUNTEER,
                    BadgeAward.holder_id == volunteer_id,
                ),
            )
        )

    counts = Counter()
    updates: list[dict] = []
    for award_id, badge_id, holder_type, holder_id, revoked_at, evidence in db.session.execute(
        existing
    ):
        key = (code_of[badge_id], HolderType(holder_type), holder_id)
        if key in wanted:
            fresh = wanted.pop(key)
            if revoked_at is not None:
                updates.append(
                    {"id": award_id, "revoked_at": None, "revoke_reason": "", "evidence": fresh}
                )
                counts["restored"] += 1
            elif evidence != fresh:
                updates.append({"id": award_id, "evidence": fresh})
        elif revoked_at is None:
            updates.append(
                {"id": award_id, "revoked_at": now, "revoke_reason": figures.reason(key)}
            )
            counts["revoked"] += 1

    new = [
        {
            "badge_id": badges[code].id,
            "holder_type": holder_type,
            "holder_id": holder_id,
            "community_id": community_id,
            "period": month.period,
            "evidence": evidence,
            "awarded_at": now,
            "revoked_at": None,
            "revoke_reason": "",
        }
        for (code, holder_type, holder_id), evidence in sorted(
            wanted.items(), key=lambda item: (item[0][0], item[0][2])
        )
    ]
    counts["granted"] += len(new)
    _insert_awards(new)
    _bulk(sa.update(BadgeAward), updates)
    if new or updates:
        _forget_loaded_awards()
    if new or counts["restored"]:
        counts["bonuses"] += _post_missing_bonuses(community_id, month.period, volunteer_id)
    return counts


# On PostgreSQL each column goes as one array parameter: one short statement per chunk, which
# the client neither renders nor the server parses row by row.
PG_INSERT_AWARDS = sa.text(
    "INSERT INTO badge_awards (badge_id, holder_type, holder_id, community_id, period, evidence,"
    " awarded_at, revoked_at, revoke_reason)"
    " SELECT badge_id, holder_type, holder_id, :community_id, :period, CAST(evidence AS json),"
    " :now, NULL, ''"
    " FROM unnest(CAST(:badge_ids AS integer[]), CAST(:holder_types AS varchar[]),"
    " CAST(:holder_ids AS integer[]), CAST(:evidence AS text[]))"
    " AS l(badge_id, holder_type, holder_id, evidence)"
).bindparams(sa.bindparam("now", type_=BadgeAward.__table__.c.awarded_at.type))


def _insert_awards(rows: list[dict]) -> None:
    """Insert new awards (all of one community, period and moment) in bulk."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        _bulk(sa.insert(BadgeAward.__table__), rows)  # Core executemany: no ORM bookkeeping
        return
    first = rows[0]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        db.session.execute(
            PG_INSERT_AWARDS,
            {
                "community_id": first["community_id"],
                "period": first["period"],
                "now": first["awarded_at"],
                "badge_ids": [r["badge_id"] for r in chunk],
                "holder_types": [HolderType(r["holder_type"]).value for r in chunk],
                "holder_ids": [r["holder_id"] for r in chunk],
                "evidence": [json.dumps(r["evidence"], ensure_ascii=False) for r in chunk],
            },
        )


def _bulk(statement, rows: list[dict]) -> None:
    """ORM bulk INSERT, or bulk UPDATE by primary key, a chunk at a time."""
    for start in range(0, len(rows), CHUNK):
        db.session.execute(statement, rows[start : start + CHUNK])


def _forget_loaded_awards() -> None:
    """Bulk statements bypass the identity map: awards loaded earlier reload when next read."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, BadgeAward):
            db.session.expire(obj)


def _post_missing_bonuses(community_id: int, period: str, volunteer_id: int | None) -> int:
    """Post the bonus of every live award of the month that carries one and has none yet (a
    restored award was posted when first granted, so it finds its posting and is skipped), in
    one ``ledger.post_many`` call: rows, never ORM objects."""
    posted = sa.select(Posting.id).where(
        Posting.source_type == "badge_award", Posting.source_id == BadgeAward.id
    )
    query = (
        sa.select(BadgeAward.id, BadgeAward.holder_id, Badge.bonus_points, Badge.name)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(
            BadgeAward.community_id == community_id,
            BadgeAward.period == period,
            BadgeAward.holder_type == HolderType.VOLUNTEER,
            BadgeAward.revoked_at.is_(None),
            Badge.bonus_points > 0,
            ~posted.exists(),
        )
        .order_by(BadgeAward.id)  # the ledger posts in a stable order
    )
    if volunteer_id is not None:
        query = query.where(BadgeAward.holder_id == volunteer_id)
    awards = db.session.execute(query).all()
    if not awards:
        return 0
    pool = ledger.account_for(AccountType.POOL, community_id)
    accounts = _volunteer_accounts(community_id, sorted({a.holder_id for a in awards}))
    new = ledger.post_many(
        [
            ledger.NewPosting(
                key=f"badge_award:{award_id}",
                kind=PostingKind.BADGE,
                source_type="badge_award",
                source_id=award_id,
                lines=[(pool.id, -bonus), (accounts[holder_id], bonus)],
                memo=name,
            )
            for award_id, holder_id, bonus, name in awards
        ]
    )
    return len(new)


def _volunteer_accounts(community_id: int, volunteer_ids: list[int]) -> dict[int, int]:
    """Each volunteer's points account id in the community, opening the missing ones in one
    INSERT … SELECT that skips any a racing transaction opened first (``account_for`` in bulk)."""
    table = Account.__table__
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    found: dict[int, int] = {}
    for start in range(0, len(volunteer_ids), CHUNK):
        chunk = volunteer_ids[start : start + CHUNK]
        mine = sa.and_(
            table.c.type == AccountType.VOLUNTEER,
            table.c.community_id == community_id,
            _among(table.c.owner_id, chunk),
        )
        found.update(db.session.execute(sa.select(table.c.owner_id, table.c.id).where(mine)).all())
        missing = [vid for vid in chunk if vid not in found]
        if missing:
            now = utcnow()
            db.session.execute(
                insert(table)
                .values(
                    [
                        {
                            "type": AccountType.VOLUNTEER,
                            "owner_id": vid,
                            "community_id": community_id,
                            "balance": 0,
                            "created_at": now,
                        }
                        for vid in missing
                    ]
                )
                .on_conflict_do_nothing()
            )
            found.update(
                db.session.execute(
                    sa.select(table.c.owner_id, table.c.id).where(
                        mine, _among(table.c.owner_id, missing)
                    )
                ).all()
            )
    return found


def _among(column, ids: list[int]):
    """``column IN ids``: one array parameter on PostgreSQL, a list of them on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)
