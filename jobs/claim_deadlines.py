"""Each morning: notices for the claim deadlines and start times that passed the day before."""

from coop.claims.chasing import chase_deadlines
from coop.uow import unit_of_work
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    with unit_of_work():  # one day's notices go out together or not at all
        counts = chase_deadlines(since=start, until=finish)
    progress(counts["notices"])
    return counts


JOB = Job(
    name="claim_deadlines",
    description="前一天过了认领截止或开始时间的项目与认领：给书记、认领方发站内通知",
    cadence=Cadence.DAILY,
    trigger={"hour": 8, "minute": 0},
    work=work,
    on_previous=True,
)
