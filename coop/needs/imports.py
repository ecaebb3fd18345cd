"""Importing the demand list from a sheet: every row recorded through record_need, or none.

An upload becomes an ImportJob. The job checks each row, committing its progress every
PROGRESS_EVERY rows in short transactions of its own so the progress page can read it, then
records all the needs in ONE transaction that also marks the job done. It runs in a daemon thread
(inline under TESTING, or when NEEDS_IMPORT_INLINE says so); a job whose process died stays
"running" until ``is_stalled`` says otherwise.
"""

import enum
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from threading import Thread

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.errors import DomainError, NotFound
from coop.extensions import db
from coop.needs import excel, permissions, service
from coop.needs.models import Need
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


class ImportJob(db.Model):
    __tablename__ = "need_import_jobs"
    # The job row is itself the record of who uploaded what; auditing it would add a row per
    # progress tick. The needs it records are audited like any other, with the uploader as actor.
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
    error_rows: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{row, errors}]
    imported_count: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.Text, default="")  # why a job failed as a whole
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    def is_stalled(self, now: datetime) -> bool:
        """Running long after it started: the process that ran it has gone (a restart)."""
        return self.is_running and now - self.created_at > STALLED_AFTER


def import_needs(actor: User, community_id: int, rows: Sequence[dict]) -> list[Need]:
    """Record every row as a listed need, or none: the caller's unit of work is the one
    transaction, and any row's error leaves it to roll back.

    :raise Forbidden: she does not manage the community. :raise Invalid: a row breaks a rule
        of record_need (a foreign neighbourhood).
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    return [service.record_need(actor, community.id, **fields) for fields in rows]


def create_import_job(
    actor: User, community_id: int, *, filename: str, total_rows: int
) -> ImportJob:
    """A queued job for an upload the secretary made. :raise Forbidden: not her community's."""
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    job = ImportJob(
        community_id=community.id,
        user_id=actor.id,
        filename=filename[:255],
        total_rows=total_rows,
        error_rows=[],
    )
    db.session.add(job)
    db.session.flush()
    return job


def get_import_job(actor: User | None, job_id: int) -> ImportJob:
    """:raise NotFound: no such job, or not of the actor's communities. :raise Forbidden: she
    does not manage the job's community."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound()
    community = alliance_queries.get_community(actor, job.community_id)
    require(permissions.can_manage_needs(actor, community))
    return job


def recent_import_jobs(community_id: int, limit: int = 5) -> list[ImportJob]:
    """The community's latest uploads, for the import page (its callers checked access)."""
    return list(
        db.session.scalars(
            sa.select(ImportJob)
            .where(ImportJob.community_id == community_id)
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )


def start_import_job(app: Flask, job_id: int, rows: list[excel.Row], *, locale: str) -> None:
    """Run the job in a daemon thread, or right here when the app asks for it (tests)."""
    if app.config.get("NEEDS_IMPORT_INLINE", app.testing):
        run_import_job(app, job_id, rows, locale=locale)
        return
    Thread(
        target=run_import_job,
        args=(app, job_id, rows),
        kwargs={"locale": locale},
        name=f"needs-import-{job_id}",
        daemon=True,
    ).start()


def run_import_job(app: Flask, job_id: int, rows: list[excel.Row], *, locale: str) -> None:
    """Check the rows, then import them all or none; the job row tells how it went."""
    # A context of its own: the request's has gone (or, inline, keeps its own session).
    with app.app_context(), force_locale(locale):
        try:
            _run(job_id, rows)
        except DomainError as error:  # record_need refused a row, or her grant was revoked
            details = [m for ms in error.errors.values() for m in ms if isinstance(ms, list)]
            _fail(job_id, " ".join([error.message, *details]))
        except Exception:
            logger.exception("needs import job %s failed", job_id)
            _fail(job_id, _("导入时出错，没有导入任何需求，请稍后重试。"))


def _run(job_id: int, rows: list[excel.Row]) -> None:
    job = db.session.get(ImportJob, job_id)
    actor = db.session.get(User, job.user_id)
    community = db.session.get(Community, job.community_id)
    choices = excel.choices_for({n.name: n.id for n in community.neighbourhoods})
    with unit_of_work(actor):
        job.status = ImportStatus.VALIDATING
    good: list[dict] = []
    bad: list[dict] = []
    for done, (number, cells) in enumerate(rows, 1):
        fields, errors = excel.validate_row(cells, choices)
        if errors:
            bad.append({"row": number, "errors": errors})
        else:
            good.append(fields)
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            with unit_of_work(actor):
                job.processed_rows = done
    if bad:
        with unit_of_work(actor):
            job.status = ImportStatus.FAILED
            job.error_rows = bad
            job.finished_at = utcnow()
        return
    with unit_of_work(actor):
        job.status = ImportStatus.IMPORTING
    with unit_of_work(actor):  # the one transaction: every need, and the job marked done
        needs = import_needs(actor, job.community_id, good)
        job.status = ImportStatus.DONE
        job.imported_count = len(needs)
        job.finished_at = utcnow()


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    with unit_of_work():
        job = db.session.get(ImportJob, job_id)
        job.status = ImportStatus.FAILED
        job.message = message
        job.finished_at = utcnow()
