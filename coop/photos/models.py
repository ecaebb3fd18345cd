"""活动照片: photos of an activity, kept as evidence of what was done (六个一, 台账)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.activities.models import Activity
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db

CAPTION_LENGTH = 100


class ActivityPhoto(db.Model):
    """A photo re-encoded on upload (EXIF stripped), kept in the database like reward pictures so
    every web process and the worker making a 台账 read it without a shared disk."""

    __tablename__ = "activity_photos"
    # The bytes stay out of the audit log; the row's caption, size and who added it are in it.
    __audit_exclude__ = ("data",)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    caption: Mapped[str] = mapped_column(sa.String(CAPTION_LENGTH), default="")
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the re-encoded JPEG
    etag: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()
    added_by: Mapped[User | None] = relationship()
