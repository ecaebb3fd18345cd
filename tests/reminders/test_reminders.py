"""Reminders from the clock, with an explicit ``now``: who is reminded of what, once each,
never between 21:00 and 08:00 community time (a moment in the night goes out at 08:00 if it
still matters)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.activities.models import ActivityStatus, Signup, SignupStatus
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.needs.models import NeedStatus, Urgency
from coop.notices.models import Notice
from coop.reminders.models import SentReminder
from coop.reminders.service import send_reminders
from coop.rewards import service as rewards
from coop.timeutil import COMMUNITY_TZ
from jobs import JOBS
from tests.factories import (
    give_points,
    make_activity,
    make_community,
    make_need,
    make_project,
    make_reward_item,
    make_secretary,
    make_unit,
    make_volunteer,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2027, community time, as the clock passes it (UTC)."""
    return datetime(2027, 3, day, hour, minute, tzinfo=COMMUNITY_TZ).astimezone(UTC)


@pytest.fixture
def community(ctx):
    return make_community()


def told(user) -> list[tuple[str, str]]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Notice.title, Notice.link)
            .where(Notice.user_id == user.id)
            .order_by(Notice.id)
        )
    ]


def session_at(community, starts_at, *signed, signed_up_at=None, **overrides):
    activity = make_activity(community, starts_at=starts_at, title="重阳敬老", **overrides)
    for volunteer in signed:
        db.session.add(
            Signup(
                activity_id=activity.id,
                volunteer_id=volunteer.id,
                status=SignupStatus.CONFIRMED,
                created_at=signed_up_at or starts_at - timedelta(days=5),
            )
        )
    db.session.flush()
    return activity


# --- Activities: the day before and two hours before, to the signed-up volunteers --------------


def test_signed_up_volunteers_are_reminded_the_day_before(community):
    signed, outsider = make_volunteer(community), make_volunteer(community)
    activity = session_at(community, at(11, 14), signed)
    send_reminders(now=at(10, 13, 45))
    assert told(signed) == []  # more than a day to go
    counts = send_reminders(now=at(10, 14))
    assert told(signed) == [("活动提醒：重阳敬老", f"/activities/{activity.id}")]
    assert counts["activity_tomorrow"] == 1 and told(outsider) == []
    body = db.session.scalar(sa.select(Notice.body).where(Notice.user_id == signed.id))
    assert "3月11日 14:00–16:00" in body and "党群服务中心" in body


def test_signed_up_volunteers_are_reminded_two_hours_before(community):
    signed = make_volunteer(community)
    activity = session_at(community, at(11, 14), signed)
    send_reminders(now=at(10, 14))
    send_reminders(now=at(11, 12))
    assert told(signed) == [
        ("活动提醒：重阳敬老", f"/activities/{activity.id}"),
        ("活动快开始了：重阳敬老", f"/activities/{activity.id}"),
    ]


def test_a_reminder_is_sent_once_however_often_the_clock_runs(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 14), signed)
    for minute in (0, 15, 30):
        send_reminders(now=at(10, 14, minute))
    send_reminders(now=at(10, 14, 30))
    assert len(told(signed)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentReminder)) == 1


def test_nothing_is_sent_at_night(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 9), signed)
    for moment in (at(10, 21), at(10, 23, 45), at(11, 7, 45)):
        assert send_reminders(now=moment)["night"] == 1
    assert told(signed) == []


def test_a_reminder_due_in_the_night_goes_out_at_eight(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 9), signed)  # two hours before is 07:00
    send_reminders(now=at(11, 8))
    assert [title for title, _ in told(signed)] == ["活动快开始了：重阳敬老"]


def test_the_day_before_reminder_gives_way_to_the_two_hour_one(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 9), signed)  # the day-before moment, 09:00 on the 10th, missed
    send_reminders(now=at(11, 8))
    assert [title for title, _ in told(signed)] == ["活动快开始了：重阳敬老"]


def test_an_activity_already_started_is_not_reminded(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 7, 30), signed)
    send_reminders(now=at(11, 8))
    assert told(signed) == []


def test_who_signed_up_after_the_moment_gets_no_such_reminder(community):
    early, late = make_volunteer(community), make_volunteer(community)
    activity = session_at(community, at(11, 14), early)
    session_signup = Signup(
        activity_id=activity.id,
        volunteer_id=late.id,
        status=SignupStatus.CONFIRMED,
        created_at=at(11, 13),  # an hour before: she knows
    )
    db.session.add(session_signup)
    db.session.flush()
    send_reminders(now=at(11, 13, 15))
    assert len(told(early)) == 1 and told(late) == []


def test_waiting_cancelled_and_called_off_are_not_reminded(community):
    waiting, gone, called_off = (make_volunteer(community) for _ in range(3))
    activity = session_at(community, at(11, 14), waiting, gone)
    statuses = {waiting.id: SignupStatus.WAITLISTED, gone.id: SignupStatus.CANCELLED}
    for signup in db.session.scalars(sa.select(Signup).where(Signup.activity_id == activity.id)):
        signup.status = statuses[signup.volunteer_id]
    session_at(community, at(11, 15), called_off, status=ActivityStatus.CANCELLED)
    send_reminders(now=at(11, 12, 30))
    assert told(waiting) == told(gone) == told(called_off) == []


# --- 积分超市: the pickup deadline two days ahead ------------------------------------------------


def test_a_pickup_is_reminded_two_days_before_its_deadline(community):
    volunteer, other = make_volunteer(community), make_volunteer(community)
    give_points(volunteer, community, 100)
    item = make_reward_item(community, name="洗衣液")
    redemption = rewards.reserve(volunteer, item.id, now=at(1, 10))  # 14 days: the 15th 10:00
    send_reminders(now=at(13, 9, 45))
    assert told(volunteer) == []
    send_reminders(now=at(13, 10))
    assert told(volunteer) == [("请尽快领取：洗衣液", f"/supermarket/redemptions/{redemption.id}")]
    assert told(other) == []


def test_a_picked_up_redemption_is_not_reminded(community):
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 100)
    redemption = rewards.reserve(volunteer, make_reward_item(community).id, now=at(1, 10))
    rewards.pickup(make_secretary(community), redemption.id, now=at(2, 10))
    send_reminders(now=at(13, 10))
    assert told(volunteer) == []


# --- Claim deadlines: the community's secretaries, before the deadline --------------------------


def claimable(community, **overrides):
    return make_project(
        community,
        title="助老理发",
        published_at=at(1, 9),
        claim_deadline=at(12, 17),
        starts_at=at(20, 9),
        ends_at=at(30, 17),
        **overrides,
    )


def test_secretaries_are_reminded_of_a_claim_deadline_with_slots_free(community):
    secretary = make_secretary(community)
    elsewhere = make_secretary(make_community())
    project = claimable(community)
    send_reminders(now=at(11, 17))
    assert told(secretary) == [("项目即将截止认领：助老理发", f"/projects/{project.id}")]
    body = db.session.scalar(sa.select(Notice.body).where(Notice.user_id == secretary.id))
    assert "3月12日 17:00" in body and "2 个名额" in body
    assert told(elsewhere) == []


def test_a_full_project_with_nothing_to_review_is_not_reminded(community):
    secretary = make_secretary(community)
    project = claimable(community, slots=1)
    unit = make_unit(community)
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=ClaimantType.UNIT,
            unit_id=unit.id,
            claimant_key=f"unit:{unit.id}",
            status=ClaimStatus.APPROVED,
        )
    )
    project.approved_count = 1
    db.session.flush()
    send_reminders(now=at(11, 17))
    assert told(secretary) == []


# --- Needs: the community's secretaries, a day before the time limit ---------------------------


def test_secretaries_are_reminded_of_a_need_about_to_pass_its_time_limit(community):
    secretary = make_secretary(community)
    elsewhere = make_secretary(make_community())
    need = make_need(community, title="独居老人助浴", urgency=Urgency.URGENT, created_at=at(8, 10))
    send_reminders(now=at(10, 9, 45))
    assert told(secretary) == []  # the limit is the 11th 10:00
    send_reminders(now=at(10, 10, 15))
    assert told(secretary) == [("需求即将超过办理时限：独居老人助浴", f"/needs/{need.id}")]
    assert told(elsewhere) == []


def test_the_needs_owner_alone_is_reminded_when_it_has_one(community):
    secretary = make_secretary(community)
    owner = make_secretary(community)
    need = make_need(
        community,
        title="楼道灯不亮",
        urgency=Urgency.URGENT,
        created_at=at(8, 10),
        owner_id=owner.id,
    )
    send_reminders(now=at(10, 10, 15))
    assert told(owner) == [("需求即将超过办理时限：楼道灯不亮", f"/needs/{need.id}")]
    assert told(secretary) == []


def test_a_need_is_reminded_by_its_stored_deadline_not_todays_commitment(community):
    secretary = make_secretary(community)
    need = make_need(community, urgency=Urgency.NORMAL, created_at=at(8, 10), resolve_by=at(11, 10))
    send_reminders(now=at(10, 10, 15))
    assert told(secretary) == [(f"需求即将超过办理时限：{need.title}", f"/needs/{need.id}")]


def test_a_solved_need_is_not_reminded(community):
    secretary = make_secretary(community)
    make_need(community, urgency=Urgency.URGENT, created_at=at(8, 10), status=NeedStatus.RESOLVED)
    send_reminders(now=at(10, 10, 15))
    assert told(secretary) == []


# --- The job ----------------------------------------------------------------------------------


def test_the_job_runs_every_quarter_hour_of_the_day():
    job = JOBS["reminders"]
    assert job.period_at(at(10, 14, 29)) == "2027-03-10T14:15"
    assert job.trigger == {"hour": "8-20", "minute": "*/15"}


def test_the_job_sends_as_of_its_quarters_start(community):
    signed = make_volunteer(community)
    session_at(community, at(11, 14), signed)
    outcome = JOBS["reminders"].run("2027-03-10T14:00", force=True)
    assert outcome.result["activity_tomorrow"] == 1
    assert len(told(signed)) == 1
