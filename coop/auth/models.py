import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from coop.dbtypes import UTCDateTime, enum_type, utcnow
from coop.extensions import db
from coop.versioning import Versioned


class Role(enum.StrEnum):
    STREET_ADMIN = "street_admin"
    SECRETARY = "secretary"
    UNIT_LIAISON = "unit_liaison"
    VOLUNTEER = "volunteer"
    RESIDENT = "resident"
    # 积分超市 staff: stocks the shelf and hands items over at the counter; the secretary grants it.
    SUPERMARKET_STAFF = "supermarket_staff"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.STREET_ADMIN: _l("街道管理员"),
    Role.SECRETARY: _l("社区书记"),
    Role.UNIT_LIAISON: _l("单位联络员"),
    Role.VOLUNTEER: _l("志愿者"),
    Role.RESIDENT: _l("居民"),
    Role.SUPERMARKET_STAFF: _l("积分超市管理员"),
}


class StaffTitle(enum.StrEnum):
    """What a ``secretary`` grant's holder is called: the same powers, three posts (one 书记 a
    community, any number of 副书记 and 社区工作者), in the order staff lists show them."""

    SECRETARY = "secretary"
    DEPUTY = "deputy"
    STAFF = "staff"

    @property
    def label(self) -> str:
        return str(STAFF_TITLE_LABELS[self])


STAFF_TITLE_LABELS = {
    StaffTitle.SECRETARY: _l("社区书记"),
    StaffTitle.DEPUTY: _l("社区副书记"),
    StaffTitle.STAFF: _l("社区工作者"),
}


class User(Versioned, db.Model):
    __tablename__ = "users"
    __audit_exclude__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)  # people are matched by it
    # Where notices go besides the inbox, when she chooses those channels (coop.notices.channels):
    # an address she gives herself (我的 → 消息设置), and the openid WeChat binding records.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    wechat_openid: Mapped[str | None] = mapped_column(sa.String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The people list walks this in name order, stopping at its page.
        sa.Index("ix_users_display_name_id", "display_name", "id"),
        # Those who left, few in any community: the list's count subtracts them.
        sa.Index(
            "ix_users_inactive",
            "id",
            postgresql_where=sa.text("NOT is_active"),
            sqlite_where=sa.text("NOT is_active"),
        ),
    )

    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        return any(g.role is role for g in self.grants)

    def grants_of(self, role: Role) -> list["RoleGrant"]:
        return [g for g in self.grants if g.role is role]

    @property
    def roles(self) -> list[Role]:
        return sorted({g.role for g in self.grants}, key=list(Role).index)

    @property
    def role_labels(self) -> list[str]:
        """What her grants are called, each once, in role order (社区工作者 for staff)."""
        ordered = sorted(self.grants, key=lambda g: list(Role).index(g.role))
        return list(dict.fromkeys(g.label for g in ordered))


# Locking a user's row: of her row only. The signed-in user is loaded with her grants joined
# (coop.auth.service), and a refresh or get repeats that join, whose nullable side PostgreSQL
# will not lock ("FOR UPDATE cannot be applied to the nullable side of an outer join").
LOCK_USER_ROW = {"of": User}


class RoleGrant(db.Model):
    """A role and the scope it holds: a street, a community or a unit."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    street_id: Mapped[int | None] = mapped_column(sa.ForeignKey("streets.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # 社区书记, 副书记 or 社区工作者 on a secretary grant (None: read as 社区书记; appointments
    # always name the title, and migration a1c3e5f7b9d2 gave every earlier grant one).
    title: Mapped[StaffTitle | None] = mapped_column(enum_type(StaffTitle, "title"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    street: Mapped["Street | None"] = relationship()  # noqa: F821 - coop.alliance.models
    community: Mapped["Community | None"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'street_admin' AND street_id IS NOT NULL)"
            " OR (role = 'unit_liaison' AND unit_id IS NOT NULL)"
            " OR (role IN ('secretary', 'volunteer', 'resident', 'supermarket_staff')"
            " AND community_id IS NOT NULL)",
            name="scope_matches_role",
        ),
        sa.CheckConstraint("title IS NULL OR role = 'secretary'", name="title_only_for_staff"),
        # One 社区书记 a community (appointing a second is refused; 副书记 and 工作者 are many).
        sa.Index(
            "uq_role_grants_community_secretary",
            "community_id",
            unique=True,
            postgresql_where=sa.text("role = 'secretary' AND title = 'secretary'"),
            sqlite_where=sa.text("role = 'secretary' AND title = 'secretary'"),
        ),
        # A community's people counted from the index alone (user_id rides along).
        sa.Index("ix_role_grants_community_id_user_id", "community_id", "user_id"),
        # The supermarket's few staff among a community's 20,000 grants (its staff page).
        sa.Index(
            "ix_role_grants_supermarket_staff",
            "community_id",
            postgresql_where=sa.text("role = 'supermarket_staff'"),
            sqlite_where=sa.text("role = 'supermarket_staff'"),
        ),
    )

    @property
    def label(self) -> str:
        """The role as people read it; a secretary grant by its title."""
        if self.role is Role.SECRETARY and self.title is not None:
            return self.title.label
        return self.role.label


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit_exclude__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A signed-in browser. Its cookie carries a random id of which only the SHA-256 is stored;
    signing out ends this row, a password change ends all of hers, so a copied cookie dies too."""

    __tablename__ = "user_sessions"
    __audit_exclude__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# A password hash nothing matches: the person was added by staff and has not yet set her own
# password with her invitation (werkzeug's check_password_hash answers False for it).
NO_PASSWORD = "!invited"


class Invitation(db.Model):
    """A one-time code with which a person staff added sets her own password on first sign-in.
    Only its SHA-256 is stored; a new invitation for her revokes the ones before it."""

    __tablename__ = "invitations"
    __audit_exclude__ = ("code_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_live(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now
