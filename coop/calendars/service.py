"""Her calendar feed's secret and what the feed and an activity's .ics contain.

The feed is read by phones' calendar apps, which cannot sign in: the URL's random token is the
only key. Only its SHA-256 is stored (as for API tokens and invitations), so the URL can be shown
only when it is made; she makes a new one (the old stops working) to see it again.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.activities import queries as activity_queries
from coop.activities.models import LIVE_SIGNUP, Activity, ActivityStatus, Signup, SignupStatus
from coop.alliance.permissions import liaison_unit_ids
from coop.auth.models import Role, User
from coop.calendars.models import CalendarToken
from coop.errors import Forbidden, NotFound
from coop.extensions import db
from coop.meetings.models import Attendance, Meeting, MeetingStatus

# 32 random bytes: 256 bits, far past guessing, as URL-safe base64 (43 characters).
TOKEN_BYTES = 32
# The feed starts this far back, so last week's sessions stay in her calendar.
FEED_DAYS_BACK = 30


@dataclass(frozen=True)
class FeedEntry:
    """One of her activities as the calendar shows it: going, on the waiting list, or called
    off (a cancelled activity stays in the feed so that phones remove it)."""

    activity: Activity
    status: str  # CONFIRMED | TENTATIVE | CANCELLED (iCalendar's words)


@dataclass(frozen=True)
class MeetingEntry:
    """A 联盟大会 or 联席会议 her unit is invited to: on, or called off (kept so phones drop it)."""

    meeting: Meeting
    status: str  # CONFIRMED | CANCELLED


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def can_subscribe(actor: User | None) -> bool:
    """The feed lists her sign-ups and her units' meetings: volunteers and liaisons have one."""
    return actor is not None and (
        actor.has_role(Role.VOLUNTEER) or actor.has_role(Role.UNIT_LIAISON)
    )


def _require_subscriber(actor: User) -> None:
    """:raise Forbidden: she is not a volunteer. Locks her user row, so that two requests at
    once cannot each make a live token (the partial unique index would refuse the second)."""
    if not can_subscribe(actor):
        raise Forbidden(_("日历订阅列出你报名的活动和单位受邀的会议，只有志愿者和联络员可以使用。"))
    db.session.execute(sa.select(User.id).where(User.id == actor.id).with_for_update())


def live_token(user_id: int) -> CalendarToken | None:
    return db.session.scalar(
        sa.select(CalendarToken).where(
            CalendarToken.user_id == user_id, CalendarToken.revoked_at.is_(None)
        )
    )


def _revoke_live(user_id: int, now: datetime) -> bool:
    token = live_token(user_id)
    if token is None:
        return False
    token.revoked_at = now
    db.session.flush()  # before the new row: the index allows one live token
    return True


def issue_feed_token(actor: User, *, now: datetime) -> str:
    """A new secret for her feed, returned once; the one she had stops working.

    :raise Forbidden: she is not a volunteer."""
    _require_subscriber(actor)
    _revoke_live(actor.id, now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(CalendarToken(user_id=actor.id, token_hash=_digest(raw), created_at=now))
    db.session.flush()
    return raw


def first_feed_token(actor: User, *, now: datetime) -> tuple[CalendarToken, str | None]:
    """Her live token, made now if she has none: (token, its secret when just made, else None,
    since only the hash is kept). :raise Forbidden: she is not a volunteer."""
    _require_subscriber(actor)
    token = live_token(actor.id)
    if token is not None:
        return token, None
    raw = issue_feed_token(actor, now=now)
    return live_token(actor.id), raw


def revoke_feed_token(actor: User, *, now: datetime) -> bool:
    """Stop her feed's URL working; False when there was none (nothing to do).

    :raise Forbidden: she is not a volunteer."""
    _require_subscriber(actor)
    return _revoke_live(actor.id, now)


def feed_owner(raw: str) -> User:
    """Whose feed the secret opens. :raise NotFound: unknown, revoked, or she has left."""
    user = db.session.scalar(
        sa.select(User)
        .join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == _digest(raw), CalendarToken.revoked_at.is_(None))
    )
    if user is None or not user.is_active:
        raise NotFound()
    return user


def feed_entries(user: User, *, now: datetime) -> list[FeedEntry]:
    """Her sign-ups from FEED_DAYS_BACK days ago on, one entry per activity, soonest first: the
    live ones, and those whose activity was called off. Sign-ups she withdrew are left out, so
    the calendar drops them."""
    rows = db.session.execute(
        sa.select(
            Activity, sa.func.max(sa.case((Signup.status == SignupStatus.CONFIRMED, 1), else_=0))
        )
        .join(Signup, Signup.activity_id == Activity.id)
        .where(
            Signup.volunteer_id == user.id,
            Activity.starts_at >= now - timedelta(days=FEED_DAYS_BACK),
            sa.or_(
                Signup.status.in_(LIVE_SIGNUP),
                Activity.status == ActivityStatus.CANCELLED,
            ),
        )
        .group_by(Activity.id)
        .order_by(Activity.starts_at, Activity.id)
    )
    entries = [FeedEntry(activity, _status(activity, confirmed=bool(c))) for activity, c in rows]
    return sorted(entries + _meeting_entries(user, now), key=_start)


def _start(entry: FeedEntry | MeetingEntry) -> datetime:
    return entry.activity.starts_at if isinstance(entry, FeedEntry) else entry.meeting.starts_at


def _meeting_entries(user: User, now: datetime) -> list[MeetingEntry]:
    """The meetings a unit she is the liaison of is invited to (one attendance row each), from
    FEED_DAYS_BACK days ago on; a called-off one stays, as cancelled."""
    units = liaison_unit_ids(user)
    if not units:
        return []
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.id.in_(sa.select(Attendance.meeting_id).where(Attendance.unit_id.in_(units))),
            Meeting.starts_at >= now - timedelta(days=FEED_DAYS_BACK),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        MeetingEntry(m, "CANCELLED" if m.status is MeetingStatus.CANCELLED else "CONFIRMED")
        for m in meetings
    ]


def _status(activity: Activity, *, confirmed: bool) -> str:
    if activity.status is ActivityStatus.CANCELLED:
        return "CANCELLED"
    return "CONFIRMED" if confirmed else "TENTATIVE"


def activity_entry(actor: User, activity_id: int) -> FeedEntry:
    """One activity for her calendar, for anyone who may see it; her own place on the waiting
    list shows as tentative. :raise NotFound: not an activity of her communities."""
    activity = activity_queries.get_activity(actor, activity_id)
    signup = activity_queries.live_signup(activity.id, actor.id)
    waitlisted = signup is not None and signup.status is SignupStatus.WAITLISTED
    status = _status(activity, confirmed=not waitlisted)
    return FeedEntry(activity, status)
