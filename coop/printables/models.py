"""The monthly 台账, made by the task queue: the job row is also where the finished PDF waits."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance.models import Community
from coop.dbtypes import UTCDateTime, utcnow
from coop.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class LedgerReport(db.Model):
    """One request for a community's monthly 台账. The row records who asked for which month;
    auditing it would add a row per state change of a job (as import jobs are not audited)."""

    __tablename__ = "ledger_reports"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM, community time
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
    message: Mapped[str] = mapped_column(sa.Text, default="")  # why it failed
    size: Mapped[int] = mapped_column(default=0)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status in (QUEUED, RUNNING)
