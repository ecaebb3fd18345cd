"""The `clock` process: APScheduler's BlockingScheduler in the community's time zone.

No job is scheduled yet; the jobs of later issues (matching, settling points, monthly badges…)
register here, each a thin module calling a service function under an app context.
"""

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from coop import create_app
from coop.timeutil import COMMUNITY_TZ

log = logging.getLogger("coop.clock")


def build_scheduler() -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=COMMUNITY_TZ, job_defaults={"coalesce": True, "max_instances": 1}
    )
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    create_app()  # fail fast on bad configuration (database URL, secret) before waiting
    scheduler = build_scheduler()
    log.info("clock started with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()


if __name__ == "__main__":
    main()
