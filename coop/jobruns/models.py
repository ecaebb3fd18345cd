import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


labelled(
    RunStatus,
    {RunStatus.RUNNING: _l("运行中"), RunStatus.DONE: _l("已完成"), RunStatus.FAILED: _l("失败")},
)


class JobRun(db.Model):
    """One job for one period (``2026-10`` for a month, ``2026-11-23`` for a day …). ``done``
    means the period is finished and the job will not run it again; ``running`` left behind by a
    killed clock is run again, which is safe because every job is idempotent on its data."""

    __tablename__ = "job_runs"
    __audit__ = False  # the row is itself the record of what ran

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, "status"))
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("name", "period"),)
