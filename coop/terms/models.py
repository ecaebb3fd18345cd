"""The half-year term's 六个一 plan: six items, each done when its evidence reaches its target.

The clock opens each term (``open_terms``): the term, its 联盟大会 (a coop.meetings record) and the plan, which
waits (``awaiting_deputy``) until the secretary records whom the alliance chose (推选) as the
rotating deputy secretary — the clock never picks. The deputy's unit leads the term and earns the
term badge when all six items are done.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db


class PlanStatus(enum.StrEnum):
    AWAITING_DEPUTY = "awaiting_deputy"
    OPEN = "open"
    DONE = "done"


labelled(
    PlanStatus,
    {
        PlanStatus.AWAITING_DEPUTY: _l("待推选轮值副书记"),
        PlanStatus.OPEN: _l("进行中"),
        PlanStatus.DONE: _l("六个一已完成"),
    },
)


class ItemKind(enum.StrEnum):
    VOLUNTEER_ACTIVITY = "volunteer_activity"
    PARTY_SALON = "party_salon"
    THEMED_PARTY_DAY = "themed_party_day"
    CULTURAL_ACTIVITY = "cultural_activity"
    CONCERNS_RESOLVED = "concerns_resolved"
    PROPOSALS_FORMED = "proposals_formed"


labelled(
    ItemKind,
    {
        ItemKind.VOLUNTEER_ACTIVITY: _l("开展一次志愿服务活动"),
        ItemKind.PARTY_SALON: _l("举办一次党建沙龙"),
        ItemKind.THEMED_PARTY_DAY: _l("开展一次主题党日"),
        ItemKind.CULTURAL_ACTIVITY: _l("组织一次文化活动"),
        ItemKind.CONCERNS_RESOLVED: _l("解决一批群众急难愁盼问题"),
        ItemKind.PROPOSALS_FORMED: _l("形成一批合理化建议"),
    },
)


class EvidenceType(enum.StrEnum):
    ACTIVITY = "activity"  # activities.id, held in the term
    NEED = "need"  # needs.id, resolved in the term
    PROPOSAL = "proposal"  # proposals.id, formed in the term


# What counts as evidence for each item, and how many make it done (the default target).
ITEM_EVIDENCE = {
    ItemKind.VOLUNTEER_ACTIVITY: (EvidenceType.ACTIVITY, 1),
    ItemKind.PARTY_SALON: (EvidenceType.ACTIVITY, 1),
    ItemKind.THEMED_PARTY_DAY: (EvidenceType.ACTIVITY, 1),
    ItemKind.CULTURAL_ACTIVITY: (EvidenceType.ACTIVITY, 1),
    ItemKind.CONCERNS_RESOLVED: (EvidenceType.NEED, 5),
    ItemKind.PROPOSALS_FORMED: (EvidenceType.PROPOSAL, 3),
}


class TermPlan(db.Model):
    __tablename__ = "term_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), unique=True)
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "status"), default=PlanStatus.AWAITING_DEPUTY
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    term: Mapped["Term"] = relationship()  # noqa: F821 - coop.alliance.models
    items: Mapped[list["TermPlanItem"]] = relationship(
        back_populates="plan", order_by="TermPlanItem.position"
    )

    @property
    def assembly_on(self) -> date | None:
        """The day of the term's 联盟大会: its first assembly not cancelled (coop.meetings)."""
        from coop.meetings.queries import term_assembly

        meeting = term_assembly(self.term_id)
        return meeting.local_day if meeting is not None else None


class TermPlanItem(db.Model):
    __tablename__ = "term_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("term_plans.id"), index=True)
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind, "kind"))
    position: Mapped[int] = mapped_column(default=0)
    target: Mapped[int] = mapped_column(default=1)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[TermPlan] = relationship(back_populates="items")
    evidence: Mapped[list["PlanEvidence"]] = relationship(
        back_populates="item", order_by="PlanEvidence.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "kind"),
        sa.CheckConstraint("target >= 1", name="target_positive"),
    )


class PlanEvidence(db.Model):
    """An activity held, a need resolved or a proposal formed, linked to a plan item."""

    __tablename__ = "plan_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("term_plan_items.id", ondelete="CASCADE"), index=True
    )
    evidence_type: Mapped[EvidenceType] = mapped_column(enum_type(EvidenceType, "evidence_type"))
    evidence_id: Mapped[int]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    linked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[TermPlanItem] = relationship(back_populates="evidence")

    __table_args__ = (sa.UniqueConstraint("item_id", "evidence_type", "evidence_id"),)


class Proposal(db.Model):
    """合理化建议: a proposal formed by the alliance (at the 联盟大会, a salon, …)."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(128))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # who proposed it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    term: Mapped["Term | None"] = relationship()  # noqa: F821 - coop.alliance.models
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821 - coop.alliance.models
