"""Importing a workbook as a job run by the task queue: every row checked, with the progress on
a page that refreshes itself, then everything written in ONE transaction, or nothing.

Each import (the demand list, the people) has its own job table built from ``ImportJobMixin``
(so an id never names another kind's job) and registers an ``ImportKind``: ``read`` turns the
upload into rows, ``check`` reads the rows and returns what to write or the bad rows, ``write``
writes it inside the transaction that also marks the job done. The upload is kept with the job
until it finishes, so any worker can run it (and run it again).

Exactly once, whatever dies: a run first *claims* the job (its ``attempts`` goes up by one);
its progress, committed every PROGRESS_EVERY rows in short transactions, is also its heartbeat,
and its final transaction locks the job row and writes only if no later run has claimed it. A
worker killed mid-run leaves the job running with an old heartbeat; ``requeue_stalled`` (run by
every worker as it starts, and hourly by the clock) queues it again, up to MAX_ATTEMPTS runs,
and then marks it failed with the reason.
"""

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, deferred, mapped_column, relationship

from coop import queue
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.errors import DomainError
from coop.extensions import db
from coop.uow import unit_of_work

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 200
STALLED_AFTER = timedelta(minutes=15)  # shown as interrupted on its page
MAX_ATTEMPTS = 3


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
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh", server_default="zh")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # runs that claimed it
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its run's last sign

    @declared_attr
    def upload(cls) -> Mapped[bytes | None]:
        """The workbook as uploaded, until the job finishes (then dropped: it holds phones)."""
        return deferred(mapped_column(sa.LargeBinary))

    @declared_attr
    def community(cls) -> Mapped["Community"]:  # noqa: F821 - coop.alliance.models
        return relationship("Community")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    def is_stalled(self, now: datetime) -> bool:
        """Running with no sign of a run for long: no worker is taking it."""
        return self.is_running and now - (self.heartbeat_at or self.created_at) > STALLED_AFTER


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


# check(job, progress) -> (what write takes, bad rows); progress(done) reports rows checked.
Check = Callable[[Any, Any, Callable[[int], None]], tuple[Any, list[dict]]]
# write(actor, job, what check returned), inside the one transaction; sets its own counts.
Write = Callable[[User, Any, Any], None]


@dataclass(frozen=True)
class ImportKind:
    model: type
    read: Callable[[bytes], Any]  # the upload's rows (checked as it was uploaded)
    check: Check  # check(job, rows, progress)
    write: Write
    crashed: Callable[[], str]  # the message for an unexpected error (nothing was written)


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> None:
    KINDS[kind.model.__tablename__] = kind


def queue_job(job, data: bytes, *, locale: str) -> None:
    """Keep the upload with the job (in the caller's unit of work) and queue its run for after
    the commit."""
    job.upload = data
    job.locale = locale
    queue.enqueue(run_import, job.__tablename__, job.id)


class _Superseded(Exception):
    """A later run claimed the job: this one stops and writes nothing."""


@queue.task()
def run_import(table: str, job_id: int) -> None:
    """Check the rows, then write them all or none; the job row tells how it went."""
    kind = KINDS[table]
    attempt = _claim(kind.model, job_id)
    if attempt is None:
        return  # finished, failed, or gone: a duplicate message
    locale = db.session.scalar(sa.select(kind.model.locale).where(kind.model.id == job_id))
    with force_locale(locale or "zh"):
        try:
            _run(kind, job_id, attempt)
        except _Superseded:
            db.session.rollback()
            logger.info("%s %s: run %s superseded by a later one", table, job_id, attempt)
        except DomainError as error:  # a rule refused a row, or her grant was revoked
            details = [m for ms in error.errors.values() for m in ms if isinstance(ms, list)]
            _fail(kind.model, job_id, attempt, " ".join([error.message, *details]))
        except Exception:
            logger.exception("%s %s failed", table, job_id)
            _fail(kind.model, job_id, attempt, kind.crashed())


def _claim(model: type, job_id: int) -> int | None:
    with unit_of_work():
        row = db.session.execute(
            sa.select(model.status, model.attempts).where(model.id == job_id).with_for_update()
        ).one_or_none()
        if row is None or row.status not in RUNNING:
            return None
        attempt = row.attempts + 1
        db.session.execute(
            sa.update(model)
            .where(model.id == job_id)
            .values(
                attempts=attempt,
                heartbeat_at=utcnow(),
                status=ImportStatus.VALIDATING,
                processed_rows=0,
            )
        )
    return attempt


def _beat(model: type, job_id: int, attempt: int, **values) -> None:
    """Commit progress as this run's heartbeat. :raise _Superseded: a later run has claimed it."""
    with unit_of_work():
        done = db.session.execute(
            sa.update(model)
            .where(model.id == job_id, model.attempts == attempt)
            .values(heartbeat_at=utcnow(), **values)
        ).rowcount
    if not done:
        raise _Superseded()


def _run(kind: ImportKind, job_id: int, attempt: int) -> None:
    model = kind.model
    job = db.session.get(model, job_id)
    rows = kind.read(job.upload)

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == job.total_rows:
            _beat(model, job_id, attempt, processed_rows=done)

    checked, bad = kind.check(job, rows, progress)
    if bad:
        _finish(model, job_id, attempt, status=ImportStatus.FAILED, error_rows=bad)
        return
    _beat(model, job_id, attempt, status=ImportStatus.IMPORTING)
    actor = db.session.get(User, job.user_id)
    with unit_of_work(actor):  # the one transaction: every row, and the job marked done
        job = _locked(model, job_id, attempt)
        kind.write(actor, job, checked)
        job.status = ImportStatus.DONE
        job.finished_at = utcnow()
        job.upload = None


def _locked(model: type, job_id: int, attempt: int):
    """The job, locked until this transaction ends, if this run still holds it."""
    job = db.session.execute(
        sa.select(model)
        .where(model.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if job.attempts != attempt or job.status not in RUNNING:
        raise _Superseded()
    return job


def _finish(model: type, job_id: int, attempt: int, **values) -> None:
    with unit_of_work():
        job = _locked(model, job_id, attempt)
        for name, value in values.items():
            setattr(job, name, value)
        job.finished_at = utcnow()
        job.upload = None


def _fail(model: type, job_id: int, attempt: int, message: str) -> None:
    db.session.rollback()
    try:
        _finish(model, job_id, attempt, status=ImportStatus.FAILED, message=message)
    except _Superseded:
        db.session.rollback()


def requeue_stalled(now: datetime) -> dict:
    """Queue again each running job with no heartbeat for ``IMPORT_STALE_SECONDS`` (its worker
    died or its message was lost); one that has had MAX_ATTEMPTS runs is marked failed."""
    stale = now - timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])
    counts = {"requeued": 0, "failed": 0}
    for table, kind in KINDS.items():
        model = kind.model
        with unit_of_work():
            stalled = db.session.execute(
                sa.select(model.id, model.attempts)
                .where(
                    model.status.in_(RUNNING),
                    sa.func.coalesce(model.heartbeat_at, model.created_at) < stale,
                )
                .with_for_update(skip_locked=True)
            ).all()
            for job_id, attempts in stalled:
                if attempts >= MAX_ATTEMPTS:
                    job = db.session.get(model, job_id)
                    job.status = ImportStatus.FAILED
                    job.message = _("导入多次被中断，没有导入任何内容，请重新上传。")
                    job.finished_at = now
                    job.upload = None
                    counts["failed"] += 1
                else:  # the heartbeat moves on so that a second sweep leaves it to this run
                    db.session.execute(
                        sa.update(model).where(model.id == job_id).values(heartbeat_at=now)
                    )
                    queue.enqueue(run_import, table, job_id)
                    counts["requeued"] += 1
    return counts
