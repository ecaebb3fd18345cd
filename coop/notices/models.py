"""The in-app inbox, and the outbox its notices leave by: one delivery row per other channel."""

import enum
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting, held for quiet hours, being sent, or due for another try
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # every try failed; last_error says why


labelled(
    DeliveryStatus,
    {
        DeliveryStatus.QUEUED: _l("待发送"),
        DeliveryStatus.SENT: _l("已送达"),
        DeliveryStatus.FAILED: _l("未送达"),
    },
)


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

    # Loaded with the notices in one more query, for 短信未送达 on the inbox.
    deliveries: Mapped[list["NoticeDelivery"]] = relationship(
        back_populates="notice", lazy="selectin", order_by="NoticeDelivery.id"
    )

    __table_args__ = (sa.Index("ix_notices_user_unread", "user_id", "read_at"),)

    @property
    def undelivered(self) -> list["NoticeDelivery"]:
        """The channels that gave up on this notice."""
        return [d for d in self.deliveries if d.status is DeliveryStatus.FAILED]


class NoticeDelivery(db.Model):
    """A notice's trip through one channel besides the inbox (coop.notices.delivery).

    Written in the notice's transaction; the queue sends it after the commit. A worker claims a
    try by raising ``attempts`` and moving ``next_attempt_at`` past the send (a lease) in one
    conditional UPDATE, so two workers never send the same try; the sweep re-queues rows whose
    ``next_attempt_at`` has passed (a lost message, a dead worker, the end of quiet hours).
    """

    __tablename__ = "notice_deliveries"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[Notice] = relationship(back_populates="deliveries")

    @property
    def failure_label(self) -> str:
        """短信未送达, as her inbox says it."""
        from coop.notices.channels import UNDELIVERED

        return str(UNDELIVERED.get(self.channel, self.channel))

    __table_args__ = (
        sa.UniqueConstraint("notice_id", "channel", name="uq_notice_deliveries_notice_channel"),
        # the sweep: queued rows by when they are due
        sa.Index("ix_notice_deliveries_due", "status", "next_attempt_at"),
    )


class NoticeSettings(db.Model):
    """Her channels besides the inbox and her quiet hours (community time). No row: the
    inbox only, quiet 21:00–08:00. ``quiet_from`` None: no quiet hours."""

    __tablename__ = "notice_settings"
    __audit__ = False

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[str] = mapped_column(sa.String(64), default="")  # "email,sms"
    quiet_from: Mapped[time | None] = mapped_column(sa.Time)
    quiet_until: Mapped[time | None] = mapped_column(sa.Time)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]
