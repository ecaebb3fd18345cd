"""Hourly: imports whose worker went away are queued again (each worker also does this as it
starts), and ones interrupted too often are marked failed with the reason."""

from coop import importing
from coop.dbtypes import utcnow
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    counts = importing.requeue_stalled(utcnow())  # staleness is about now, not the period
    progress(counts["requeued"] + counts["failed"])
    return counts


JOB = Job(
    name="requeue_imports",
    description="重新排队后台进程中断的 Excel 导入；多次中断的标为未导入并写明原因",
    cadence=Cadence.HOURLY,
    trigger={"minute": 20},
    work=work,
)
