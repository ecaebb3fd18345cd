"""On the 1st of each month: points earned more than 24 months ago and not spent expire."""

from coop.ledger import expiry
from coop.uow import unit_of_work
from jobs.base import Cadence, Job

BATCH = 500


def work(start, finish, progress) -> dict:
    month = start.strftime("%Y-%m")
    with unit_of_work():
        due = expiry.expiring(expiry.cutoff_for(start))
    expired = points = 0
    for first in range(0, len(due), BATCH):
        with unit_of_work():  # a killed run keeps whole batches; the rerun finds the rest
            for account_id, amount in due[first : first + BATCH]:
                if expiry.expire_account(account_id, amount, month=month):
                    expired, points = expired + 1, points + amount
        progress(min(first + BATCH, len(due)))
    return {"accounts": expired, "points": points}


JOB = Job(
    name="expire_points",
    description="获得超过 24 个月且未使用的积分到期，退回社区积分池",
    cadence=Cadence.MONTHLY,
    trigger={"day": 1, "hour": 3, "minute": 0},
    work=work,
)
