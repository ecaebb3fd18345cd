"""The in-app inbox: short notices on each person's home page (SMS/WeChat can plug in later)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db


class Notice(db.Model):
    __tablename__ = "notices"
    __audit__ = False  # a message to a person, not a change of anyone's data

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(128))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_notices_user_unread", "user_id", "read_at"),)
