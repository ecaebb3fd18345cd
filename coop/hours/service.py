"""服务时长 and 积分: records from check-out or 补录, verified by someone else, settled as points.

Points move only through the ledger: a verified record posts ``pool → volunteer`` under the key
``service_record:<id>``, so posting it twice (a retry, a racing verifier, ``settle_points`` run
concurrently) gives one posting.
"""

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from coop.activities import queries as activity_queries
from coop.activities.models import Activity, Signup
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import Role, User
from coop.badges import awarding as badges
from coop.errors import Invalid
from coop.extensions import db
from coop.hours import errors, permissions, queries
from coop.hours.models import (
    RECORD_FLOW,
    PointsPolicy,
    RecordOrigin,
    RecordStatus,
    ServiceRecord,
    duration_text,
)
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
from coop.notices.service import notify
from coop.timeutil import COMMUNITY_TZ, local_today

MAX_HOURS_A_DAY = Decimal(24)
TWO_PLACES = Decimal("0.01")


def _local_day(moment: datetime) -> date:
    return moment.astimezone(COMMUNITY_TZ).date()


def _check_day_cap(volunteer_id: int, day: date, hours: Decimal) -> None:
    if queries.hours_on(volunteer_id, day) + hours > MAX_HOURS_A_DAY:
        raise Invalid(errors={"hours": [_("同一天的服务时长合计不能超过 24 小时。")]})


def _record_exists(record: ServiceRecord) -> errors.RecordExists:
    """The refusal that names her live record and how a correction is made."""
    if record.status is RecordStatus.PENDING:
        fix = _("如需更正，请先驳回该记录，再重新补录。")
    else:
        fix = _("如需更正，请先冲正该记录，再重新补录。")
    return errors.RecordExists(
        _(
            "%(name)s在“%(title)s”已有服务记录（%(date)s，%(hours)s，%(origin)s，%(status)s），"
            "同一活动每人只记一条。%(fix)s",
            name=record.volunteer.display_name,
            title=record.activity.title,
            date=format_date(record.service_date, "yyyy-MM-dd"),
            hours=duration_text(record.hours),
            origin=record.origin.label,
            status=record.status.label,
            fix=fix,
        )
    )


def _insert(record: ServiceRecord) -> ServiceRecord:
    """Add the record; the live-record unique index turns a racing duplicate into the same
    RecordExists a check beforehand gives."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        existing = queries.live_record(record.volunteer_id, record.activity_id)
        if existing is None:
            raise
        raise _record_exists(existing) from error
    return record


def record_attendance(signup: Signup, activity: Activity) -> ServiceRecord:
    """Check-out's record: the time between check-in and check-out, at most the session's
    length (a volunteer who came early or left late is counted for the session) and 24 h a day.
    """
    worked = Decimal((signup.checked_out_at - signup.checked_in_at).total_seconds()) / 3600
    hours = min(worked, Decimal(str(activity.hours))).quantize(TWO_PLACES, ROUND_DOWN)
    day = _local_day(activity.starts_at)
    room = MAX_HOURS_A_DAY - queries.hours_on(signup.volunteer_id, day)
    hours = min(hours, room)
    if hours <= 0:
        raise Invalid(
            errors={"hours": [_("签到不足一分钟，或当天时长已满 24 小时，未生成服务记录。")]}
        )
    record = ServiceRecord(
        community_id=activity.community_id,
        volunteer_id=signup.volunteer_id,
        activity_id=activity.id,
        signup_id=signup.id,
        service_date=day,
        hours=hours,
        origin=RecordOrigin.CHECKIN,
    )
    return _insert(record)


def enter_hours(
    actor: User,
    community_id: int,
    *,
    volunteer_id: int,
    activity_id: int,
    hours: Decimal,
    note: str = "",
) -> ServiceRecord:
    """补录: staff enter hours afterwards, at most the activity's length; a second person verifies.
    One live record per volunteer and activity: a correction is a reversal, then a new entry.

    :raise Forbidden: not the community's staff. :raise Invalid: over the caps, or a volunteer or
    activity of another community. :raise RecordExists: she has a live record for it.
    :raise Conflict: she is checked in and not yet out (check her out instead).
    """
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    volunteer = db.session.get(User, volunteer_id)
    if volunteer is None or not any(
        g.community_id == community.id for g in volunteer.grants_of(Role.VOLUNTEER)
    ):
        raise Invalid(errors={"volunteer_id": [_("请选择本社区的志愿者。")]})
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.community_id != community.id:
        raise Invalid(errors={"activity_id": [_("请选择本社区的活动。")]})
    hours = Decimal(hours).quantize(TWO_PLACES, ROUND_DOWN)
    if hours > Decimal(str(activity.hours)):
        raise Invalid(
            errors={
                "hours": [_("补录时长不能超过活动时长（%(h)s）。", h=duration_text(activity.hours))]
            }
        )
    existing = queries.live_record(volunteer.id, activity.id)
    if existing is not None:
        raise _record_exists(existing)
    signup = activity_queries.live_signup(activity.id, volunteer.id)
    if signup is not None and signup.checked_in_at and not signup.checked_out_at:
        raise errors.StillCheckedIn(
            _(
                "%(name)s已签到、尚未签退：请在活动页为其代签退，签退即生成服务记录。",
                name=volunteer.display_name,
            )
        )
    day = _local_day(activity.starts_at)
    _check_day_cap(volunteer.id, day, hours)
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        service_date=day,
        hours=hours,
        origin=RecordOrigin.ENTERED,
        entered_by_id=actor.id,
        note=note,
    )
    return _insert(record)


def points_for(record: ServiceRecord) -> int:
    """Hours × the policy on the service date in whole points, rounded toward zero so that a
    reversal takes back exactly what its record gave."""
    return int(record.hours * queries.points_per_hour(record.community_id, record.service_date))


def _post(record: ServiceRecord, actor_id: int | None = None):
    """(posting, created): the record's points from the community's pool to the volunteer."""
    pool = ledger.account_for(AccountType.POOL, record.community_id)
    mine = ledger.account_for(AccountType.VOLUNTEER, record.community_id, record.volunteer_id)
    reversal = record.origin is RecordOrigin.REVERSAL
    return ledger.post(
        key=f"service_record:{record.id}",
        kind=PostingKind.REVERSAL if reversal else PostingKind.HOURS,
        source_type="service_record",
        source_id=record.id,
        lines=[(pool, -record.points), (mine, record.points)],
        memo=record.activity.title if record.activity else record.note,
        actor_id=actor_id,
    )


def verify_record(actor: User, record_id: int, *, now: datetime) -> ServiceRecord:
    """Someone other than the volunteer confirms the hours; the points are posted at once.

    :raise OwnHours: the actor is the volunteer. :raise SecondPersonNeeded: staff-entered hours
    verified by who entered them. :raise IllegalTransition: not pending.
    """
    record = queries.get_record(actor, record_id, for_update=True)
    if permissions.is_own_record(actor, record):
        raise errors.OwnHours()
    require(permissions.can_manage_records(actor, record))
    if permissions.entered_it(actor, record):
        raise errors.SecondPersonNeeded()
    # Priced before the change: the policy's query would otherwise autoflush the verified
    # record without its points, one UPDATE (and audit row) too many.
    points = points_for(record)
    RECORD_FLOW.move(record, "verify")
    record.verified_by_id, record.verified_at, record.points = actor.id, now, points
    db.session.flush()
    if record.points:
        _post(record, actor.id)
    notify(
        record.volunteer_id,
        _(
            "服务时长已核实：%(hours)s，获得 %(points)d 积分",
            hours=duration_text(record.hours),
            points=record.points,
        ),
        link="/my/points",
    )
    badges.record_changed(record, now=now)  # a month already awarded is re-evaluated
    db.session.flush()
    return record


def reject_record(actor: User, record_id: int, *, reason: str, now: datetime) -> ServiceRecord:
    """Turn the hours down with a reason she reads. :raise OwnHours: her own record.
    :raise SecondPersonNeeded: staff-entered hours decided by who entered them."""
    record = queries.get_record(actor, record_id, for_update=True)
    if permissions.is_own_record(actor, record):
        raise errors.OwnHours()
    require(permissions.can_manage_records(actor, record))
    if permissions.entered_it(actor, record):
        # The decider is stored as verified_by, which the database refuses to be the enterer.
        raise errors.SecondPersonNeeded()
    RECORD_FLOW.move(record, "reject")
    record.reject_reason, record.verified_by_id, record.verified_at = reason, actor.id, now
    notify(record.volunteer_id, _("服务时长未通过核实"), body=reason, link="/my/points")
    db.session.flush()
    return record


def reverse_record(actor: User, record_id: int, *, reason: str, now: datetime) -> ServiceRecord:
    """Correct a verified record: a reversal record takes its hours and points back; the
    original is never edited. Enter the right hours as a new record afterwards.

    :raise OwnHours: her own record (the reversal would name her its verifier).
    :raise AlreadyReversed: reversed before. :raise InsufficientPoints: she spent them already.
    """
    original = queries.get_record(actor, record_id, for_update=True)
    if permissions.is_own_record(actor, original):
        raise errors.OwnHours()
    require(permissions.can_manage_records(actor, original))
    if original.status is not RecordStatus.VERIFIED or original.origin is RecordOrigin.REVERSAL:
        raise Invalid(errors={"record_id": [_("只有已核实的记录可以冲正。")]})
    if original.reversed_at is not None or (
        db.session.query(ServiceRecord.id).filter_by(reverses_id=original.id).first()
    ):
        raise errors.AlreadyReversed()
    original.reversed_at = now  # no longer live: a corrected 补录 may follow
    reversal = ServiceRecord(
        community_id=original.community_id,
        volunteer_id=original.volunteer_id,
        activity_id=original.activity_id,
        service_date=original.service_date,
        hours=-original.hours,
        origin=RecordOrigin.REVERSAL,
        status=RecordStatus.VERIFIED,
        note=reason,
        entered_by_id=actor.id,
        verified_by_id=actor.id,
        verified_at=now,
        points=-(original.points or 0),
        reverses_id=original.id,
    )
    db.session.add(reversal)
    db.session.flush()
    if reversal.points:
        _post(reversal, actor.id)
    notify(
        original.volunteer_id,
        _("服务时长已更正"),
        body=_(
            "%(date)s 的 %(hours)s 服务时长已冲正，%(points)d 积分已扣回。原因：%(reason)s",
            date=format_date(original.service_date, _("M月d日")),
            hours=duration_text(original.hours),
            points=original.points or 0,
            reason=reason,
        ),
        link="/my/points",
    )
    badges.record_changed(reversal, now=now)  # an award that no longer holds is revoked
    db.session.flush()
    return reversal


def settle_points(*, limit: int | None = None) -> int:
    """Post every verified record not yet posted. Safe at any time, twice, or concurrently:
    the posting key makes a second post of the same record a no-op. Returns how many it posted.
    """
    posted = 0
    for record_id in queries.unsettled_record_ids(limit):
        record = db.session.get(ServiceRecord, record_id)
        if record.points is None:
            record.points = points_for(record)
        if record.points:
            _, created = _post(record)
            posted += created
    db.session.flush()
    return posted


def set_points_policy(
    actor: User, community_id: int, *, effective_from: date, points_per_hour: int
) -> PointsPolicy:
    """A new rate from a date on, today or later: history is never re-priced."""
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    if effective_from < local_today():
        raise Invalid(errors={"effective_from": [_("新的积分规则只能从今天或以后生效。")]})
    policy = PointsPolicy(
        community_id=community.id,
        effective_from=effective_from,
        points_per_hour=points_per_hour,
        created_by_id=actor.id,
    )
    db.session.add(policy)
    db.session.flush()
    return policy
