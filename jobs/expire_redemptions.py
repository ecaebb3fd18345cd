"""Hourly: reservations not picked up by their deadline expire and their points come back."""

from coop.rewards import service
from coop.uow import unit_of_work
from jobs.base import Cadence, Job

BATCH = 200


def work(start, finish, progress) -> dict:
    """Everything overdue at the hour's start, a batch per transaction: a killed run has
    committed whole batches only, and the next run carries on from there."""
    expired = 0
    while True:
        with unit_of_work():
            done = service.expire_redemptions(now=start, limit=BATCH)
        expired += done
        progress(expired)
        if done < BATCH:
            return {"expired": expired}


JOB = Job(
    name="expire_redemptions",
    description="过期未领取的积分超市预约：物品回到货架，冻结积分退回",
    cadence=Cadence.HOURLY,
    trigger={"minute": 5},
    work=work,
)
