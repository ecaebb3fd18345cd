"""The HTTP side shared by the pages and the API: feed URLs and .ics responses."""

from datetime import datetime

from flask import Response, request, url_for
from flask_babel import gettext as _

from coop.auth.models import User
from coop.calendars import ics, service
from coop.dbtypes import utcnow


def feed_urls(raw: str) -> tuple[str, str]:
    """(https URL, webcal:// URL) of the feed with this secret."""
    url = url_for("calendars.feed", token=raw, _external=True)
    return url, "webcal://" + url.split("://", 1)[1]


def _host() -> str:
    """The domain in each event's UID: this site's name, the same on every poll."""
    return request.host.split(":", 1)[0]


def _activity_link(activity_id: int) -> str:
    return url_for("activities.detail", activity_id=activity_id, _external=True)


def _meeting_link(meeting_id: int) -> str:
    return url_for("meetings.detail", meeting_id=meeting_id, _external=True)


def _ics(body: bytes, *, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "private"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, content_type=ics.CONTENT_TYPE, headers=headers)


def feed(raw: str, *, now: datetime | None = None) -> Response:
    """Her feed. :raise NotFound: the secret is unknown or was revoked."""
    now = now or utcnow()
    owner = service.feed_owner(raw)
    body = ics.calendar(
        service.feed_entries(owner, now=now),
        host=_host(),
        link_for=_activity_link,
        meeting_link_for=_meeting_link,
        now=now,
        name=_("我的志愿活动"),
    )
    return _ics(body)


def activity_ics(actor: User, activity_id: int) -> Response:
    """:raise NotFound: not an activity she may see."""
    entry = service.activity_entry(actor, activity_id)
    body = ics.calendar([entry], host=_host(), link_for=_activity_link, now=utcnow())
    return _ics(body, filename=f"activity-{activity_id}.ics")
