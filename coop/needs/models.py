"""服务需求清单: residents' needs, from where they arrive to resolved."""

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import NEVER_SET, NO_VALUE

from coop.alliance.models import Community, Neighbourhood
from coop.auth.models import User
from coop.categories import Category
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db
from coop.states import StateMachine, moves
from coop.versioning import Versioned


class NeedSource(enum.StrEnum):
    HALL = "hall"
    DAILY = "daily"
    VISIT = "visit"
    GRID = "grid"
    RESIDENT = "resident"
    PROPOSAL = "proposal"


labelled(
    NeedSource,
    {
        NeedSource.HALL: _l("服务大厅登记"),
        NeedSource.DAILY: _l("日常工作"),
        NeedSource.VISIT: _l("入户走访"),
        NeedSource.GRID: _l("网格上报"),
        NeedSource.RESIDENT: _l("居民线上提交"),
        NeedSource.PROPOSAL: _l("合理化建议"),
    },
)


class Beneficiary(enum.StrEnum):
    OLD_PARTY_MEMBER = "old_party_member"
    DISABLED = "disabled"
    ELDERLY = "elderly"
    NEEDY = "needy"
    CHILDREN = "children"
    RESIDENTS = "residents"


labelled(
    Beneficiary,
    {
        Beneficiary.OLD_PARTY_MEMBER: _l("老党员"),
        Beneficiary.DISABLED: _l("残疾人"),
        Beneficiary.ELDERLY: _l("老年人"),
        Beneficiary.NEEDY: _l("困难群众"),
        Beneficiary.CHILDREN: _l("儿童"),
        Beneficiary.RESIDENTS: _l("全体居民"),
    },
)


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    SOON = "soon"
    URGENT = "urgent"


labelled(
    Urgency, {Urgency.NORMAL: _l("一般"), Urgency.SOON: _l("较急"), Urgency.URGENT: _l("紧急")}
)


class NeedStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    LISTED = "listed"
    IN_PROJECT = "in_project"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"


labelled(
    NeedStatus,
    {
        NeedStatus.SUBMITTED: _l("待审核"),
        NeedStatus.LISTED: _l("已列入清单"),
        NeedStatus.IN_PROJECT: _l("已纳入项目"),
        NeedStatus.RESOLVED: _l("已解决"),
        NeedStatus.CLOSED: _l("已关闭"),
        NeedStatus.REJECTED: _l("未受理"),
    },
)

S = NeedStatus
NEED_FLOW = StateMachine(
    name=_l("需求"),
    moves=moves(
        list=((S.SUBMITTED,), S.LISTED),
        reject=((S.SUBMITTED, S.LISTED), S.REJECTED),
        compile=((S.LISTED,), S.IN_PROJECT),
        release=((S.IN_PROJECT,), S.LISTED),
        resolve=((S.LISTED, S.IN_PROJECT), S.RESOLVED),
        close=((S.RESOLVED, S.REJECTED), S.CLOSED),
        # A resident's rating of 2 or less sends it back to the list (回访), archived or not.
        reopen=((S.RESOLVED, S.CLOSED), S.LISTED),
    ),
    action_labels={
        "list": _l("列入清单"),
        "reject": _l("不予受理"),
        "compile": _l("纳入项目"),
        "release": _l("移出项目"),
        "resolve": _l("标记为已解决"),
        "close": _l("关闭"),
        "reopen": _l("重新打开"),
    },
)


class Need(Versioned, db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    neighbourhood_id: Mapped[int | None] = mapped_column(sa.ForeignKey("neighbourhoods.id"))
    title: Mapped[str] = mapped_column(sa.String(128))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    source: Mapped[NeedSource] = mapped_column(enum_type(NeedSource, "source"))
    beneficiary_group: Mapped[Beneficiary] = mapped_column(enum_type(Beneficiary, "beneficiary"))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, "urgency"), default=Urgency.NORMAL)
    status: Mapped[NeedStatus] = mapped_column(
        enum_type(NeedStatus, "status"), default=NeedStatus.SUBMITTED, index=True
    )
    requester_name: Mapped[str] = mapped_column(sa.String(64), default="")
    requester_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    requester_address: Mapped[str] = mapped_column(sa.String(255), default="")
    requester_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reject_reason: Mapped[str] = mapped_column(sa.Text, default="")
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    # Staff's working notes: what they keep adding once the need is in a project.
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When it moved along (STAMPS): the first answer (listed or rejected) is kept; entering a
    # project or being solved again stamps anew. Unknown (null) for needs moved before these
    # columns existed and not found in the audit log.
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_project_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many times it has been solved: a rating rates one resolution, this one (STAMPS).
    resolution_round: Mapped[int] = mapped_column(default=0, server_default="0")
    # Shown (anonymised) on the community's 公示栏; staff keep a sensitive need off it. A need for
    # 困难群众 starts off it (docs/decisions.md, "The 公示栏").
    public: Mapped[bool] = mapped_column(
        default=lambda context: _public_by_default(context.get_current_parameters()),
        server_default=sa.true(),
    )
    # 服务承诺: when it must be answered (listed or rejected) and solved, fixed when it came in
    # from the community's commitment then in force (coop.needs.commitments), so lists and rates
    # compare columns. Null only for a need inserted around the ORM.
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolve_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # 首问负责: the staff member answerable for it (whoever recorded or listed it first; handed
    # over through coop.needs.handovers).
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    community: Mapped[Community] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    handovers: Mapped[list["NeedHandover"]] = relationship(
        back_populates="need", order_by="NeedHandover.at, NeedHandover.id"
    )


class NeedHandover(db.Model):
    """首问负责: a need passed from one staff member to another, with the reason."""

    __tablename__ = "need_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # none: unowned
    to_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship(back_populates="handovers")
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_id])
    to_user: Mapped[User] = relationship(foreign_keys=[to_id])
    by_user: Mapped[User] = relationship(foreign_keys=[by_id])


# A community's needs, newest first: the 公示栏's page of them (and its count) reads this range.
# On PostgreSQL it also carries what the dashboard's needs per month and 三率 read (category and
# the stamps they compare), so those read the index alone, not a heap page per need.
sa.Index(
    "ix_needs_community_id_created_at",
    Need.community_id,
    Need.created_at,
    postgresql_include=[
        "category",
        "respond_by",
        "listed_at",
        "rejected_at",
        "resolve_by",
        "resolved_at",
    ],
)
# A community's needs by status: the demand list's tabs count them, the matching board counts
# the listed ones in no project, both from the index alone on PostgreSQL (a city community's
# 4,000 needs were 4,000 heap pages). Also every lookup by community alone.
sa.Index(
    "ix_needs_community_id_status",
    Need.community_id,
    Need.status,
    postgresql_include=["project_id"],
)
# The dashboard's and the comparison's needs solved per month, and the list's ?resolved_in=:
# without it a year's figure reads every need of the street to find the solved ones.
sa.Index("ix_needs_community_id_resolved_at", Need.community_id, Need.resolved_at)


def _public_by_default(row: dict) -> bool:
    group = row.get("beneficiary_group")
    return group is None or Beneficiary(getattr(group, "value", group)) is not Beneficiary.NEEDY


@sa.event.listens_for(Need.beneficiary_group, "set")
def _keep_needy_off_the_board(need: Need, group, previous, _initiator) -> None:
    """A need reclassified as 困难群众 leaves the board too; staff may show it again."""
    constructed = previous in (NO_VALUE, NEVER_SET)
    if not constructed and group != previous and group == Beneficiary.NEEDY:
        need.public = False


# status → (the column stamped when a need enters it, whether a later entry stamps it again)
STAMPS = {
    NeedStatus.LISTED: ("listed_at", False),
    NeedStatus.REJECTED: ("rejected_at", False),
    NeedStatus.IN_PROJECT: ("in_project_at", True),
    NeedStatus.RESOLVED: ("resolved_at", True),
    NeedStatus.CLOSED: ("closed_at", True),
}


@sa.event.listens_for(Need.status, "set")
def _stamp(need: Need, status, previous, _initiator) -> None:
    """Every way a need moves (its services, a project, an import) stamps the moment here."""
    if status == previous or status not in STAMPS:
        return
    column, again = STAMPS[status]
    constructed = previous in (NO_VALUE, NEVER_SET)  # a stamp given beside the status stays
    if getattr(need, column) is None or (again and not constructed):
        setattr(need, column, utcnow())
    if status is NeedStatus.RESOLVED and not (constructed and need.resolution_round):
        need.resolution_round = (need.resolution_round or 0) + 1


class NeedRating(db.Model):
    """满意度评价 of one resolution of a need: by its requester, or 代评 by the community's staff
    for a requester without an account. Once per resolution, enforced by the database."""

    __tablename__ = "need_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    round: Mapped[int]  # the need's resolution_round when it was rated
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    rated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)  # 代评
    reopened: Mapped[bool] = mapped_column(default=False)  # the rating sent it back (回访)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    need: Mapped[Need] = relationship(
        backref=sa.orm.backref("ratings", order_by="NeedRating.round", passive_deletes=True)
    )
    rated_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("need_id", "round", name="uq_need_ratings_once_per_resolution"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_1_to_5"),
        sa.CheckConstraint("round >= 1", name="round_positive"),
    )


# 服务承诺 until a community sets its own (the same for every category): time to the first
# answer (listed or rejected) and time to solve, from when the need came in.
DEFAULT_COMMITMENTS = {
    Urgency.URGENT: (timedelta(hours=24), timedelta(days=3)),
    Urgency.SOON: (timedelta(hours=48), timedelta(days=7)),
    Urgency.NORMAL: (timedelta(hours=72), timedelta(days=30)),
}


class ServiceCommitment(db.Model):
    """A community's own 服务承诺 for one category and urgency (absent: the default)."""

    __tablename__ = "service_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, "urgency"))
    respond_hours: Mapped[int]
    resolve_days: Mapped[int]

    __table_args__ = (
        sa.UniqueConstraint("community_id", "category", "urgency"),
        sa.CheckConstraint("respond_hours > 0 AND resolve_days > 0", name="positive"),
    )


def commitment_for(connection, community_id, category, urgency) -> tuple[timedelta, timedelta]:
    """The community's (respond within, resolve within) for the category and urgency."""
    row = connection.execute(
        sa.select(ServiceCommitment.respond_hours, ServiceCommitment.resolve_days).where(
            ServiceCommitment.community_id == community_id,
            ServiceCommitment.category == category,
            ServiceCommitment.urgency == urgency,
        )
    ).first()
    if row is None:
        return DEFAULT_COMMITMENTS[Urgency(urgency)]
    return timedelta(hours=row.respond_hours), timedelta(days=row.resolve_days)


@sa.event.listens_for(Need, "before_insert")
def _fix_deadlines(_mapper, connection, need: Need) -> None:
    """However a need comes in (a service, an import, the demo), its two deadlines are fixed
    then, from the commitment in force: a later change of commitment leaves it as it is."""
    if need.created_at is None:
        need.created_at = utcnow()
    if need.urgency is None:
        need.urgency = Urgency.NORMAL
    if need.respond_by is None or need.resolve_by is None:
        respond, resolve = commitment_for(
            connection, need.community_id, need.category, need.urgency
        )
        need.respond_by = need.respond_by or need.created_at + respond
        need.resolve_by = need.resolve_by or need.created_at + resolve
