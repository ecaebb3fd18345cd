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


def badges() -> list[Badge]:
    return list(db.session.scalars(sa.select(Badge).order_by(Badge.position, Badge.id)))


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


# The honour roll lists each volunteer under her highest tier only.
ROLL = (
    (catalog.THEME, ()),
    (catalog.HOURS_GOLD, ()),
    (catalog.HOURS_SILVER, (catalog.HOURS_GOLD,)),
    (catalog.HOURS_BRONZE, (catalog.HOURS_GOLD, catalog.HOURS_SILVER)),
    (catalog.UNIT_STAR, ()),
)


def _live_awards(community_id: int, period: str, code: str, higher: tuple[str, ...]):
    query = (
        sa.select(BadgeAward)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(
            BadgeAward.community_id == community_id,
            BadgeAward.period == period,
            BadgeAward.revoked_at.is_(None),
            Badge.code == code,
        )
    )
    if higher:
        above, above_badge = sa.orm.aliased(BadgeAward), sa.orm.aliased(Badge)
        query = query.where(
            ~sa.select(above.id)
            .join(above_badge, above_badge.id == above.badge_id)
            .where(
                above.community_id == community_id,
                above.period == period,
                above.revoked_at.is_(None),
                above.holder_type == BadgeAward.holder_type,
                above.holder_id == BadgeAward.holder_id,
                above_badge.code.in_(higher),
            )
            .exists()
        )
    return query


def honour_roll(community_id: int, period: str, *, limit: int) -> dict[str, dict]:
    """The month's live awards by badge code (tiers: each volunteer under her highest): the
    first ``limit`` holders as (name, evidence), and how many there are in all."""
    roll = {}
    for code, higher in ROLL:
        query = _live_awards(community_id, period, code, higher)
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
        awards = list(db.session.scalars(query.order_by(BadgeAward.id).limit(limit)))
        names = holder_names(awards)
        holders = [(names.get((a.holder_type, a.holder_id), ""), a.evidence or {}) for a in awards]
        roll[code] = {"total": total, "holders": holders}
    return roll
