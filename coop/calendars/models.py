from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db


class CalendarToken(db.Model):
    """The secret of her calendar feed's URL; only its SHA-256 is stored. At most one is live
    per person (the partial unique index), so a new one always replaces the old."""

    __tablename__ = "calendar_tokens"
    __audit_exclude__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index(
            "uq_calendar_tokens_live_per_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        ),
    )
