"""The tenancy: street → community → neighbourhoods, the alliance, its units and agreements."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, utcnow
from coop.extensions import db
from coop.versioning import Versioned

MAX_COMMUNITIES_PER_UNIT = 3  # 双报到: a unit serves one to three communities


class UnitKind(enum.StrEnum):
    MUNICIPAL = "municipal"
    STATIONED = "stationed"
    DISTRICT = "district"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])


UNIT_KIND_LABELS = {
    UnitKind.MUNICIPAL: _l("市直结对共建单位"),
    UnitKind.STATIONED: _l("驻区单位企业"),
    UnitKind.DISTRICT: _l("区级包联单位"),
    UnitKind.SOCIAL: _l("社会组织"),
}


class OfficeRole(enum.StrEnum):
    SECRETARY = "secretary"
    DEPUTY = "deputy_secretary"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return str(OFFICE_ROLE_LABELS[self])


OFFICE_ROLE_LABELS = {
    OfficeRole.SECRETARY: _l("联盟书记"),
    OfficeRole.DEPUTY: _l("轮值副书记"),
    OfficeRole.MEMBER: _l("委员"),
}


class Street(db.Model):
    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)

    communities: Mapped[list["Community"]] = relationship(
        back_populates="street", order_by="Community.id"
    )


DEFAULT_PICKUP_DAYS = 14


class Community(db.Model):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # A unit holding this many approved, unfulfilled claims here is asked to deliver first.
    max_open_claims: Mapped[int] = mapped_column(default=5, server_default="5")
    # 积分超市: a reservation not picked up within this many days expires and its points return.
    pickup_days: Mapped[int] = mapped_column(
        default=DEFAULT_PICKUP_DAYS, server_default=str(DEFAULT_PICKUP_DAYS)
    )

    street: Mapped[Street] = relationship(back_populates="communities")
    neighbourhoods: Mapped[list["Neighbourhood"]] = relationship(
        back_populates="community", order_by="Neighbourhood.position"
    )
    alliance: Mapped["Alliance | None"] = relationship(back_populates="community")

    __table_args__ = (sa.UniqueConstraint("street_id", "name"),)


class Neighbourhood(db.Model):
    """邻里单元: buildings grouped by 地域相近、楼栋相连、资源相通."""

    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # 户数: how many households the grid serves; its 网格员 are counted against it.
    households: Mapped[int] = mapped_column(default=0, server_default="0")

    community: Mapped[Community] = relationship(back_populates="neighbourhoods")

    __table_args__ = (
        sa.UniqueConstraint("community_id", "name"),
        sa.CheckConstraint("households >= 0", name="households_not_negative"),
    )


class Alliance(db.Model):
    __tablename__ = "alliances"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    founded_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")

    community: Mapped[Community] = relationship(back_populates="alliance")
    mechanisms: Mapped[list["Mechanism"]] = relationship(order_by="Mechanism.position")
    terms: Mapped[list["Term"]] = relationship(order_by="Term.starts_on.desc()")
    offices: Mapped[list["AllianceOffice"]] = relationship(order_by="AllianceOffice.id")


class Mechanism(db.Model):
    """A working mechanism of the alliance (联席会议, 轮值共建, …)."""

    __tablename__ = "mechanisms"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("alliance_id", "name"),)


class Term(db.Model):
    """A half-year term; its rotating deputy secretary is an AllianceOffice pointing here."""

    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    __table_args__ = (
        sa.UniqueConstraint("alliance_id", "starts_on"),
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),
    )

    def is_current(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on


class Unit(Versioned, db.Model):
    """联盟单位: a partner unit; it serves communities through memberships and agreements."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    kind: Mapped[UnitKind] = mapped_column(enum_type(UnitKind, "kind"))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(64), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="unit")
    agreements: Mapped[list["Agreement"]] = relationship(
        back_populates="unit", order_by="Agreement.starts_on.desc()"
    )


class Membership(db.Model):
    """A unit serving a community's alliance (双报到: at most three per unit)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    joined_on: Mapped[date]

    unit: Mapped[Unit] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship()

    __table_args__ = (sa.UniqueConstraint("unit_id", "community_id"),)


class Agreement(Versioned, db.Model):
    """《共驻共建协议书》: live from starts_on to ends_on unless ended early."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    signed_on: Mapped[date]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    scope: Mapped[str] = mapped_column(sa.Text)
    ended_on: Mapped[date | None]
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")

    unit: Mapped[Unit] = relationship(back_populates="agreements")

    __table_args__ = (
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= starts_on", name="ended_in_term"),
    )

    def last_day(self) -> date:
        return min(self.ends_on, self.ended_on) if self.ended_on else self.ends_on

    def is_live(self, today: date) -> bool:
        if self.ended_on is not None and self.ended_on <= today:
            return False
        return self.starts_on <= today <= self.ends_on

    @classmethod
    def live_on(cls, today: date) -> sa.ColumnElement[bool]:
        """``is_live(today)`` as SQL, for a read that must not load the agreements."""
        return sa.and_(
            cls.starts_on <= today,
            cls.ends_on >= today,
            sa.or_(cls.ended_on.is_(None), cls.ended_on > today),
        )

    def status(self, today: date) -> str:
        if self.ended_on is not None and self.ended_on <= today:
            return "ended"
        if today < self.starts_on:
            return "upcoming"
        return "live" if today <= self.ends_on else "expired"


class AllianceOffice(db.Model):
    """联盟书记, 轮值副书记 (one per half-year term) or 委员."""

    __tablename__ = "alliance_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    role: Mapped[OfficeRole] = mapped_column(enum_type(OfficeRole, "role"))
    holder_name: Mapped[str] = mapped_column(sa.String(64))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terms.id"))

    unit: Mapped[Unit | None] = relationship()
    term: Mapped[Term | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role <> 'deputy_secretary' OR term_id IS NOT NULL", name="deputy_has_term"
        ),
        # One rotating deputy per term.
        sa.Index(
            "uq_alliance_offices_deputy_term",
            "term_id",
            unique=True,
            postgresql_where=sa.text("role = 'deputy_secretary'"),
            sqlite_where=sa.text("role = 'deputy_secretary'"),
        ),
    )


class HonourKind(enum.StrEnum):
    PIONEER = "pioneer"  # 同心共建先锋: a unit
    TEAM = "team"  # 最美志愿服务队: a volunteer team

    @property
    def label(self) -> str:
        return str(HONOUR_KIND_LABELS[self])


HONOUR_KIND_LABELS = {
    HonourKind.PIONEER: _l("同心共建先锋"),
    HonourKind.TEAM: _l("最美志愿服务队"),
}


class HonourStatus(enum.StrEnum):
    NOMINATED = "nominated"  # the community put it forward; the street decides
    RETURNED = "returned"  # the street sent it back with a reason; the community may resubmit
    APPROVED = "approved"
    REVOKED = "revoked"  # never deleted: the reason stays

    @property
    def label(self) -> str:
        return str(HONOUR_STATUS_LABELS[self])


HONOUR_STATUS_LABELS = {
    HonourStatus.NOMINATED: _l("待街道审批"),
    HonourStatus.RETURNED: _l("已退回"),
    HonourStatus.APPROVED: _l("已授予"),
    HonourStatus.REVOKED: _l("已撤销"),
}


class Honour(db.Model):
    """An annual honour: the community nominates (with the holder's record, snapshot at
    nomination), the street approves or sends it back, and may later revoke it with a reason.
    One honour of a kind per holder and year (a revoked one no longer counts)."""

    __tablename__ = "honours"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HonourKind] = mapped_column(enum_type(HonourKind, "kind"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    year: Mapped[int]
    status: Mapped[HonourStatus] = mapped_column(
        enum_type(HonourStatus, "status"), default=HonourStatus.NOMINATED
    )
    citation: Mapped[str] = mapped_column(sa.Text, default="")
    # The holder's record for the year as computed when nominated (or resubmitted).
    record: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    nominated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")

    unit: Mapped[Unit | None] = relationship()
    community: Mapped[Community] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'pioneer' AND unit_id IS NOT NULL AND team_id IS NULL)"
            " OR (kind = 'team' AND team_id IS NOT NULL AND unit_id IS NULL)",
            name="one_holder_of_its_kind",
        ),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_sensible"),
        sa.Index(
            "uq_honours_unit_year",
            "kind",
            "unit_id",
            "year",
            unique=True,
            postgresql_where=sa.text("unit_id IS NOT NULL AND status <> 'revoked'"),
            sqlite_where=sa.text("unit_id IS NOT NULL AND status <> 'revoked'"),
        ),
        sa.Index(
            "uq_honours_team_year",
            "kind",
            "team_id",
            "year",
            unique=True,
            postgresql_where=sa.text("team_id IS NOT NULL AND status <> 'revoked'"),
            sqlite_where=sa.text("team_id IS NOT NULL AND status <> 'revoked'"),
        ),
    )

    @property
    def title(self) -> str:
        return self.kind.label

    @property
    def approved(self) -> bool:
        return self.status is HonourStatus.APPROVED


DEFAULT_PIONEER_WEIGHTS = {
    "claims": 30,
    "hours": 25,
    "activities": 20,
    "ratings": 15,
    "resources": 10,
}


class PioneerWeights(db.Model):
    """The community's weights for the 先锋指数 (a setting the secretary edits; they sum to 100)."""

    __tablename__ = "pioneer_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), unique=True)
    claims: Mapped[int] = mapped_column(default=30)
    hours: Mapped[int] = mapped_column(default=25)
    activities: Mapped[int] = mapped_column(default=20)
    ratings: Mapped[int] = mapped_column(default=15)
    resources: Mapped[int] = mapped_column(default=10)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "claims >= 0 AND hours >= 0 AND activities >= 0 AND ratings >= 0 AND resources >= 0",
            name="weights_not_negative",
        ),
        sa.CheckConstraint(
            "claims + hours + activities + ratings + resources = 100", name="weights_sum_100"
        ),
    )

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in DEFAULT_PIONEER_WEIGHTS}
