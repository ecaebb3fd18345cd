from datetime import date, datetime, time
from zoneinfo import ZoneInfo

COMMUNITY_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in the community's time zone, which is what agreements and terms count in."""
    return datetime.now(COMMUNITY_TZ).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The 1st of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    """The community's midnight starting ``day``, as an aware datetime (compare with UTC)."""
    return datetime.combine(day, time(), COMMUNITY_TZ)
