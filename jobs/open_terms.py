"""On 1 January and 1 July: open the half year's term for every alliance, book its 联盟大会 and
ask the secretaries to record the deputy the alliance chooses (the clock never picks one)."""

from coop.dbtypes import utcnow
from coop.jobruns.periods import Cadence, current
from coop.terms.service import open_terms
from coop.uow import unit_of_work
from jobs.base import Job


def work(start, finish, progress) -> dict:
    with unit_of_work():  # the terms, plans and notices go out together or not at all
        counts = open_terms(current(Cadence.HALF_YEARLY, start), now=utcnow())
    progress(counts["alliances"])
    return counts


JOB = Job(
    name="open_terms",
    description="每半年开启新一届：联盟大会日期、六个一计划，并通知书记录入推选的轮值副书记",
    cadence=Cadence.HALF_YEARLY,
    trigger={"month": "1,7", "day": 1, "hour": 0, "minute": 30},
    work=work,
    on_previous=False,
)
