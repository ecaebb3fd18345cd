"""Quiet hours: a span of community time, possibly across midnight, when nothing but the inbox
reaches her. 21:00–08:00 unless she changes it or turns it off."""

from datetime import datetime, time, timedelta

from coop.timeutil import COMMUNITY_TZ

DEFAULT_FROM = time(21, 0)
DEFAULT_UNTIL = time(8, 0)


def held_until(moment: datetime, quiet_from: time | None, quiet_until: time | None) -> datetime:
    """``moment`` itself when it is outside the quiet hours, else the moment they end (UTC)."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return moment
    local = moment.astimezone(COMMUNITY_TZ)
    now = local.timetz().replace(tzinfo=None)
    if quiet_from < quiet_until:  # within one day: 12:00–14:00
        inside = quiet_from <= now < quiet_until
        end_day = local.date()
    else:  # across midnight: 21:00–08:00
        inside = now >= quiet_from or now < quiet_until
        end_day = local.date() + timedelta(days=1) if now >= quiet_from else local.date()
    if not inside:
        return moment
    end = datetime.combine(end_day, quiet_until, COMMUNITY_TZ)
    return end.astimezone(moment.tzinfo)
