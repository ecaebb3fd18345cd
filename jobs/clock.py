"""The `clock` process: APScheduler's BlockingScheduler in the community's time zone.

The clock decides *when* a job runs; the task queue decides *where*: at each tick the clock
queues ``jobs.tasks.run_scheduled(name, period)`` and a worker runs it through the run-once guard
(so a message delivered twice, or a job queued by two clocks, runs once). With
``QUEUE_IMMEDIATE`` the clock runs it itself.

Only one clock works at a time: on PostgreSQL each clock first takes the ``clock`` advisory lock,
and a second one stands by on it until the first goes away. On start the clock catches up: it
runs every job for its current period, which does nothing for periods already done. ``--once``
catches up and exits (for a cron-style deployment, and for tests).
"""

import argparse
import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from coop import create_app, queue
from coop.dbtypes import utcnow
from coop.jobruns.guard import advisory_lock
from coop.timeutil import COMMUNITY_TZ
from jobs import JOBS, tasks

log = logging.getLogger("coop.clock")


def run_due(app, name: str, *, here: bool = False) -> None:
    """Queue one job for the period it is due for (or, ``here``, run it in this process)."""
    with app.app_context():
        period = JOBS[name].period_at(utcnow())
        if here:
            run_period(name, period)
            return
        queue.enqueue_now(tasks.run_scheduled, name, period)
        log.info("%s %s queued", name, period)


def run_period(name: str, period: str) -> None:
    """Run one job for one period through its run-once guard (in an app context); log it."""
    try:
        outcome = JOBS[name].run(period)
    except Exception:
        log.exception("%s %s failed; the next run tries again", name, period)
        return
    log.info("%s %s: %s %s", name, period, outcome.status, outcome.result)


def build_scheduler(app) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=COMMUNITY_TZ, job_defaults={"coalesce": True, "max_instances": 1}
    )
    for name, job in JOBS.items():
        scheduler.add_job(
            run_due,
            CronTrigger(timezone=COMMUNITY_TZ, **job.trigger),
            args=[app, name],
            id=name,
            name=job.description,
        )
    return scheduler


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobs.clock")
    parser.add_argument(
        "--once", action="store_true", help="catch up every job in this process, then exit"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"BATCH": True})  # fail fast on bad configuration before waiting
    with app.app_context(), advisory_lock("clock", wait=True):
        log.info("clock active with %d jobs", len(JOBS))
        for name in JOBS:
            run_due(app, name, here=args.once)
        if args.once:
            return
        build_scheduler(app).start()


if __name__ == "__main__":
    main()
