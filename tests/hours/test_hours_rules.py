from datetime import date, timedelta
from decimal import Decimal

import pytest

from coop.activities import service as activities
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound
from coop.hours import errors, service
from coop.hours.models import RecordOrigin, RecordStatus
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.states import IllegalTransition
from coop.timeutil import local_today
from tests.factories import make_activity, make_community, make_secretary, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


def balance(volunteer, community):
    return ledger.balance_of(ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id))


def attend(community, volunteer, activity, minutes_in=-5, minutes_out=95):
    """Sign up, check in and out; returns the pending record."""
    activities.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))
    activities.check_in(
        volunteer,
        activity.id,
        code=activity.checkin_code,
        now=activity.starts_at + timedelta(minutes=minutes_in),
    )
    return activities.check_out(
        volunteer,
        activity.id,
        code=activity.checkin_code,
        now=activity.starts_at + timedelta(minutes=minutes_out),
    )


def test_check_out_creates_a_pending_record_of_the_hours_between(community):
    volunteer = make_volunteer(community)
    record = attend(community, volunteer, make_activity(community), minutes_in=0, minutes_out=90)
    assert record.status is RecordStatus.PENDING and record.origin is RecordOrigin.CHECKIN
    assert record.hours == Decimal("1.50")


def test_hours_are_capped_at_the_activitys_length(community):
    record = attend(community, make_volunteer(community), make_activity(community), -25, 300)
    assert record.hours == Decimal("2.00")


def test_verifying_posts_ten_points_an_hour(community):
    volunteer = make_volunteer(community)
    record = attend(community, volunteer, make_activity(community), 0, 90)
    service.verify_record(make_secretary(community), record.id, now=record.created_at)
    assert record.status is RecordStatus.VERIFIED and record.points == 15
    assert balance(volunteer, community) == 15


def test_verifying_is_one_change_in_the_audit_trail(community):
    import sqlalchemy as sa

    from coop.audit import AuditLog
    from coop.extensions import db

    record = attend(community, make_volunteer(community), make_activity(community), 0, 90)
    service.verify_record(make_secretary(community), record.id, now=record.created_at)
    (update,) = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.object_type == "service_records",
            AuditLog.object_id == str(record.id),
            AuditLog.action == "update",
        )
    )
    assert update.after["status"] == "verified" and update.after["points"] == 15


def test_nobody_verifies_her_own_hours(community):
    secretary_who_volunteers = make_secretary(community)
    from coop.auth.models import Role, RoleGrant
    from coop.extensions import db
    from coop.people.models import VolunteerProfile

    secretary_who_volunteers.grants.append(
        RoleGrant(role=Role.VOLUNTEER, community_id=community.id)
    )
    db.session.add(VolunteerProfile(user=secretary_who_volunteers, home_community_id=community.id))
    db.session.flush()
    record = attend(community, secretary_who_volunteers, make_activity(community))
    with pytest.raises(errors.OwnHours):
        service.verify_record(secretary_who_volunteers, record.id, now=record.created_at)
    assert record.status is RecordStatus.PENDING


def test_staff_entered_hours_need_a_second_person(community):
    volunteer, entering, second = (
        make_volunteer(community),
        make_secretary(community),
        make_secretary(community),
    )
    activity = make_activity(community)
    record = service.enter_hours(
        entering,
        community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        hours=Decimal("1.5"),
    )
    with pytest.raises(errors.SecondPersonNeeded):
        service.verify_record(entering, record.id, now=activity.ends_at)
    service.verify_record(second, record.id, now=activity.ends_at)
    assert record.origin is RecordOrigin.ENTERED and balance(volunteer, community) == 15


def test_entered_hours_are_capped_at_the_activitys_length(community):
    activity = make_activity(community)
    with pytest.raises(Invalid):
        service.enter_hours(
            make_secretary(community),
            community.id,
            volunteer_id=make_volunteer(community).id,
            activity_id=activity.id,
            hours=Decimal("2.5"),
        )


def test_no_more_than_24_hours_a_day(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    long_day = make_activity(
        community, starts_at=make_activity(community).starts_at.replace(hour=0, minute=0)
    )
    long_day.ends_at = long_day.starts_at + timedelta(hours=20)
    service.enter_hours(
        secretary,
        community.id,
        volunteer_id=volunteer.id,
        activity_id=long_day.id,
        hours=Decimal(20),
    )
    start = long_day.starts_at + timedelta(hours=1)
    same_day = make_activity(community, starts_at=start, ends_at=start + timedelta(hours=6))
    with pytest.raises(Invalid):
        service.enter_hours(
            secretary,
            community.id,
            volunteer_id=volunteer.id,
            activity_id=same_day.id,
            hours=Decimal(5),
        )


def test_a_volunteer_cannot_verify_anyones_hours(community):
    record = attend(community, make_volunteer(community), make_activity(community))
    with pytest.raises(NotFound):  # another volunteer's record is not hers to see
        service.verify_record(make_volunteer(community), record.id, now=record.created_at)


def test_rejecting_needs_a_reason_and_posts_nothing(community):
    volunteer = make_volunteer(community)
    record = attend(community, volunteer, make_activity(community))
    service.reject_record(
        make_secretary(community), record.id, reason="未实际参加", now=record.created_at
    )
    assert record.status is RecordStatus.REJECTED and balance(volunteer, community) == 0
    with pytest.raises(IllegalTransition):
        service.verify_record(make_secretary(community), record.id, now=record.created_at)


def test_a_verified_record_is_corrected_by_a_reversal_not_an_edit(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    record = attend(community, volunteer, make_activity(community), 0, 90)
    service.verify_record(secretary, record.id, now=record.created_at)
    reversal = service.reverse_record(
        secretary, record.id, reason="时长登记错误", now=record.created_at
    )
    assert (
        reversal.hours == Decimal("-1.50")
        and reversal.points == -15
        and reversal.reverses_id == record.id
    )
    assert record.status is RecordStatus.VERIFIED and record.hours == Decimal("1.50")  # untouched
    assert balance(volunteer, community) == 0
    with pytest.raises(errors.AlreadyReversed):
        service.reverse_record(secretary, record.id, reason="again", now=record.created_at)


def test_policy_changes_are_effective_dated_and_never_reprice_history(community):
    from coop.hours import queries

    secretary = make_secretary(community)
    with pytest.raises(Invalid):
        service.set_points_policy(
            secretary,
            community.id,
            effective_from=local_today() - timedelta(days=1),
            points_per_hour=20,
        )
    service.set_points_policy(
        secretary,
        community.id,
        effective_from=local_today() + timedelta(days=10),
        points_per_hour=20,
    )
    assert queries.points_per_hour(community.id, local_today()) == 10
    assert queries.points_per_hour(community.id, local_today() + timedelta(days=10)) == 20
    assert queries.points_per_hour(community.id, date(2020, 1, 1)) == 10


def test_settle_points_posts_what_verification_did_not_and_only_once(community):
    from coop.extensions import db
    from coop.hours.models import ServiceRecord

    volunteer = make_volunteer(community)
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        service_date=local_today(),
        hours=Decimal(2),
        origin=RecordOrigin.CHECKIN,
        status=RecordStatus.VERIFIED,
        verified_by_id=make_secretary(community).id,
    )
    db.session.add(record)
    db.session.flush()
    assert service.settle_points() == 1
    assert service.settle_points() == 0
    assert balance(volunteer, community) == 20


# --- one live record of service per volunteer and activity -------------------------------------


def _records_of(volunteer):
    import sqlalchemy as sa

    from coop.extensions import db
    from coop.hours.models import ServiceRecord

    return db.session.scalars(
        sa.select(ServiceRecord)
        .where(ServiceRecord.volunteer_id == volunteer.id)
        .order_by(ServiceRecord.id)
    ).all()


def _enter(secretary, community, volunteer, activity, hours="1.5"):
    return service.enter_hours(
        secretary,
        community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        hours=Decimal(hours),
    )


def test_a_second_entry_for_the_same_activity_is_refused_naming_the_first(community):
    volunteer, secretary = (
        make_volunteer(community, display_name="王秀英"),
        make_secretary(community),
    )
    activity = make_activity(community, title="重阳助餐")
    first = _enter(secretary, community, volunteer, activity)
    with pytest.raises(errors.RecordExists) as refused:
        _enter(secretary, community, volunteer, activity, hours="2")
    message = refused.value.message
    day = first.service_date.isoformat()
    assert refused.value.status == 409 and "王秀英" in message and "重阳助餐" in message
    assert day in message and "1小时30分钟" in message and "待核实" in message
    assert "驳回" in message  # a pending one is corrected by rejecting it
    assert _records_of(volunteer) == [first]


def test_entering_hours_beside_her_check_out_record_is_refused(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    activity = make_activity(community)
    checked_out = attend(community, volunteer, activity, 0, 90)
    service.verify_record(secretary, checked_out.id, now=activity.ends_at)
    with pytest.raises(errors.RecordExists) as refused:
        _enter(make_secretary(community), community, volunteer, activity)
    assert "签到签退" in refused.value.message and "已核实" in refused.value.message
    assert "冲正" in refused.value.message  # a verified one is corrected by a reversal
    assert _records_of(volunteer) == [checked_out]


def test_hours_are_not_entered_while_she_is_checked_in(community):
    volunteer = make_volunteer(community)
    activity = make_activity(community)
    activities.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))
    activities.check_in(volunteer, activity.id, code=activity.checkin_code, now=activity.starts_at)
    with pytest.raises(errors.StillCheckedIn):
        _enter(make_secretary(community), community, volunteer, activity)
    assert _records_of(volunteer) == []


def test_a_rejected_record_makes_room_for_a_new_entry(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    activity = make_activity(community)
    wrong = _enter(secretary, community, volunteer, activity, hours="2")
    service.reject_record(make_secretary(community), wrong.id, reason="时长有误", now=utcnow())
    right = _enter(secretary, community, volunteer, activity, hours="1.5")
    assert right.status is RecordStatus.PENDING and right.hours == Decimal("1.50")


def test_a_reversal_then_a_new_entry_corrects_a_verified_record(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    activity = make_activity(community)
    wrong = attend(community, volunteer, activity, 0, 120)
    service.verify_record(secretary, wrong.id, now=activity.ends_at)
    reversal = service.reverse_record(secretary, wrong.id, reason="提前离开", now=activity.ends_at)
    assert wrong.reversed_at == activity.ends_at and wrong.hours == Decimal("2.00")
    right = _enter(make_secretary(community), community, volunteer, activity, hours="1.5")
    service.verify_record(secretary, right.id, now=activity.ends_at)
    assert _records_of(volunteer) == [wrong, reversal, right]
    assert balance(volunteer, community) == 15
    with pytest.raises(errors.RecordExists):  # the corrected entry is now the live one
        _enter(secretary, community, volunteer, activity, hours="1")


def test_checking_out_beside_an_entered_record_is_refused_and_changes_nothing(community):
    volunteer, secretary = make_volunteer(community), make_secretary(community)
    activity = make_activity(community)
    entered = _enter(secretary, community, volunteer, activity)
    activities.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))
    signup = activities.check_in(
        volunteer, activity.id, code=activity.checkin_code, now=activity.starts_at
    )
    from coop.extensions import db

    with pytest.raises(errors.RecordExists), db.session.begin_nested():  # as unit_of_work would
        activities.check_out(
            volunteer,
            activity.id,
            code=activity.checkin_code,
            now=activity.starts_at + timedelta(hours=1),
        )
    assert _records_of(volunteer) == [entered] and signup.checked_out_at is None


def test_the_database_refuses_a_second_live_record_for_an_activity(community):
    import sqlalchemy as sa

    from coop.extensions import db
    from coop.hours.models import ServiceRecord

    volunteer, activity = make_volunteer(community), make_activity(community)

    def add(**overrides):
        row = ServiceRecord(
            **{
                "community_id": community.id,
                "volunteer_id": volunteer.id,
                "activity_id": activity.id,
                "service_date": local_today(),
                "hours": Decimal(1),
                "origin": RecordOrigin.ENTERED,
                **overrides,
            }
        )
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
        return row

    add(status=RecordStatus.REJECTED)  # a rejected one leaves room
    add()
    with pytest.raises(sa.exc.IntegrityError):
        add()
    with pytest.raises(sa.exc.IntegrityError):
        add(origin=RecordOrigin.CHECKIN)


@pytest.mark.parametrize(
    ("hours", "said"),
    [(1.5, "1小时30分钟"), (2, "2小时"), (0.04, "2分钟"), (0, "0小时"), (-1.5, "-1小时30分钟")],
)
def test_hours_read_as_people_say_them(ctx, hours, said):
    from coop.hours.models import duration_text

    assert duration_text(hours) == said
