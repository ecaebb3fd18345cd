"""月月红: each month's red theme, the badge catalogue, and awards to volunteers and units.

An award is unique per (badge, holder, community, period) — the period is a month ``2026-10``
for monthly badges, a half year ``2026H2`` for the term badge — so awarding a period twice gives
the same awards. An award that no longer holds (a reversed record, a late change) is revoked with
a reason and kept; if it holds again it is restored.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db


class HolderType(enum.StrEnum):
    VOLUNTEER = "volunteer"
    UNIT = "unit"


labelled(HolderType, {HolderType.VOLUNTEER: _l("志愿者"), HolderType.UNIT: _l("联盟单位")})


class MonthlyTheme(db.Model):
    """The community's red theme for a calendar month (1–12), the same every year until
    changed. Activities carry a month (``activities.theme_month``) to take part in it."""

    __tablename__ = "monthly_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    month: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.UniqueConstraint("community_id", "month"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month_of_year"),
    )


class Badge(db.Model):
    """A badge in the catalogue (``coop.badges.catalog`` keeps it in step with the code)."""

    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    holder_type: Mapped[HolderType] = mapped_column(enum_type(HolderType, "holder_type"))
    # Points given with the award, posted once through the ledger (volunteers only).
    bonus_points: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),)


class BadgeAward(db.Model):
    __tablename__ = "badge_awards"
    # The row is its own record (awarded_at, revoked_at and the reason), and a month's awards
    # are written in bulk, which the flush listener would not see anyway.
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(sa.ForeignKey("badges.id"))
    holder_type: Mapped[HolderType] = mapped_column(enum_type(HolderType, "holder_type"))
    # users.id for a volunteer, units.id for a unit: which table depends on the type, so no FK.
    holder_id: Mapped[int]
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    period: Mapped[str] = mapped_column(sa.String(16))  # 2026-10, or 2026H2 for a term
    # Why it was earned, as figures: {"hours": 12.5, "activities": 3, "claims": 2, …}.
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")

    badge: Mapped[Badge] = relationship(lazy="joined")

    __table_args__ = (
        # Community and month first: it also serves the honour roll (a community's month), and a
        # month's awards, written community by community, go in at the index's right-hand edge.
        sa.UniqueConstraint("community_id", "period", "badge_id", "holder_type", "holder_id"),
        sa.Index("ix_badge_awards_holder", "holder_type", "holder_id"),  # the badge wall
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoke_reason = '')", name="revoked_with_reason"
        ),
    )

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
