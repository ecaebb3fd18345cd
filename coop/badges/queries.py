"""Named reads of badges and awards, scoped to what the actor may see."""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from coop.alliance import permissions
from coop.alliance.models import Unit
from coop.auth.models import User
from coop.badges import catalog
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.extensions import db

MONTH_LENGTH = 7  # 2026-10; a term's period (2026H2) is shorter


def awards_select(
    actor: User | None,
    *,
    month: str | None = None,
    holder_type: HolderType | None = None,
    holder_id: int | None = None,
    community_id: int | None = None,
) -> sa.Select:
    """Awards in the actor's communities (honour rolls are public there), newest month first."""
    visible = permissions.visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    query = (
        sa.select(BadgeAward)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.community_id.in_(visible))
    )
    if month:
        query = query.where(BadgeAward.period == month)
    if holder_type is not None:
        query = query.where(BadgeAward.holder_type == holder_type)
    if holder_id is not None:
        query = query.where(BadgeAward.holder_id == holder_id)
    return query.order_by(
        BadgeAward.period.desc(), Badge.position, BadgeAward.holder_id, BadgeAward.id
    )


def holder_names(awards: Iterable[BadgeAward]) -> dict[tuple[HolderType, int], str]:
    """Each holder's name, two queries for any number of awards."""
    ids = defaultdict(set)
    for award in awards:
        ids[award.holder_type].add(award.holder_id)
    names = {}
    if ids[HolderType.VOLUNTEER]:
        rows = db.session.execute(
            sa.select(User.id, User.display_name).where(User.id.in_(ids[HolderType.VOLUNTEER]))
        )
        names.update({(HolderType.VOLUNTEER, i): n for i, n in rows})
    if ids[HolderType.UNIT]:
        rows = db.session.execute(
            sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids[HolderType.UNIT]))
        )
        names.update({(HolderType.UNIT, i): n for i, n in rows})
    return names


def wall_of(volunteer_id: int) -> list[BadgeAward]:
    """Her awards in every community, newest month first, revoked ones included."""
    return list(
        db.session.scalars(
            sa.select(BadgeAward)
            .join(Badge, Badge.id == BadgeAward.badge_id)
            .where(
                BadgeAward.holder_type == HolderType.VOLUNTEER,
                BadgeAward.holder_id == volunteer_id,
            )
            .order_by(BadgeAward.period.desc(), BadgeAward.community_id, Badge.position)
        )
    )


def latest_awarded_month(community_id: int) -> str | None:
    """The newest month with a live award in the community."""
    return db.session.scalar(
        sa.select(sa.func.max(BadgeAward.period)).where(
            BadgeAward.community_id == community_id,
            BadgeAward.revoked_at.is_(None),
            sa.func.length(BadgeAward.period) == MONTH_LENGTH,
        )
    )


# The honour roll lists each volunteer under her highest tier only (the first of these she holds).
TIERS = (catalog.HOURS_GOLD, catalog.HOURS_SILVER, catalog.HOURS_BRONZE)
ROLL = (catalog.THEME, *TIERS, catalog.UNIT_STAR)


def honour_roll(community_id: int, period: str, *, limit: int) -> dict[str, dict]:
    """The month's live awards by badge code (tiers: each volunteer under her highest): the
    first ``limit`` holders as (name, evidence), and how many there are in all. One query for
    the awards however many there are (a city community has ~30,000 a month), one for the
    badges' ids and one per kind of holder for the names."""
    ids = dict(
        db.session.execute(sa.select(Badge.code, Badge.id).where(Badge.code.in_(ROLL))).all()
    )
    codes = {badge_id: code for code, badge_id in ids.items()}
    tier_ids = [ids[code] for code in TIERS if code in ids]

    def live(*badge_ids):
        return sa.select(BadgeAward.id, BadgeAward.holder_id, BadgeAward.badge_id).where(
            BadgeAward.community_id == community_id,
            BadgeAward.period == period,
            BadgeAward.revoked_at.is_(None),
            BadgeAward.badge_id.in_(badge_ids),
        )

    tiers = live(*tier_ids).subquery()
    rank = sa.case(
        {badge_id: place for place, badge_id in enumerate(tier_ids)}, value=tiers.c.badge_id
    )
    tiered = sa.select(
        tiers,
        sa.func.row_number().over(partition_by=tiers.c.holder_id, order_by=rank).label("tier"),
    ).subquery()
    shown = sa.union_all(
        live(*(i for i in codes if i not in tier_ids)),
        sa.select(tiered.c.id, tiered.c.holder_id, tiered.c.badge_id).where(tiered.c.tier == 1),
    ).subquery()
    placed = sa.select(
        shown.c.id,
        shown.c.badge_id,
        sa.func.count().over(partition_by=shown.c.badge_id).label("total"),
        sa.func.row_number()
        .over(partition_by=shown.c.badge_id, order_by=shown.c.id)
        .label("place"),
    ).subquery()
    rows = db.session.execute(
        sa.select(placed.c.badge_id, placed.c.total, BadgeAward)
        .join(BadgeAward, BadgeAward.id == placed.c.id)
        .where(placed.c.place <= limit)
        .order_by(placed.c.badge_id, placed.c.place)
    ).all()
    names = holder_names(award for _, _, award in rows)
    roll = {code: {"total": 0, "holders": []} for code in ROLL}
    for badge_id, total, award in rows:
        entry = roll[codes[badge_id]]
        entry["total"] = total
        name = names.get((award.holder_type, award.holder_id), "")
        entry["holders"].append((name, award.evidence or {}))
    return roll
