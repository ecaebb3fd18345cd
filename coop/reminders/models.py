"""Each reminder sent: one row per (kind, subject, person), so a rerun or a second clock never
sends it twice (the unique key, inserted in the transaction that writes the notice)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coop.dbtypes import UTCDateTime, enum_type, utcnow
from coop.extensions import db


class ReminderKind(enum.StrEnum):
    ACTIVITY_TOMORROW = "activity_tomorrow"  # subject: the activity
    ACTIVITY_SOON = "activity_soon"  # subject: the activity
    PICKUP_DEADLINE = "pickup_deadline"  # subject: the redemption
    CLAIM_DEADLINE = "claim_deadline"  # subject: the project
    NEED_TIME_LIMIT = "need_time_limit"  # subject: the need


class SentReminder(db.Model):
    __tablename__ = "sent_reminders"
    __audit__ = False  # a record of messages sent, not anyone's data

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, "kind"))
    subject_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("kind", "subject_id", "user_id"),)
