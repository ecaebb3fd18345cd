"""Importing a workbook as a job: every row checked, with the progress on a page that refreshes
itself, then everything written in ONE transaction, or nothing.

Each import (the demand list, the people) has its own job table built from ``ImportJobMixin``
(so an id never names another kind's job) and hands ``run_job`` two functions: ``check``, which
reads the rows and returns what to write or the bad rows, and ``write``, which writes it inside
the transaction that also marks the job done. The progress is committed every PROGRESS_EVERY
rows in short transactions of its own, so the job page can read it. A job runs in a daemon
thread (inline under TESTING, or when the import's ``*_IMPORT_INLINE`` setting says so); a job
whose process died stays "running" until ``is_stalled`` says otherwise.
"""

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from threading import Thread
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.errors import DomainError
from coop.extensions import db
from coop.uow import unit_of_work

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 200
STALLED_AFTER = timedelta(minutes=15)


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    VALIDATING = "validating"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


labelled(
    ImportStatus,
    {
        ImportStatus.QUEUED: _l("排队中"),
        ImportStatus.VALIDATING: _l("正在检查"),
        ImportStatus.IMPORTING: _l("正在导入"),
        ImportStatus.DONE: _l("已完成"),
        ImportStatus.FAILED: _l("未导入"),
    },
)
RUNNING = (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJobMixin:
    """The columns every import job has. The job row is itself the record of who uploaded
    what; auditing it would add a row per progress tick. What it writes is audited like any
    other change, with the uploader as actor."""

    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[ImportStatus] = mapped_column(
        enum_type(ImportStatus, "import_status"), default=ImportStatus.QUEUED
    )
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    # [{row, errors}], and the sheet's name when the workbook has several
    error_rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.Text, default="")  # why a job failed as a whole
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def community(cls) -> Mapped["Community"]:  # noqa: F821 - coop.alliance.models
        return relationship("Community")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    def is_stalled(self, now: datetime) -> bool:
        """Running long after it started: the process that ran it has gone (a restart)."""
        return self.is_running and now - self.created_at > STALLED_AFTER


def recent_jobs(model: type, community_id: int, limit: int = 5) -> list:
    """The community's latest uploads of this kind, for its import page (callers checked
    access)."""
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.community_id == community_id)
            .order_by(model.id.desc())
            .limit(limit)
        )
    )


def start_job(app: Flask, run: Callable[[], None], *, name: str, inline: bool) -> None:
    """Run the job in a daemon thread named ``name``, or right here when ``inline`` (tests)."""
    if inline:
        run()
        return
    Thread(target=run, name=name, daemon=True).start()


# check(job, progress) -> (what write takes, bad rows); progress(done) reports rows checked.
Check = Callable[[Any, Callable[[int], None]], tuple[Any, list[dict]]]
# write(actor, job, what check returned), inside the one transaction; sets its own counts.
Write = Callable[[User, Any, Any], None]


def run_job(
    app: Flask,
    model: type,
    job_id: int,
    *,
    locale: str,
    check: Check,
    write: Write,
    crashed: Callable[[], str],
) -> None:
    """Check the rows, then write them all or none; the job row tells how it went. ``crashed``
    is the message for an unexpected error (nothing was written)."""
    # A context of its own: the request's has gone (or, inline, keeps its own session).
    with app.app_context(), force_locale(locale):
        try:
            _run(model, job_id, check, write)
        except DomainError as error:  # a rule refused a row, or her grant was revoked
            details = [m for ms in error.errors.values() for m in ms if isinstance(ms, list)]
            _fail(model, job_id, " ".join([error.message, *details]))
        except Exception:
            logger.exception("%s %s failed", model.__tablename__, job_id)
            _fail(model, job_id, crashed())


def _run(model: type, job_id: int, check: Check, write: Write) -> None:
    job = db.session.get(model, job_id)
    actor = db.session.get(User, job.user_id)
    with unit_of_work(actor):
        job.status = ImportStatus.VALIDATING

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == job.total_rows:
            with unit_of_work(actor):
                job.processed_rows = done

    checked, bad = check(job, progress)
    if bad:
        with unit_of_work(actor):
            job.status = ImportStatus.FAILED
            job.error_rows = bad
            job.finished_at = utcnow()
        return
    with unit_of_work(actor):
        job.status = ImportStatus.IMPORTING
    with unit_of_work(actor):  # the one transaction: every row, and the job marked done
        write(actor, job, checked)
        job.status = ImportStatus.DONE
        job.finished_at = utcnow()


def _fail(model: type, job_id: int, message: str) -> None:
    db.session.rollback()
    with unit_of_work():
        job = db.session.get(model, job_id)
        job.status = ImportStatus.FAILED
        job.message = message
        job.finished_at = utcnow()
