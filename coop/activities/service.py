"""Activities: scheduling sessions, sign-up with a waiting list, check-in and check-out.

Seat counting takes the activity's row lock and ``activities.confirmed_count`` has a CHECK
within capacity; a volunteer's own sign-ups are serialised by her profile row, so two racing
sign-ups for overlapping sessions cannot both succeed.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _

from coop.activities import errors, permissions, queries
from coop.activities.models import (
    LIVE_SIGNUP,
    Activity,
    ActivityStatus,
    Feedback,
    Signup,
    SignupStatus,
    new_checkin_code,
)
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.auth.throttle import checkin_code_attempts, wait_text
from coop.errors import Forbidden, Invalid, TooManyRequests
from coop.extensions import db
from coop.notices import changes as words
from coop.notices.service import notify
from coop.people.models import VolunteerProfile
from coop.projects import queries as project_queries
from coop.projects.models import ProjectStatus
from coop.timeutil import COMMUNITY_TZ
from coop.versioning import check_version

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
MAX_HOURS_A_DAY = 24


def schedule_activity(
    actor: User,
    community_id: int,
    *,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    project_id: int | None = None,
    description: str = "",
    theme_month: str | None = None,
) -> Activity:
    """The secretary (or the project's lead unit) schedules a session of a project, or the
    secretary a stand-alone themed activity.

    :raise Forbidden: neither. :raise Invalid: the times are out of order, the project closed,
    or the theme of another month than the session's.
    """
    community = alliance_queries.get_community(actor, community_id)
    project = None
    if project_id is not None:
        project = project_queries.get_project(actor, project_id)
        if project.community_id != community.id:
            raise Invalid(errors={"project_id": [_("请选择本社区的项目。")]})
        if project.status in (
            ProjectStatus.DRAFT,
            ProjectStatus.CANCELLED,
            ProjectStatus.EVALUATED,
        ):
            raise Invalid(errors={"project_id": [_("该项目当前不能安排活动。")]})
    require(permissions.can_organise(actor, community, project))
    if ends_at <= starts_at:
        raise Invalid(errors={"ends_at": [_("结束时间必须晚于开始时间。")]})
    if project is not None:
        _within_project(project, starts_at, ends_at)
    _theme_of_its_month(theme_month, starts_at)
    activity = Activity(
        community_id=community.id,
        project_id=project_id,
        title=title,
        description=description,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        theme_month=theme_month,
        created_by_id=actor.id,
    )
    db.session.add(activity)
    db.session.flush()
    return activity


def _local_day(moment: datetime) -> date:
    return moment.astimezone(COMMUNITY_TZ).date()


def _theme_of_its_month(theme_month: str | None, starts_at: datetime) -> None:
    """An activity carries the 月月红 theme of the month it is held in, no other: a theme
    month's badge goes to those who served that month.

    :raise Invalid: another month's theme.
    """
    month = f"{_local_day(starts_at):%Y-%m}"
    if theme_month is not None and theme_month != month:
        message = _("月月红主题月应为活动所在的月份（%(month)s），或不填。", month=month)
        raise Invalid(errors={"theme_month": [message]})


def _project_days(project, starts_at: datetime, ends_at: datetime) -> tuple[date, date]:
    """The first and last day (community time) a session of a project running from
    ``starts_at`` to ``ends_at`` may fall on: from its first day (or the day it was recorded,
    if earlier: a kick-off may come while units still claim) to its last day."""
    return min(_local_day(project.created_at), _local_day(starts_at)), _local_day(ends_at)


def _within_project(project, starts_at: datetime, ends_at: datetime) -> None:
    """A session of a project lies within the project's days (``_project_days``).

    :raise Invalid: it starts before the project's days or ends after them.
    """
    first, last = _project_days(project, project.starts_at, project.ends_at)
    if _local_day(starts_at) < first:
        if first < _local_day(project.starts_at):  # the day it was recorded, not its start
            message = _("活动最早可安排在项目登记当天（%(day)s），如启动仪式。", day=first)
        else:
            message = _("活动不能早于项目开始日期（%(day)s）。", day=first)
        raise Invalid(errors={"starts_at": [message]})
    if _local_day(ends_at) > last:
        raise Invalid(errors={"ends_at": [_("活动不能晚于项目结束日期（%(day)s）。", day=last)]})


def check_sessions_within(project, *, starts_at: datetime, ends_at: datetime) -> None:
    """New dates for a project keep each of its sessions within its days, by the rule that
    scheduled them (``_within_project``).

    :raise Invalid: under starts_at or ends_at, naming a session that would fall outside.
    """
    first, last = _project_days(project, starts_at, ends_at)
    for activity in queries.scheduled_of_project(project.id):
        day = _local_day(activity.starts_at)
        if day < first:
            message = _(
                "已安排的活动“%(title)s”（%(day)s）会早于项目开始日期，请先调整或取消该活动。",
                title=activity.title,
                day=day,
            )
            raise Invalid(errors={"starts_at": [message]})
        if _local_day(activity.ends_at) > last:
            message = _(
                "已安排的活动“%(title)s”（%(day)s）会晚于项目结束日期，请先调整或取消该活动。",
                title=activity.title,
                day=day,
            )
            raise Invalid(errors={"ends_at": [message]})


def can_still_edit(actor: User, activity: Activity, now: datetime) -> None:
    """The activity's 编辑 page is the organisers' until the session starts.

    :raise Forbidden: not an organiser. :raise ActivityCancelled: it was called off.
    :raise ActivityStarted: it has begun.
    """
    require(permissions.can_run(actor, activity))
    if activity.status is ActivityStatus.CANCELLED:
        raise errors.ActivityCancelled()
    if now >= activity.starts_at:
        raise errors.ActivityStarted()


def edit_activity(
    actor: User, activity_id: int, *, version: int, now: datetime, **changes
) -> Activity:
    """Change a session before it starts, by the rules that scheduled it; only the fields
    given change. Capacity never drops below the confirmed sign-ups; more seats go to the
    waiting list in order. Everyone signed up is told what changed that matters to her.

    :raise Forbidden, ActivityCancelled, ActivityStarted: see ``can_still_edit``.
    :raise VersionConflict: someone saved it since ``version``. :raise Invalid: bad times,
    outside the project's days, or fewer seats than confirmed sign-ups.
    """
    activity = queries.get_activity(actor, activity_id, for_update=True)
    can_still_edit(actor, activity, now)
    check_version(activity, version)
    starts_at = changes.get("starts_at", activity.starts_at)
    ends_at = changes.get("ends_at", activity.ends_at)
    if ends_at <= starts_at:
        raise Invalid(errors={"ends_at": [_("结束时间必须晚于开始时间。")]})
    if activity.project is not None:
        _within_project(activity.project, starts_at, ends_at)
    _theme_of_its_month(changes.get("theme_month", activity.theme_month), starts_at)
    if changes.get("capacity", activity.capacity) < activity.confirmed_count:
        message = _("名额不能少于已确认报名的人数（%(n)d 人）。", n=activity.confirmed_count)
        raise Invalid(errors={"capacity": [message]})
    before = _told(activity)
    for name, value in changes.items():
        if getattr(activity, name) != value:
            setattr(activity, name, value)
    while activity.free_seats > 0 and (promoted := queries.first_waiting(activity.id)):
        promoted.status = SignupStatus.CONFIRMED
        activity.confirmed_count += 1
        notify(
            promoted.volunteer_id,
            _("候补成功：您已获得“%(title)s”的名额", title=activity.title),
            link=f"/activities/{activity.id}",
        )
    db.session.flush()
    lines = _changes(before, _told(activity))
    if lines:
        for signup in queries.signups_of(activity.id):
            notify(
                signup.volunteer_id,
                _("活动“%(title)s”有变更", title=activity.title),
                body=words.body(lines),
                link=f"/activities/{activity.id}",
            )
    return activity


def _told(activity: Activity) -> dict:
    """What a volunteer signed up for hears about when it changes: the seats are the
    organisers' business, the rest is where and when she shows up."""
    return {
        "title": activity.title,
        "time": (activity.starts_at, activity.ends_at),
        "place": activity.place,
        "description": activity.description,
    }


def _changes(before: dict, after: dict) -> list[str]:
    lines = []
    if before["title"] != after["title"]:
        lines.append(words.changed(_("名称"), before["title"], after["title"]))
    if before["time"] != after["time"]:
        old, new = (words.span_text(*x) for x in (before["time"], after["time"]))
        lines.append(words.changed(_("时间"), old, new))
    if before["place"] != after["place"]:
        lines.append(words.changed(_("地点"), before["place"], after["place"]))
    if before["description"] != after["description"]:
        lines.append(_("活动内容有更新，请查看活动页。"))
    return lines


def rotate_code(actor: User, activity_id: int) -> Activity:
    """A new check-in code, e.g. after the old one was shared too widely."""
    activity = queries.get_activity(actor, activity_id, for_update=True)
    require(permissions.can_run(actor, activity))
    activity.checkin_code = new_checkin_code()
    db.session.flush()
    return activity


def cancel_activity(actor: User, activity_id: int, *, reason: str) -> Activity:
    """Call a session off; everyone signed up hears why."""
    activity = queries.get_activity(actor, activity_id, for_update=True)
    require(permissions.can_run(actor, activity))
    if activity.status is ActivityStatus.CANCELLED:
        raise errors.ActivityCancelled()
    activity.status = ActivityStatus.CANCELLED
    for signup in queries.signups_of(activity.id):
        signup.status = SignupStatus.CANCELLED
        notify(
            signup.volunteer_id,
            _("活动“%(title)s”已取消", title=activity.title),
            body=reason,
            link=f"/activities/{activity.id}",
        )
    activity.confirmed_count = 0
    db.session.flush()
    return activity


def _lock_volunteer(actor: User, community_id: int) -> None:
    """:raise Forbidden: she is not a volunteer of the community. Locks her profile row."""
    if not permissions.is_volunteer_of(actor, community_id):
        raise Forbidden(_("只有本社区的志愿者可以报名。"))
    db.session.execute(
        sa.select(VolunteerProfile.user_id)
        .where(VolunteerProfile.user_id == actor.id)
        .with_for_update()
    )


def _seat(activity: Activity, volunteer_id: int, *, waitlist: bool) -> Signup:
    if activity.free_seats > 0:
        activity.confirmed_count += 1
        status = SignupStatus.CONFIRMED
    elif waitlist:
        status = SignupStatus.WAITLISTED
    else:
        raise errors.ActivityFull()
    signup = Signup(activity_id=activity.id, volunteer_id=volunteer_id, status=status)
    try:
        with db.session.begin_nested():
            db.session.add(signup)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise errors.AlreadySignedUp() from error
    return signup


def sign_up(actor: User, activity_id: int, *, now: datetime, waitlist: bool = False) -> Signup:
    """A volunteer takes a seat, or (``waitlist``) a place in line when the activity is full.

    :raise ActivityFull: no seat and no waiting wanted. :raise OverlappingSignup: she is booked
    for another session at the same time. :raise AlreadySignedUp: she is signed up already.
    """
    activity = queries.get_activity(actor, activity_id, for_update=True)
    if activity.status is ActivityStatus.CANCELLED:
        raise errors.ActivityCancelled()
    if activity.ends_at <= now:
        raise Invalid(errors={"activity_id": [_("这场活动已经结束。")]})
    _lock_volunteer(actor, activity.community_id)
    if queries.live_signup(activity.id, actor.id) is not None:
        raise errors.AlreadySignedUp()
    clash = queries.overlapping_signup(actor.id, activity)
    if clash is not None:
        raise errors.OverlappingSignup(
            _("您已报名同一时间的“%(title)s”，不能重复报名。", title=clash.activity.title)
        )
    signup = _seat(activity, actor.id, waitlist=waitlist)
    db.session.flush()
    return signup


def cancel_signup(actor: User, activity_id: int, *, now: datetime) -> Signup:
    """She cancels; if she held a seat, the first in line gets it and is told so.

    :raise NotSignedUp: she has no live sign-up. :raise Invalid: she already checked in.
    """
    activity = queries.get_activity(actor, activity_id, for_update=True)
    signup = queries.live_signup(activity.id, actor.id)
    if signup is None:
        raise errors.NotSignedUp()
    if signup.checked_in_at is not None:
        raise Invalid(errors={"activity_id": [_("已签到，不能取消报名。")]})
    _release(activity, signup, now)
    db.session.flush()
    return signup


def _release(activity: Activity, signup: Signup, now: datetime) -> Signup | None:
    """Cancel a live sign-up of the locked ``activity``; a seat it held goes to the first in
    line, who is told so. Returns the promoted sign-up, if any."""
    was_confirmed = signup.status is SignupStatus.CONFIRMED
    signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
    if not was_confirmed:
        return None
    activity.confirmed_count -= 1
    promoted = queries.first_waiting(activity.id)
    if promoted is not None:
        promoted.status = SignupStatus.CONFIRMED
        activity.confirmed_count += 1
        notify(
            promoted.volunteer_id,
            _("候补成功：您已获得“%(title)s”的名额", title=activity.title),
            link=f"/activities/{activity.id}",
        )
    return promoted


def cancel_signups_of(volunteer_id: int, *, now: datetime) -> list[tuple[Signup, Signup | None]]:
    """A departing volunteer's sign-ups end as her own cancelling would end them: each live one
    for a session not yet over and not checked in (what she attended stays hers). Returns each
    cancelled sign-up with the waiting one it promoted. The caller has authorised the departure.
    """
    done = []
    for signup_id, activity_id in queries.cancellable_signups_of(volunteer_id, now):
        activity = queries.lock_activity(activity_id)  # activities by id: one lock order
        signup = db.session.get(Signup, signup_id, populate_existing=True)
        if signup.status not in LIVE_SIGNUP or signup.checked_in_at is not None:
            continue  # moved while we waited for the lock
        done.append((signup, _release(activity, signup, now)))
    db.session.flush()
    return done


def _check_window(activity: Activity, now: datetime) -> None:
    if activity.status is ActivityStatus.CANCELLED:
        raise errors.ActivityCancelled()
    if not activity.starts_at - CHECKIN_OPENS_BEFORE <= now <= activity.ends_at:
        raise errors.CheckinClosed()


def _require_code(actor: User, activity: Activity, code: str) -> None:
    """The code must match, and guessing it is cut short: after CHECKIN_CODE_RATE_LIMIT wrong
    codes for this volunteer and activity every attempt waits, the right code too.

    :raise TooManyRequests, WrongCode:
    """
    attempts = checkin_code_attempts()
    wait = attempts.retry_after(actor.id, activity.id)
    if wait:
        raise TooManyRequests(
            _(
                "签到码错误次数过多，请 %(wait)s后再试，或请现场工作人员为您代签到。",
                wait=wait_text(wait),
            ),
            code="too_many_checkin_codes",
            retry_after=wait,
        )
    if code.strip() != activity.checkin_code:
        attempts.failed(actor.id, activity.id)
        raise errors.WrongCode()


def check_in(actor: User, activity_id: int, *, code: str, now: datetime) -> Signup:
    """签到 with the code on the sheet or in the QR. :raise WrongCode, CheckinClosed, NotSignedUp."""
    activity = queries.get_activity(actor, activity_id, for_update=True)
    _require_code(actor, activity, code)
    _check_window(activity, now)
    signup = queries.live_signup(activity.id, actor.id)
    if signup is None or signup.status is not SignupStatus.CONFIRMED:
        raise errors.NotSignedUp()
    if signup.checked_in_at is not None:
        raise errors.AlreadyCheckedIn()
    signup.checked_in_at = now
    db.session.flush()
    return signup


def check_in_for(actor: User, activity_id: int, volunteer_id: int, *, now: datetime) -> Signup:
    """An organiser checks in a volunteer without a phone, signing her up if a seat is free;
    the sign-up records who did it.
    """
    activity = queries.get_activity(actor, activity_id, for_update=True)
    require(permissions.can_run(actor, activity))
    _check_window(activity, now)
    volunteer = db.session.get(User, volunteer_id)
    if volunteer is None or not permissions.is_volunteer_of(volunteer, activity.community_id):
        raise Invalid(errors={"volunteer_id": [_("请选择本社区的志愿者。")]})
    signup = queries.live_signup(activity.id, volunteer.id)
    if signup is None:
        signup = _seat(activity, volunteer.id, waitlist=False)
    elif signup.status is SignupStatus.WAITLISTED:
        raise errors.ActivityFull()
    if signup.checked_in_at is not None:
        raise errors.AlreadyCheckedIn()
    signup.checked_in_at, signup.checked_in_by_id = now, actor.id
    db.session.flush()
    return signup


def _check_out(activity: Activity, signup: Signup | None, now: datetime):
    """:raise NotCheckedIn, AlreadyCheckedOut. :raise NotStartedYet: before the session starts
    (she stays checked in, and checks out once it has begun)."""
    from coop.hours import service as hours

    if signup is None or signup.checked_in_at is None:
        raise errors.NotCheckedIn()
    if signup.checked_out_at is not None:
        raise errors.AlreadyCheckedOut()
    if now < activity.starts_at:
        raise errors.NotStartedYet(
            _(
                "活动 %(time)s 才开始，开始后才能签退。您已签到，请活动结束时再签退。",
                time=format_datetime(activity.starts_at, "HH:mm"),
            )
        )
    signup.checked_out_at = now
    return hours.record_attendance(signup, activity)


def check_out(actor: User, activity_id: int, *, code: str, now: datetime):
    """签退: the hours between check-in and now become a pending service record."""
    activity = queries.get_activity(actor, activity_id, for_update=True)
    _require_code(actor, activity, code)
    record = _check_out(activity, queries.live_signup(activity.id, actor.id), now)
    db.session.flush()
    return record


def check_out_for(actor: User, activity_id: int, volunteer_id: int, *, now: datetime):
    """The organiser checks a volunteer out on her behalf."""
    activity = queries.get_activity(actor, activity_id, for_update=True)
    require(permissions.can_run(actor, activity))
    record = _check_out(activity, queries.live_signup(activity.id, volunteer_id), now)
    db.session.flush()
    return record


def record_feedback(
    actor: User,
    activity_id: int,
    *,
    rating: int,
    comment: str = "",
    beneficiary_name: str = "",
    now: datetime,
) -> Feedback:
    """满意度评价 after the activity, by the secretary (for the beneficiary, if she names her)."""
    activity = queries.get_activity(actor, activity_id)
    require(can_manage_community(actor, activity.community))
    if now < activity.starts_at:
        raise Invalid(errors={"rating": [_("活动开始后才能评价。")]})
    feedback = Feedback(
        activity_id=activity.id,
        project_id=activity.project_id,
        rating=rating,
        comment=comment,
        beneficiary_name=beneficiary_name,
        recorded_by_id=actor.id,
    )
    db.session.add(feedback)
    db.session.flush()
    return feedback
