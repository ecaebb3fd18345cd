from datetime import timedelta

import pytest

from coop.activities import errors, service
from coop.activities.models import SignupStatus
from coop.errors import Forbidden, Invalid
from coop.notices.inbox import latest
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


def now_of(activity, minutes=0):
    return activity.starts_at + timedelta(minutes=minutes)


def early(activity):
    return activity.starts_at - timedelta(days=1)


def test_secretary_schedules_a_session_with_a_checkin_code(community):
    project = make_project(community)
    activity = service.schedule_activity(
        make_secretary(community),
        community.id,
        project_id=project.id,
        title="第一次助餐",
        place="阳光苑食堂",
        starts_at=project.starts_at,
        ends_at=project.starts_at + timedelta(hours=2),
        capacity=8,
        theme_month=f"{project.starts_at.astimezone(COMMUNITY_TZ):%Y-%m}",
    )
    assert len(activity.checkin_code) == 6 and activity.checkin_code.isdigit()


def test_the_lead_units_liaison_schedules_for_her_project(community):
    from coop.claims import service as claims
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow

    project = make_project(community, auto_approve=True)
    liaison = make_liaison(make_unit(community))
    claims.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow())
    activity = service.schedule_activity(
        liaison,
        community.id,
        project_id=project.id,
        title="入户维修",
        place="和谐家园",
        starts_at=project.starts_at,
        ends_at=project.starts_at + timedelta(hours=3),
        capacity=5,
    )
    assert activity.project_id == project.id


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_others_cannot_schedule(community, make):
    with pytest.raises(Forbidden):
        service.schedule_activity(
            make(community),
            community.id,
            title="x",
            place="y",
            starts_at=make_project(community).starts_at,
            ends_at=make_project(community).ends_at,
            capacity=3,
        )


def test_a_volunteer_signs_up_and_cancels(community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    signup = service.sign_up(volunteer, activity.id, now=early(activity))
    assert signup.status is SignupStatus.CONFIRMED and activity.confirmed_count == 1
    service.cancel_signup(volunteer, activity.id, now=early(activity))
    assert signup.status is SignupStatus.CANCELLED and activity.confirmed_count == 0


def test_signing_up_twice_is_refused(community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    service.sign_up(volunteer, activity.id, now=early(activity))
    with pytest.raises(errors.AlreadySignedUp):
        service.sign_up(volunteer, activity.id, now=early(activity))


def test_overlapping_sessions_are_refused_with_the_other_title(community):
    first = make_activity(community, title="书画展布展")
    clash = make_activity(community, starts_at=first.starts_at + timedelta(hours=1))
    volunteer = make_volunteer(community)
    service.sign_up(volunteer, first.id, now=early(first))
    with pytest.raises(errors.OverlappingSignup) as raised:
        service.sign_up(volunteer, clash.id, now=early(first))
    assert "书画展布展" in raised.value.message


def test_back_to_back_sessions_do_not_overlap(community):
    first = make_activity(community)
    second = make_activity(community, starts_at=first.ends_at)
    volunteer = make_volunteer(community)
    service.sign_up(volunteer, first.id, now=early(first))
    assert service.sign_up(volunteer, second.id, now=early(first)).status is SignupStatus.CONFIRMED


def test_a_full_activity_offers_its_waiting_list(community):
    activity = make_activity(community, capacity=1)
    service.sign_up(make_volunteer(community), activity.id, now=early(activity))
    late = make_volunteer(community)
    with pytest.raises(errors.ActivityFull):
        service.sign_up(late, activity.id, now=early(activity))
    waiting = service.sign_up(late, activity.id, now=early(activity), waitlist=True)
    assert waiting.status is SignupStatus.WAITLISTED and activity.confirmed_count == 1


def test_a_cancelled_seat_goes_to_the_first_in_line_with_a_notice(community):
    activity = make_activity(community, capacity=1)
    seated, first, second = (make_volunteer(community) for _ in range(3))
    service.sign_up(seated, activity.id, now=early(activity))
    in_line = service.sign_up(first, activity.id, now=early(activity), waitlist=True)
    service.sign_up(second, activity.id, now=early(activity), waitlist=True)
    service.cancel_signup(seated, activity.id, now=early(activity))
    assert in_line.status is SignupStatus.CONFIRMED and activity.confirmed_count == 1
    assert "候补成功" in latest(first.id)[0].title
    assert latest(second.id) == []


def test_residents_cannot_sign_up(community):
    with pytest.raises(Forbidden):
        service.sign_up(
            make_resident(community),
            make_activity(community).id,
            now=early(make_activity(community)),
        )


def test_check_in_needs_the_code_and_the_window(community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    service.sign_up(volunteer, activity.id, now=early(activity))
    with pytest.raises(errors.WrongCode):
        service.check_in(
            volunteer,
            activity.id,
            code="000000" if activity.checkin_code != "000000" else "111111",
            now=now_of(activity),
        )
    with pytest.raises(errors.CheckinClosed):
        service.check_in(
            volunteer, activity.id, code=activity.checkin_code, now=now_of(activity, -31)
        )
    signup = service.check_in(
        volunteer, activity.id, code=activity.checkin_code, now=now_of(activity, -10)
    )
    assert signup.checked_in_at == now_of(activity, -10)
    with pytest.raises(errors.AlreadyCheckedIn):
        service.check_in(volunteer, activity.id, code=activity.checkin_code, now=now_of(activity))


def test_check_in_without_sign_up_is_refused(community):
    activity = make_activity(community)
    with pytest.raises(errors.NotSignedUp):
        service.check_in(
            make_volunteer(community), activity.id, code=activity.checkin_code, now=now_of(activity)
        )


def test_an_organiser_checks_in_an_elderly_volunteer_on_her_behalf(community):
    activity = make_activity(community)
    secretary, elderly = make_secretary(community), make_volunteer(community)
    signup = service.check_in_for(secretary, activity.id, elderly.id, now=now_of(activity, 5))
    assert signup.checked_in_by_id == secretary.id and signup.status is SignupStatus.CONFIRMED
    assert activity.confirmed_count == 1


def test_a_volunteer_cannot_check_in_someone_else(community):
    activity = make_activity(community)
    with pytest.raises(Forbidden):
        service.check_in_for(
            make_volunteer(community),
            activity.id,
            make_volunteer(community).id,
            now=now_of(activity),
        )


def test_rotating_the_code_invalidates_the_old_one(community):
    activity = make_activity(community)
    old = activity.checkin_code
    service.rotate_code(make_secretary(community), activity.id)
    assert activity.checkin_code != old or len(activity.checkin_code) == 6


def test_cancelling_an_activity_tells_everyone(community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    service.sign_up(volunteer, activity.id, now=early(activity))
    service.cancel_activity(make_secretary(community), activity.id, reason="暴雨")
    assert activity.confirmed_count == 0 and latest(volunteer.id)[0].body == "暴雨"
    with pytest.raises(errors.ActivityCancelled):
        service.sign_up(make_volunteer(community), activity.id, now=early(activity))


def test_feedback_is_recorded_after_the_activity(community):
    activity = make_activity(community)
    secretary = make_secretary(community)
    with pytest.raises(Invalid):
        service.record_feedback(secretary, activity.id, rating=5, now=early(activity))
    feedback = service.record_feedback(
        secretary,
        activity.id,
        rating=4,
        comment="很满意",
        beneficiary_name="刘桂兰",
        now=now_of(activity, 130),
    )
    assert feedback.rating == 4


def test_checking_out_before_the_start_is_refused_and_she_checks_out_later(community):
    from coop.extensions import db
    from coop.hours.models import ServiceRecord

    activity = make_activity(community)
    volunteer, organiser = make_volunteer(community), make_secretary(community)
    service.sign_up(volunteer, activity.id, now=early(activity))
    signup = service.check_in(
        volunteer, activity.id, code=activity.checkin_code, now=now_of(activity, -25)
    )
    with pytest.raises(errors.NotStartedYet) as refused, db.session.begin_nested():
        service.check_out(
            volunteer, activity.id, code=activity.checkin_code, now=now_of(activity, -20)
        )
    assert "开始后才能签退" in refused.value.message
    with pytest.raises(errors.NotStartedYet), db.session.begin_nested():
        service.check_out_for(organiser, activity.id, volunteer.id, now=now_of(activity, -1))
    assert signup.checked_in_at == now_of(activity, -25) and signup.checked_out_at is None
    assert db.session.query(ServiceRecord).count() == 0
    record = service.check_out(
        volunteer, activity.id, code=activity.checkin_code, now=now_of(activity, 60)
    )
    assert signup.checked_out_at == now_of(activity, 60) and record.hours > 1
