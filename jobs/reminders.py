"""Every 15 minutes in the daytime: reminders of what is coming up, each sent once."""

from coop.reminders.service import send_reminders
from coop.uow import unit_of_work
from jobs.base import Cadence, Job


def work(start, finish, progress) -> dict:
    """Reminders due at the quarter's start; the notices and their sent marks commit together,
    so a killed run sent nothing and the next one sends it."""
    with unit_of_work():
        counts = send_reminders(now=start)
    progress(sum(n for kind, n in counts.items() if kind != "night"))
    return counts


JOB = Job(
    name="reminders",
    description="提醒：明天和两小时后的活动、两天内到期的领取、即将截止的认领、即将超时的需求（21:00–8:00 不发）",
    cadence=Cadence.QUARTER_HOURLY,
    trigger={"hour": "8-20", "minute": "*/15"},
    work=work,
)
