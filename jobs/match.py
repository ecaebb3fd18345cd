"""Nightly: 智能匹配 suggests units, resources and volunteers for what still needs people."""

from coop.matching import service
from coop.uow import unit_of_work
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    """One unit of work per community: a killed run keeps the communities it finished, and the
    next run replaces every community's open project suggestions and need rankings again (same
    facts, same rows)."""
    return service.match_all(now=start, progress=progress, each=unit_of_work)


JOB = Job(
    name="match",
    description="智能匹配：为待认领的项目和未纳入项目的需求推荐联盟单位、资源和志愿者",
    cadence=Cadence.DAILY,
    trigger={"hour": 1, "minute": 30},
    work=work,
)
