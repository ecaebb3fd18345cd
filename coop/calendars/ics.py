"""iCalendar (RFC 5545) documents made with the ``icalendar`` library, as phones import them."""

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vDuration

from coop.calendars.service import FeedEntry, MeetingEntry
from coop.timeutil import COMMUNITY_TZ

PRODID = "-//Coop//共建联盟服务平台//ZH"
CONTENT_TYPE = "text/calendar; charset=utf-8"
REMIND_BEFORE = timedelta(hours=2)
# A meeting has a start only: its event lasts this long.
MEETING_LENGTH = timedelta(hours=2)
# Phones poll a subscription at their own pace; these ask for about hourly (Apple, Outlook).
REFRESH = timedelta(hours=1)
# The VTIMEZONE carries the zone's rules over these years: Asia/Shanghai has had no change since
# 1991, so one STANDARD block (+0800) is the whole of it.
ZONE_RULES_FROM, ZONE_RULES_UNTIL = date(2000, 1, 1), date(2100, 1, 1)


def uid(activity_id: int, host: str, kind: str = "activity") -> str:
    """Stable per activity (or meeting), so a re-import or the next poll updates the event in
    place."""
    return f"{kind}-{activity_id}@{host}"


def calendar(
    entries: Iterable[FeedEntry | MeetingEntry],
    *,
    host: str,
    link_for: Callable[[int], str],
    meeting_link_for: Callable[[int], str] | None = None,
    now: datetime,
    name: str | None = None,
) -> bytes:
    """A VCALENDAR (METHOD:PUBLISH) of the entries, times in the community's zone with its
    VTIMEZONE; ``name`` makes it a subscription (a calendar name and a refresh interval)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", str(COMMUNITY_TZ))
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(REFRESH))
    for entry in entries:
        if isinstance(entry, MeetingEntry):
            link = meeting_link_for(entry.meeting.id)
            cal.add_component(_meeting_event(entry, host=host, link=link, now=now))
        else:
            cal.add_component(_event(entry, host=host, link=link_for(entry.activity.id), now=now))
    cal.add_missing_timezones(first_date=ZONE_RULES_FROM, last_date=ZONE_RULES_UNTIL)
    return cal.to_ical()


def _event(entry: FeedEntry, *, host: str, link: str, now: datetime) -> Event:
    activity = entry.activity
    cancelled = entry.status == "CANCELLED"
    title = _("【已取消】%(title)s", title=activity.title) if cancelled else activity.title
    event = Event()
    event.add("uid", uid(activity.id, host))
    event.add("dtstamp", now)
    # The version goes up with every change of the row: calendars take the newer copy.
    event.add("sequence", activity.version)
    event.add("dtstart", activity.starts_at.astimezone(COMMUNITY_TZ))
    event.add("dtend", activity.ends_at.astimezone(COMMUNITY_TZ))
    event.add("summary", title)
    event.add("location", activity.place)
    description = "\n\n".join(part for part in (activity.description.strip(), link) if part)
    event.add("description", description)
    event.add("url", link)
    event.add("status", entry.status)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("两小时后：%(title)s", title=activity.title))
        alarm.add("trigger", -REMIND_BEFORE)
        event.add_component(alarm)
    return event


def _meeting_event(entry: MeetingEntry, *, host: str, link: str, now: datetime) -> Event:
    meeting = entry.meeting
    cancelled = entry.status == "CANCELLED"
    title = _("【已取消】%(title)s", title=meeting.title) if cancelled else meeting.title
    event = Event()
    event.add("uid", uid(meeting.id, host, "meeting"))
    event.add("dtstamp", now)
    # Meetings carry no version: calling one off is the change calendars must take.
    event.add("sequence", 1 if cancelled else 0)
    starts = meeting.starts_at.astimezone(COMMUNITY_TZ)
    event.add("dtstart", starts)
    event.add("dtend", starts + MEETING_LENGTH)
    event.add("summary", title)
    event.add("location", meeting.place)
    description = "\n\n".join(
        part for part in (meeting.kind.label, meeting.agenda.strip(), link) if part
    )
    event.add("description", str(description))
    event.add("url", link)
    event.add("status", entry.status)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("两小时后：%(title)s", title=meeting.title))
        alarm.add("trigger", -REMIND_BEFORE)
        event.add_component(alarm)
    return event
