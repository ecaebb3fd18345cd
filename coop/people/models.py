"""Volunteers, residents and teams: the people of a community beyond their sign-in."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community, Neighbourhood, Unit
from coop.auth.models import User
from coop.dbtypes import UTCDateTime
from coop.extensions import db


class VolunteerProfile(db.Model):
    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    home_community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    work_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    is_party_member: Mapped[bool] = mapped_column(default=False)
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    joined_on: Mapped[date | None]

    __table_args__ = (
        # The dashboard's 党员志愿者 counted from the index alone.
        sa.Index(
            "ix_volunteer_profiles_home_community_id_is_party_member",
            "home_community_id",
            "is_party_member",
        ),
    )

    user: Mapped[User] = relationship(backref=sa.orm.backref("volunteer", uselist=False))
    home_community: Mapped[Community] = relationship()
    work_unit: Mapped[Unit | None] = relationship()


class ResidentProfile(db.Model):
    __tablename__ = "resident_profiles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    neighbourhood_id: Mapped[int | None] = mapped_column(sa.ForeignKey("neighbourhoods.id"))
    address: Mapped[str] = mapped_column(sa.String(255), default="")

    user: Mapped[User] = relationship(backref=sa.orm.backref("resident", uselist=False))
    community: Mapped[Community] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()


class Team(db.Model):
    """A volunteer team (志愿服务队), e.g. the in-service party members' vanguard team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The unit the team comes from (在职党员 of one unit), or none: the community's own team.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    skills: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    members: Mapped[list["TeamMember"]] = relationship(back_populates="team")
    unit: Mapped[Unit | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)


class TeamMember(db.Model):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    is_leader: Mapped[bool] = mapped_column(default=False)
    # Leaving sets left_on and keeps the row: her hours while a member stay the team's.
    joined_on: Mapped[date] = mapped_column(
        default=date.today, server_default=sa.text("CURRENT_DATE")
    )
    left_on: Mapped[date | None]

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(backref="team_memberships")

    __table_args__ = (
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joining"),
    )


class Departure(db.Model):
    """A person's leaving: who deactivated her, when and why; and, if she came back or was
    anonymised, when and by whom. One row per time she left."""

    __tablename__ = "departures"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    deactivated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reactivated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
