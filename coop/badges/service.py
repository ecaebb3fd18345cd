"""Granting and revoking badge awards. Idempotent per (badge, holder, community, period): granting
again changes nothing, revoking keeps the row with its reason, and a revoked award that holds
again is restored. Bonus points are posted once per award (``badge_award:<id>``) and kept if the
award is later revoked: a revocation follows a correction, which takes back the hours' own points.
"""

from datetime import datetime

import sqlalchemy as sa

from coop.badges.catalog import ensure_catalog
from coop.badges.models import BadgeAward, HolderType
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind


def find_award(badge_id: int, holder_type: HolderType, holder_id: int, community_id: int, period):
    return db.session.scalar(
        sa.select(BadgeAward).where(
            BadgeAward.badge_id == badge_id,
            BadgeAward.holder_type == holder_type,
            BadgeAward.holder_id == holder_id,
            BadgeAward.community_id == community_id,
            BadgeAward.period == period,
        )
    )


def grant(
    code: str,
    *,
    holder_type: HolderType,
    holder_id: int,
    community_id: int,
    period: str,
    evidence: dict,
    now: datetime,
) -> tuple[BadgeAward, bool]:
    """Award the badge for the period, or restore it if it was revoked. Returns (award, changed).
    The evidence is brought up to date either way."""
    badge = ensure_catalog()[code]
    award = find_award(badge.id, holder_type, holder_id, community_id, period)
    changed = False
    if award is None:
        award = BadgeAward(
            badge_id=badge.id,
            holder_type=holder_type,
            holder_id=holder_id,
            community_id=community_id,
            period=period,
            evidence=evidence,
            awarded_at=now,
        )
        db.session.add(award)
        db.session.flush()
        changed = True
    elif award.revoked_at is not None:
        award.revoked_at, award.revoke_reason = None, ""
        changed = True
    if award.evidence != evidence:
        award.evidence = evidence
    _post_bonus(award)
    db.session.flush()
    return award, changed


def revoke(award: BadgeAward, *, reason: str, now: datetime) -> bool:
    """Withdraw an award that no longer holds; the row stays with the reason. False if it was
    already revoked."""
    if award.revoked_at is not None:
        return False
    if not reason.strip():
        raise ValueError("an award is revoked with a reason")
    award.revoked_at, award.revoke_reason = now, reason.strip()
    db.session.flush()
    return True


def _post_bonus(award: BadgeAward) -> None:
    bonus = award.badge.bonus_points
    if not bonus or award.holder_type is not HolderType.VOLUNTEER:
        return
    pool = ledger.account_for(AccountType.POOL, award.community_id)
    mine = ledger.account_for(AccountType.VOLUNTEER, award.community_id, award.holder_id)
    ledger.post(
        key=f"badge_award:{award.id}",
        kind=PostingKind.BADGE,
        source_type="badge_award",
        source_id=award.id,
        lines=[(pool, -bonus), (mine, bonus)],
        memo=award.badge.name,
    )
