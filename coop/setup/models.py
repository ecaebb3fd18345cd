"""The installation's one set-up, and the 网格长 / 网格员 of each neighbourhood."""

import enum
import math
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Neighbourhood
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, utcnow
from coop.extensions import db

INSTALLATION_ID = 1
# The seed's staffing: one 网格员 for about this many households.
HOUSEHOLDS_PER_GRID_MEMBER = 150


class Installation(db.Model):
    """The one row that says this database has been set up. Its primary key can only be 1, so
    of two set-ups racing, the database lets exactly one insert it."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    set_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_up_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint(f"id = {INSTALLATION_ID}", name="single_row"),)


class GridPost(enum.StrEnum):
    LEADER = "leader"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return str(GRID_POST_LABELS[self])


GRID_POST_LABELS = {GridPost.LEADER: _l("网格长"), GridPost.MEMBER: _l("网格员")}


class GridAssignment(db.Model):
    """A person's post in a neighbourhood (网格): one 网格长, any number of 网格员."""

    __tablename__ = "grid_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(sa.ForeignKey("neighbourhoods.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post: Mapped[GridPost] = mapped_column(enum_type(GridPost, "post"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("neighbourhood_id", "user_id"),  # one post per person and grid
        sa.Index(
            "uq_grid_posts_leader",
            "neighbourhood_id",
            unique=True,
            postgresql_where=sa.text("post = 'leader'"),
            sqlite_where=sa.text("post = 'leader'"),
        ),
    )


def grid_members_needed(households: int) -> int:
    """网格员 a grid of this many households needs: one per 150, rounded up."""
    return math.ceil(households / HOUSEHOLDS_PER_GRID_MEMBER) if households > 0 else 0
