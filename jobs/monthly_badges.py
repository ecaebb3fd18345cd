"""On the 1st: the 月月红 badges for the month just ended, one community per transaction."""

from collections import Counter

from coop.badges import awarding
from coop.badges.catalog import ensure_catalog
from coop.dbtypes import utcnow
from coop.jobruns import periods
from coop.uow import unit_of_work
from jobs import parallel
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    """One unit of work per community, a few communities at once (``jobs.parallel``). A killed
    run has committed whole communities only; the next run does them again, which changes
    nothing, and carries on from there."""
    period = periods.current(Cadence.MONTHLY, start)
    now = utcnow()
    with unit_of_work():
        ensure_catalog()  # once, before the communities run side by side
        community_ids = awarding.all_community_ids()
    totals = Counter({"communities": 0, "granted": 0, "restored": 0, "revoked": 0, "bonuses": 0})
    totals.update(
        parallel.each(
            community_ids,
            lambda community_id: awarding.monthly_badges(
                period, now=now, community_ids=[community_id]
            ),
            progress,
        )
    )
    return dict(totals)


JOB = Job(
    name=awarding.JOB_NAME,
    description="上月月月红徽章：主题徽章、时长徽章和月度共建之星；不再符合的撤销并注明原因",
    cadence=Cadence.MONTHLY,
    trigger={"day": 1, "hour": 1, "minute": 0},
    work=work,
    on_previous=True,
)
