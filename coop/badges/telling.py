"""Telling holders what the month's awarding did: a badge granted (or restored) or revoked.

A volunteer hears on her phone; a unit's badge is told to its liaisons. A late re-evaluation
(one volunteer's record changed) touches a few awards, told one notice per award through
``notify``. The monthly run grants hundreds of thousands in a city, so each holder gets ONE
notice naming all her badges of the month, written by a single INSERT … SELECT per holder kind
(``notices.bulk``); only revocations, which are few, come to Python.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.auth.models import Role, RoleGrant
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.extensions import db
from coop.notices import bulk, recipients
from coop.notices.service import notify


def month_words(period: str) -> str:
    return _("%(year)s年%(month)d月", year=period[:4], month=int(period[5:]))


def _link(holder_type: HolderType, community_id: int) -> str:
    if holder_type is HolderType.UNIT:
        return f"/communities/{community_id}/honours"
    return "/my/badges"


def _people(holder_type: HolderType, holder_id: int) -> list[int]:
    if holder_type is HolderType.UNIT:
        return recipients.liaisons(holder_id)
    return [holder_id]


def granted_one_by_one(award_ids: list[int]) -> int:
    """One notice per award granted or restored (a late re-evaluation). Returns how many."""
    if not award_ids:
        return 0
    told = 0
    rows = db.session.execute(
        sa.select(BadgeAward.holder_type, BadgeAward.holder_id, BadgeAward.community_id)
        .add_columns(BadgeAward.period, Badge.name)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.id.in_(award_ids))
        .order_by(BadgeAward.id)
    ).all()
    for holder_type, holder_id, community_id, period, name in rows:
        for user_id in _people(holder_type, holder_id):
            notify(
                user_id,
                _("获得徽章：%(badge)s", badge=name),
                body=_(
                    "%(month)s的服务记录有更新，您获得了“%(badge)s”徽章。",
                    month=month_words(period),
                    badge=name,
                ),
                link=_link(holder_type, community_id),
            )
            told += 1
    return told


def revoked(revocations: list[dict], community_id: int, period: str) -> int:
    """One notice per revoked award, with the reason its holder reads on her wall."""
    told = 0
    for row in revocations:
        holder_type, holder_id, name = row["holder_type"], row["holder_id"], row["badge"]
        for user_id in _people(holder_type, holder_id):
            notify(
                user_id,
                _("徽章已撤销：%(badge)s", badge=name),
                body=_(
                    "%(month)s的“%(badge)s”已撤销：%(reason)s",
                    month=month_words(period),
                    badge=name,
                    reason=row["reason"],
                ),
                link=_link(holder_type, community_id),
            )
            told += 1
    return told


def granted_in_bulk(condition, community_id: int, period: str, now: datetime) -> int:
    """The monthly run: each holder of awards matching ``condition`` gets one notice naming
    them all. Returns how many notices were written."""
    award = BadgeAward.__table__
    names = sa.func.aggregate_strings(Badge.name, "、")
    month = month_words(period)
    told = 0
    volunteers = (
        sa.select(award.c.holder_id.label("user_id"), names.label("names"))
        .join(Badge, Badge.id == award.c.badge_id)
        .where(condition, award.c.holder_type == HolderType.VOLUNTEER)
        .group_by(award.c.holder_id)
    )
    told += bulk.notify_each(
        volunteers,
        title=_("您获得了%(month)s的徽章", month=month),
        body_after=_("。积分奖励已入账，可在“我的徽章”查看。"),
        link=_link(HolderType.VOLUNTEER, community_id),
        now=now,
    )
    units = (
        sa.select(RoleGrant.user_id.label("user_id"), names.label("names"))
        .select_from(award)
        .join(Badge, Badge.id == award.c.badge_id)
        .join(
            RoleGrant,
            sa.and_(RoleGrant.unit_id == award.c.holder_id, RoleGrant.role == Role.UNIT_LIAISON),
        )
        .where(condition, award.c.holder_type == HolderType.UNIT)
        .group_by(RoleGrant.user_id)
    )
    told += bulk.notify_each(
        units,
        title=_("贵单位获得了%(month)s的徽章", month=month),
        body_after=_("。可在社区光荣榜查看。"),
        link=_link(HolderType.UNIT, community_id),
        now=now,
    )
    return told
