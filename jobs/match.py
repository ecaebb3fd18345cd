"""Nightly: 智能匹配 suggests units, resources and volunteers for what still needs people."""

from coop.matching import queries, service
from coop.uow import unit_of_work
from jobs import parallel
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    """One unit of work per community, a few communities at once (``jobs.parallel``: one
    community's rows stream to the server while another is scored): a killed run keeps the
    communities it finished, and the next run replaces every community's open project
    suggestions and need rankings again (same facts, same rows)."""
    with unit_of_work():
        community_ids = service.community_ids()
        inactive = queries.inactive_user_ids()  # once for the night, not once per community
    totals = parallel.each(
        community_ids,
        lambda community_id: service.match_community(community_id, now=start, inactive=inactive),
        progress,
    )
    return {"communities": len(community_ids), **totals}


JOB = Job(
    name="match",
    description="智能匹配：为待认领的项目和未纳入项目的需求推荐联盟单位、资源和志愿者",
    cadence=Cadence.DAILY,
    trigger={"hour": 1, "minute": 30},
    work=work,
)
