"""服务项目清单: projects compiled from needs, published on the menu for claiming."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community
from coop.categories import Category
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.needs.models import Need
from coop.states import StateMachine, moves
from coop.versioning import Versioned


class ProjectMode(enum.StrEnum):
    TEAM = "team"
    ROUTINE = "routine"


labelled(ProjectMode, {ProjectMode.TEAM: _l("组团式"), ProjectMode.ROUTINE: _l("日常型")})


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"


labelled(
    ProjectStatus,
    {
        ProjectStatus.DRAFT: _l("草稿"),
        ProjectStatus.PUBLISHED: _l("认领中"),
        ProjectStatus.CLAIMED: _l("已认满"),
        ProjectStatus.IN_PROGRESS: _l("实施中"),
        ProjectStatus.COMPLETED: _l("已完成"),
        ProjectStatus.EVALUATED: _l("已评价"),
        ProjectStatus.CANCELLED: _l("已取消"),
    },
)

S = ProjectStatus
PROJECT_FLOW = StateMachine(
    name=_l("项目"),
    moves=moves(
        publish=((S.DRAFT,), S.PUBLISHED),
        fill=((S.PUBLISHED,), S.CLAIMED),
        reopen=((S.CLAIMED,), S.PUBLISHED),
        start=((S.PUBLISHED, S.CLAIMED), S.IN_PROGRESS),
        complete=((S.IN_PROGRESS,), S.COMPLETED),
        evaluate=((S.COMPLETED,), S.EVALUATED),
        cancel=((S.DRAFT, S.PUBLISHED, S.CLAIMED, S.IN_PROGRESS), S.CANCELLED),
    ),
    action_labels={
        "publish": _l("发布"),
        "fill": _l("标记为已认满"),
        "reopen": _l("重新开放认领"),
        "start": _l("开始实施"),
        "complete": _l("完成"),
        "evaluate": _l("评价"),
        "cancel": _l("取消"),
    },
)
CLAIMABLE = frozenset({S.PUBLISHED})


class Project(Versioned, db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"), index=True)
    mode: Mapped[ProjectMode] = mapped_column(enum_type(ProjectMode, "mode"))
    slots: Mapped[int] = mapped_column(default=1)
    volunteer_capacity: Mapped[int] = mapped_column(default=0)
    schedule: Mapped[str] = mapped_column(sa.String(128), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    auto_approve: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ProjectStatus] = mapped_column(
        enum_type(ProjectStatus, "status"), default=ProjectStatus.DRAFT, index=True
    )
    # Kept in step with the approved claims under the project's row lock; the CHECK below makes
    # an oversell impossible even if a code path forgot the lock.
    approved_count: Mapped[int] = mapped_column(default=0)
    lead_claim_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("claims.id", use_alter=True, name="fk_projects_lead_claim_id_claims")
    )
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()
    needs: Mapped[list[Need]] = relationship(order_by=Need.id)

    __table_args__ = (
        sa.CheckConstraint("slots >= 1", name="slots_positive"),
        sa.CheckConstraint("mode <> 'routine' OR slots = 1", name="routine_has_one_slot"),
        sa.CheckConstraint("volunteer_capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(
            "approved_count >= 0 AND approved_count <= slots", name="approved_within_slots"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("claim_deadline <= starts_at", name="deadline_before_start"),
    )

    @property
    def free_slots(self) -> int:
        return self.slots - self.approved_count
