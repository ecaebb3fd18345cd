"""智能匹配: the nightly (or on-demand) suggestions for a project, the rankings the needs of one
category and 邻里单元 share, and the neighbourhoods each alliance unit serves (what the matching
reads besides categories)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from coop.categories import Category
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.states import StateMachine, moves


class TargetType(enum.StrEnum):
    PROJECT = "project"
    NEED = "need"


class CandidateType(enum.StrEnum):
    UNIT = "unit"
    RESOURCE = "resource"
    VOLUNTEER = "volunteer"


labelled(
    CandidateType,
    {
        CandidateType.UNIT: _l("联盟单位"),
        CandidateType.RESOURCE: _l("资源"),
        CandidateType.VOLUNTEER: _l("志愿者"),
    },
)


class SuggestionStatus(enum.StrEnum):
    OPEN = "open"
    ACTED = "acted"  # turned into a 资源点单 request or a claim invitation
    DISMISSED = "dismissed"


labelled(
    SuggestionStatus,
    {
        SuggestionStatus.OPEN: _l("待处理"),
        SuggestionStatus.ACTED: _l("已邀请"),
        SuggestionStatus.DISMISSED: _l("已忽略"),
    },
)

S = SuggestionStatus
SUGGESTION_FLOW = StateMachine(
    name=_l("推荐"),
    moves=moves(
        invite=((S.OPEN,), S.ACTED),
        order=((S.OPEN,), S.ACTED),
        dismiss=((S.OPEN,), S.DISMISSED),
    ),
    action_labels={"invite": _l("邀请认领"), "order": _l("资源点单"), "dismiss": _l("忽略")},
)


# The neighbourhoods a unit serves in a community (its 双报到 membership there); none: all.
membership_neighbourhoods = sa.Table(
    "membership_neighbourhoods",
    db.metadata,
    sa.Column(
        "membership_id", sa.ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "neighbourhood_id",
        sa.ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Suggestion(db.Model):
    """One candidate for one target, with its score and the reasons people read. A matching run
    replaces a project's open suggestions; acted and dismissed ones are kept. A need has no open
    rows (its suggestions are read from its group's MatchRanking), only the dismissed ones."""

    __tablename__ = "match_suggestions"
    __audit__ = False  # recomputed every night; acting on one is audited where it acts

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    target_type: Mapped[TargetType] = mapped_column(enum_type(TargetType, "target_type"))
    target_id: Mapped[int]
    candidate_type: Mapped[CandidateType] = mapped_column(
        enum_type(CandidateType, "candidate_type")
    )
    candidate_id: Mapped[int]
    score: Mapped[float]
    rank: Mapped[int]
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # Chinese phrases, best first
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_type(SuggestionStatus, "status"), default=SuggestionStatus.OPEN
    )
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("target_type", "target_id", "candidate_type", "candidate_id"),
        sa.Index("ix_match_suggestions_target", "target_type", "target_id", "rank"),
    )


class MatchRanking(db.Model):
    """One candidate's place in the ranking that a community's listed needs of one category and
    邻里单元 share (``neighbourhood_id`` none: the needs without one). A run replaces the
    community's rankings, keeping a few more rows per candidate type than a need shows, so that
    the candidates dismissed for a need can be skipped when its suggestions are read."""

    __tablename__ = "match_rankings"
    __audit__ = False  # recomputed every night; dismissing is recorded as a Suggestion

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("neighbourhoods.id", ondelete="CASCADE")
    )
    candidate_type: Mapped[CandidateType] = mapped_column(
        enum_type(CandidateType, "candidate_type")
    )
    candidate_id: Mapped[int]
    score: Mapped[float]
    rank: Mapped[int]  # 1 is the best of its group and candidate type
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # Chinese phrases, best first
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index(
            "ix_match_rankings_group",
            "community_id",
            "category",
            "neighbourhood_id",
            "candidate_type",
            "rank",
        ),
        # A dismissal names a row by id: a replaced row's id must never come back (SQLite
        # reuses the highest id otherwise; PostgreSQL's sequence never does).
        {"sqlite_autoincrement": True},
    )
