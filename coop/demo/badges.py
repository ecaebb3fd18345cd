"""月月红 in the demo (DESIGN.md §3): the past twelve months'
badges awarded through ``monthly_badges`` as the clock would have on each 1st at 01:00, so the
honour roll and the demo volunteer's wall show March's 学雷锋红色服务, May's 红色书画展 and 和美's
July 红色故事会. Each month is recorded as a done ``monthly_badges`` run: the clock does not award
it again, and a late verification re-evaluates it as in production. Bonus postings are dated at
the award (the activities' ``_Clock``)."""

from datetime import date, datetime, time

from coop.alliance.models import Community
from coop.badges.awarding import JOB_NAME, monthly_badges
from coop.demo.activities import _Clock
from coop.extensions import db
from coop.jobruns.models import JobRun, RunStatus
from coop.timeutil import COMMUNITY_TZ

MONTHS = 12


def _past_months(today: date) -> list[str]:
    """The twelve months before this one, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(MONTHS):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(f"{year}-{month:02d}")
    return months[::-1]


def load(loader, xingwang: Community, hemei: Community) -> None:
    """Each past month's awards under the default themes (called once, after the year's
    sessions)."""
    with _Clock() as clock:
        for period in _past_months(loader.today):
            year, month = int(period[:4]), int(period[5:])
            first = date(year + month // 12, month % 12 + 1, 1)
            clock.moment = datetime.combine(first, time(1), COMMUNITY_TZ)
            counts = monthly_badges(period, now=clock.moment, community_ids=[xingwang.id, hemei.id])
            db.session.add(
                JobRun(
                    name=JOB_NAME,
                    period=period,
                    status=RunStatus.DONE,
                    attempts=1,
                    result=counts,
                    started_at=clock.moment,
                    finished_at=clock.moment,
                )
            )
    db.session.flush()
