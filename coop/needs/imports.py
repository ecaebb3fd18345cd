"""Importing the demand list from a sheet: every row recorded through record_need, or none.

An upload becomes an ImportJob, run by ``coop.importing``: each row is checked (the progress
shown), then all the needs are recorded in ONE transaction that also marks the job done.
"""

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from coop import importing
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.importing import RUNNING, STALLED_AFTER, ImportStatus  # noqa: F401 - their home was here
from coop.needs import excel, permissions, service
from coop.needs.models import Need

PROGRESS_EVERY = importing.PROGRESS_EVERY


class ImportJob(importing.ImportJobMixin, db.Model):
    __tablename__ = "need_import_jobs"

    imported_count: Mapped[int] = mapped_column(default=0)


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
    return importing.recent_jobs(ImportJob, community_id, limit)


def _check(job: ImportJob, rows: list[excel.Row], progress) -> tuple[list[dict], list[dict]]:
    community = db.session.get(Community, job.community_id)
    choices = excel.choices_for({n.name: n.id for n in community.neighbourhoods})
    good: list[dict] = []
    bad: list[dict] = []
    for done, (number, cells) in enumerate(rows, 1):
        fields, errors = excel.validate_row(cells, choices)
        if errors:
            bad.append({"row": number, "errors": errors})
        else:
            good.append(fields)
        progress(done)
    return good, bad


def _write(actor: User, job: ImportJob, good: list[dict]) -> None:
    needs = import_needs(actor, job.community_id, good)
    job.imported_count = len(needs)


importing.register(
    importing.ImportKind(
        model=ImportJob,
        read=excel.read_sheet,
        check=_check,
        write=_write,
        crashed=lambda: _("导入时出错，没有导入任何需求，请稍后重试。"),
    )
)
