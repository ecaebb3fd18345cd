"""Reminders from the clock, each sent once and never at night.

Each kind has a moment (an activity's start less a day, less two hours; a pickup deadline less
two days; a claim deadline less a day; a need's time limit to solve, ``resolve_by``, less a day, to its owner or else the secretaries) and stays relevant
until what it reminds of happens (the activity starts, the deadline passes). A run sends every
reminder whose moment has come and which is still relevant, to people who were already in it
at the moment (a volunteer who signs up an hour before gets no "in two hours"). Between 21:00
and 08:00 community time nothing is sent: a moment that fell in the night is sent by the first
run from 08:00, if still relevant (the 2-hour reminder of a 09:00 activity at 08:00; none for
an activity that started at 07:30).

Sent once: ``sent_reminders`` holds (kind, subject, person) under a unique key, inserted in
the transaction that writes the notice; a rerun, or a second clock racing this one, inserts
nothing and sends nothing.
"""

from collections import Counter
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from coop.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from coop.claims.chasing import closing_soon
from coop.extensions import db
from coop.needs import time_limits
from coop.needs.models import Need
from coop.notices import recipients
from coop.notices.changes import moment_text, span_text
from coop.notices.service import notify
from coop.reminders.models import ReminderKind, SentReminder
from coop.rewards.models import Redemption, RedemptionStatus
from coop.timeutil import COMMUNITY_TZ

DAY_STARTS = time(8)  # nothing is sent before 08:00 …
NIGHT_STARTS = time(21)  # … or from 21:00, community time
ACTIVITY_TOMORROW = timedelta(days=1)
ACTIVITY_SOON = timedelta(hours=2)
PICKUP_BEFORE = timedelta(days=2)
CLAIM_DEADLINE_BEFORE = timedelta(days=1)
NEED_TIME_LIMIT_BEFORE = timedelta(days=1)


def is_night(now: datetime) -> bool:
    local = now.astimezone(COMMUNITY_TZ).time()
    return local < DAY_STARTS or local >= NIGHT_STARTS


def send_reminders(*, now: datetime) -> dict:
    """Send every reminder due at ``now`` and not sent before. Returns counts per kind
    (``night``: 1 when nothing was sent because it is night)."""
    counts = Counter({kind.value: 0 for kind in ReminderKind})
    if is_night(now):
        counts["night"] = 1
        return dict(counts)
    for kind, subject_id, user_id, title, body, link in _due(now):
        if _first_time(kind, subject_id, user_id, now):
            notify(user_id, title, body=body, link=link)
            counts[kind.value] += 1
    return dict(counts)


def _first_time(kind: ReminderKind, subject_id: int, user_id: int, now: datetime) -> bool:
    """Record the reminder as sent; False when it was sent before (by this or another run)."""
    table = SentReminder.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    inserted = db.session.execute(
        insert.values(kind=kind.value, subject_id=subject_id, user_id=user_id, sent_at=now)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).scalar()
    return inserted is not None


def _not_sent(kind: ReminderKind, subject_id, user_id) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        SentReminder.kind == kind,
        SentReminder.subject_id == subject_id,
        SentReminder.user_id == user_id,
    )


def _due(now: datetime):
    yield from _activities(now, ReminderKind.ACTIVITY_TOMORROW, ACTIVITY_TOMORROW, ACTIVITY_SOON)
    yield from _activities(now, ReminderKind.ACTIVITY_SOON, ACTIVITY_SOON, timedelta(0))
    yield from _pickups(now)
    yield from _claim_deadlines(now)
    yield from _need_time_limits(now)


def _activities(now: datetime, kind: ReminderKind, before: timedelta, until: timedelta):
    """Confirmed sign-ups of sessions starting within ``before`` and more than ``until`` from
    now (the day-before reminder gives way to the 2-hour one), made before the moment."""
    rows = db.session.execute(
        sa.select(Activity, Signup.volunteer_id, Signup.created_at)
        .join(Signup, Signup.activity_id == Activity.id)
        .where(
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.starts_at > now + until,
            Activity.starts_at <= now + before,
            Signup.status == SignupStatus.CONFIRMED,
            _not_sent(kind, Activity.id, Signup.volunteer_id),
        )
        .order_by(Activity.starts_at, Activity.id, Signup.volunteer_id)
    ).all()
    for activity, volunteer_id, signed_up_at in rows:
        if signed_up_at > activity.starts_at - before:  # SQLite cannot subtract in SQL
            continue
        if kind is ReminderKind.ACTIVITY_SOON:
            title = _("活动快开始了：%(title)s", title=activity.title)
        else:
            title = _("活动提醒：%(title)s", title=activity.title)
        body = _(
            "时间：%(when)s；地点：%(place)s。请准时到场签到，不能参加请提前取消报名。",
            when=span_text(activity.starts_at, activity.ends_at),
            place=activity.place,
        )
        yield kind, activity.id, volunteer_id, title, body, f"/activities/{activity.id}"


def _pickups(now: datetime):
    kind = ReminderKind.PICKUP_DEADLINE
    redemptions = db.session.scalars(
        sa.select(Redemption)
        .where(
            Redemption.status == RedemptionStatus.RESERVED,
            Redemption.expires_at > now,
            Redemption.expires_at <= now + PICKUP_BEFORE,
            _not_sent(kind, Redemption.id, Redemption.volunteer_id),
        )
        .order_by(Redemption.expires_at, Redemption.id)
    ).all()
    for redemption in redemptions:
        if redemption.reserved_at > redemption.expires_at - PICKUP_BEFORE:
            continue  # reserved with less than two days to go: she has just seen the deadline
        yield (
            kind,
            redemption.id,
            redemption.volunteer_id,
            _("请尽快领取：%(item)s", item=redemption.item_name),
            _(
                "领取期限到 %(when)s，过期未领取将退回积分。领取时出示领取码。",
                when=moment_text(redemption.expires_at),
            ),
            f"/supermarket/redemptions/{redemption.id}",
        )


def _claim_deadlines(now: datetime):
    kind = ReminderKind.CLAIM_DEADLINE
    for project, waiting in closing_soon(now, CLAIM_DEADLINE_BEFORE):
        lines = []
        if project.free_slots > 0:
            lines.append(_("还有 %(n)d 个名额无人认领", n=project.free_slots))
        if waiting:
            lines.append(_("%(n)d 个认领等您审核", n=waiting))
        body = _(
            "认领将于 %(when)s 截止：%(what)s。",
            when=moment_text(project.claim_deadline),
            what="，".join(lines),
        )
        title = _("项目即将截止认领：%(title)s", title=project.title)
        for user_id in recipients.secretaries(project.community_id):
            yield kind, project.id, user_id, title, body, f"/projects/{project.id}"


def _need_time_limits(now: datetime):
    kind = ReminderKind.NEED_TIME_LIMIT
    needs = db.session.scalars(
        sa.select(Need)
        .where(time_limits.due_within(now, NEED_TIME_LIMIT_BEFORE))
        .order_by(Need.resolve_by, Need.id)
    ).all()
    for need in needs:
        title = _("需求即将超过办理时限：%(title)s", title=need.title)
        body = _(
            "这条%(urgency)s需求应在 %(when)s 前解决，目前%(status)s。",
            urgency=need.urgency.label,
            when=moment_text(time_limits.deadline(need)),
            status=need.status.label,
        )
        # 首问负责: the need's owner answers for it; one nobody owns yet is every secretary's.
        owners = [need.owner_id] if need.owner_id else recipients.secretaries(need.community_id)
        for user_id in owners:
            yield kind, need.id, user_id, title, body, f"/needs/{need.id}"
