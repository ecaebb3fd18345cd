"""Job periods as text, in the community's time zone: what one run of a job covers."""

import enum
import re
from datetime import date, datetime, time, timedelta

from coop.timeutil import COMMUNITY_TZ, next_month


class Cadence(enum.StrEnum):
    QUARTER_HOURLY = "quarter_hourly"  # 2026-11-23T14:15
    HOURLY = "hourly"  # 2026-11-23T14
    DAILY = "daily"  # 2026-11-23
    MONTHLY = "monthly"  # 2026-10
    HALF_YEARLY = "half_yearly"  # 2026H2


FORMATS = {
    Cadence.QUARTER_HOURLY: (
        re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(00|15|30|45)$"),
        "2026-11-23T14:15",
    ),
    Cadence.HOURLY: (re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})$"), "2026-11-23T14"),
    Cadence.DAILY: (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "2026-11-23"),
    Cadence.MONTHLY: (re.compile(r"^(\d{4})-(\d{2})$"), "2026-10"),
    Cadence.HALF_YEARLY: (re.compile(r"^(\d{4})H([12])$"), "2026H2"),
}


class BadPeriod(ValueError):
    pass


def current(cadence: Cadence, now: datetime) -> str:
    """The period ``now`` falls in."""
    local = now.astimezone(COMMUNITY_TZ)
    if cadence is Cadence.QUARTER_HOURLY:
        return local.strftime("%Y-%m-%dT%H:") + f"{local.minute // 15 * 15:02d}"
    if cadence is Cadence.HOURLY:
        return local.strftime("%Y-%m-%dT%H")
    if cadence is Cadence.DAILY:
        return local.strftime("%Y-%m-%d")
    if cadence is Cadence.MONTHLY:
        return local.strftime("%Y-%m")
    return f"{local.year}H{1 if local.month <= 6 else 2}"


def previous(cadence: Cadence, now: datetime) -> str:
    """The period just ended: what a monthly job run on the 1st works on."""
    return current(cadence, start(cadence, current(cadence, now)) - timedelta(seconds=1))


def start(cadence: Cadence, period: str) -> datetime:
    """The period's first moment (community time, as an aware datetime).

    :raise BadPeriod: not a period of this cadence.
    """
    pattern, example = FORMATS[cadence]
    match = pattern.match(period.strip())
    if match is None:
        raise BadPeriod(f"期间格式应为 {example}")
    parts = [int(p) for p in match.groups()]
    try:
        if cadence is Cadence.QUARTER_HOURLY:
            return datetime(*parts[:3], parts[3], parts[4], tzinfo=COMMUNITY_TZ)
        if cadence is Cadence.HOURLY:
            return datetime(*parts[:3], parts[3], tzinfo=COMMUNITY_TZ)
        if cadence is Cadence.DAILY:
            return datetime.combine(date(*parts), time(), COMMUNITY_TZ)
        if cadence is Cadence.MONTHLY:
            return datetime.combine(date(*parts, 1), time(), COMMUNITY_TZ)
        year, half = parts
        return datetime.combine(date(year, 1 if half == 1 else 7, 1), time(), COMMUNITY_TZ)
    except ValueError as error:
        raise BadPeriod(f"没有这个期间：{period}（格式如 {example}）") from error


def end(cadence: Cadence, period: str) -> datetime:
    """The first moment after the period."""
    first = start(cadence, period)
    if cadence is Cadence.QUARTER_HOURLY:
        return first + timedelta(minutes=15)
    if cadence is Cadence.HOURLY:
        return first + timedelta(hours=1)
    if cadence is Cadence.DAILY:
        return first + timedelta(days=1)
    if cadence is Cadence.MONTHLY:
        return datetime.combine(next_month(first.date()), time(), COMMUNITY_TZ)
    return datetime.combine(
        date(first.year + (first.month == 7), 7 if first.month == 1 else 1, 1), time(), COMMUNITY_TZ
    )
