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
    rows (its suggestions are read from its own MatchRanking rows), only the dismissed ones."""

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
    # The words of the need that the candidate's text shares, rarest first (a need's only).
    matched: Mapped[list] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
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
    """One candidate's place in one listed need's ranking (``need_id``; ``category`` and
    ``neighbourhood_id`` are the need's when it was ranked). What the need says makes its list
    its own, so a run stores a short ranking per need and replaces the community's rankings,
    keeping a row more per candidate type than a need shows, so that a candidate dismissed for
    the need can be skipped when its suggestions are read. (Rows without ``need_id`` are the
    rankings the needs of one category and 邻里单元 shared before: no run writes them now.)"""

    __tablename__ = "match_rankings"
    __audit__ = False  # recomputed every night; dismissing is recorded as a Suggestion

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("neighbourhoods.id", ondelete="CASCADE")
    )
    # No foreign key: a run writes a city's rows in bulk; readers join the listed needs.
    need_id: Mapped[int | None]
    candidate_type: Mapped[CandidateType] = mapped_column(
        enum_type(CandidateType, "candidate_type")
    )
    candidate_id: Mapped[int]
    score: Mapped[float]
    rank: Mapped[int]  # 1 is the best of its need and candidate type
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # Chinese phrases, best first
    # The words of the need that the candidate's text shares, rarest first.
    matched: Mapped[list] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_match_rankings_need", "community_id", "need_id"),
        # A dismissal names a row by id: a replaced row's id must never come back (SQLite
        # reuses the highest id otherwise; PostgreSQL's sequence never does).
        {"sqlite_autoincrement": True},
    )
