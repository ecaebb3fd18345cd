"""Nightly: post the points of any verified service record whose posting is missing."""

from coop.hours import service
from coop.uow import unit_of_work
from jobs.base import Cadence, Job

BATCH = 500


def work(start, finish, progress) -> dict:
    posted = 0
    while True:
        with unit_of_work():
            done = service.settle_points(limit=BATCH)
        posted += done
        progress(posted)
        if done < BATCH:
            return {"posted": posted}


JOB = Job(
    name="settle_points",
    description="把已核实但尚未入账的服务时长结算为积分",
    cadence=Cadence.DAILY,
    trigger={"hour": 2, "minute": 15},
    work=work,
)
