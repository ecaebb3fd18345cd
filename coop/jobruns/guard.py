"""Run a job for a period at most once, and never twice at the same time.

Two guards. The ``job_runs`` row says whether the period is done; a job that crashed or was killed
left ``running`` (or ``failed``) and runs again, which every job tolerates because it is
idempotent on its own data. On PostgreSQL a session advisory lock per job, held on a connection of
its own for the whole run, makes a second runner (another clock, or `flask jobs run` beside the
clock) return ``busy`` instead of starting the same work; the lock goes when the process does, so
a killed clock never leaves it behind. SQLite has no such lock: it is the single-process default.
"""

import contextlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.jobruns.models import JobRun, RunStatus
from coop.uow import unit_of_work

LOCK_SPACE = 0x636F6F70  # "coop": the first key of every advisory lock this app takes


@dataclass
class Outcome:
    name: str
    period: str
    status: str  # ran, already_done, busy
    result: dict = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        return self.status == "ran"


def lock_key(name: str) -> int:
    """A stable 32-bit key for a name (Python's hash() changes between processes)."""
    return zlib.crc32(name.encode()) - 2**31


@contextlib.contextmanager
def advisory_lock(name: str, *, wait: bool = False) -> Iterator[bool]:
    """Hold PostgreSQL's session advisory lock for ``name`` on a connection of its own; yields
    whether it was got (``wait`` blocks until it is). Always got on SQLite."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    connection = db.engine.connect()
    try:
        function = sa.func.pg_advisory_lock if wait else sa.func.pg_try_advisory_lock
        got = connection.execute(sa.select(function(LOCK_SPACE, lock_key(name)))).scalar()
        connection.commit()  # a session lock outlives the transaction; keep nothing open
        got = True if wait else bool(got)
        try:
            yield got
        finally:
            if got:
                connection.execute(
                    sa.select(sa.func.pg_advisory_unlock(LOCK_SPACE, lock_key(name)))
                )
                connection.commit()
    finally:
        connection.close()


def _claim(name: str, period: str, force: bool) -> JobRun | None:
    """Mark the period running, or None when it is done (and not forced)."""
    run = db.session.scalar(
        sa.select(JobRun).where(JobRun.name == name, JobRun.period == period).with_for_update()
    )
    if run is None:
        run = JobRun(name=name, period=period, status=RunStatus.RUNNING, result={})
        db.session.add(run)
    elif run.status is RunStatus.DONE and not force:
        return None
    run.status, run.error, run.finished_at = RunStatus.RUNNING, "", None
    run.attempts = (run.attempts or 0) + 1
    run.started_at = utcnow()
    db.session.flush()
    return run


def run_once(name: str, period: str, work: Callable[[], dict], *, force: bool = False) -> Outcome:
    """Run ``work`` (which commits its own units of work and returns its counts) for the
    period unless it is done or running elsewhere. A failure is recorded and re-raised."""
    with advisory_lock(f"job:{name}") as got:
        if not got:
            return Outcome(name, period, "busy")
        with unit_of_work():
            run = _claim(name, period, force)
            run_id = run.id if run is not None else None
        if run_id is None:
            return Outcome(name, period, "already_done")
        try:
            result = work()
        except BaseException as error:
            db.session.rollback()
            with unit_of_work():
                run = db.session.get(JobRun, run_id)
                run.status, run.error, run.finished_at = RunStatus.FAILED, repr(error), utcnow()
            raise
        with unit_of_work():
            run = db.session.get(JobRun, run_id)
            run.status, run.result, run.finished_at = RunStatus.DONE, result, utcnow()
        return Outcome(name, period, "ran", result)


def run_unrecorded(name: str, period: str, work: Callable[[], dict]) -> Outcome:
    """Run ``work`` unless it is running elsewhere, keeping no record: for sweeps that run every
    minute and are idempotent on their own rows."""
    with advisory_lock(f"job:{name}") as got:
        if not got:
            return Outcome(name, period, "busy")
        return Outcome(name, period, "ran", work())


def last_runs() -> dict[str, JobRun]:
    """Each job's most recent run."""
    latest = (
        sa.select(JobRun.name, sa.func.max(JobRun.started_at).label("at"))
        .group_by(JobRun.name)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(JobRun).join(
            latest, sa.and_(JobRun.name == latest.c.name, JobRun.started_at == latest.c.at)
        )
    )
    return {run.name: run for run in rows}
