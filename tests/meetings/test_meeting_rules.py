"""Meetings: scheduled ahead and announced to every member unit's liaison; attendance by the QR's
code (liaison) or by the secretary's tick; minutes and 决议 once started; a 决议 becomes a project
or counts under a 六个一 item, once."""

from datetime import date, timedelta

import pytest

from coop.categories import Category
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.meetings import errors, queries, service
from coop.meetings.models import AttendanceVia, Meeting, MeetingKind, MeetingStatus, Resolution
from coop.notices.models import Notice
from coop.projects.models import ProjectStatus
from coop.timeutil import local_midnight
from tests.factories import make_community, make_liaison, make_secretary, make_unit, make_volunteer
from tests.meetings.conftest import NOW, rows, schedule


def test_scheduling_invites_every_member_unit_and_tells_each_liaison(
    secretary, community, units, liaison
):
    other = make_liaison(units[1])
    meeting = schedule(secretary, community)
    assert meeting.status is MeetingStatus.SCHEDULED
    assert {a.unit_id for a in meeting.attendances} == {u.id for u in units}
    told = db.session.query(Notice).filter(Notice.link == f"/meetings/{meeting.id}").all()
    assert sorted(n.user_id for n in told) == sorted([liaison.id, other.id])
    assert told[0].title == f"会议通知：{meeting.title}"


def test_a_meeting_in_the_past_cannot_be_scheduled_and_nothing_is_written(
    secretary, community, units, liaison
):
    before = (rows(Meeting), rows(Notice))
    with pytest.raises(errors.MeetingInPast):
        service.schedule_meeting(
            secretary,
            community.id,
            kind=MeetingKind.ASSEMBLY,
            title="补登的大会",
            starts_at=NOW - timedelta(hours=1),
            place="会议室",
            now=NOW,
        )
    assert (rows(Meeting), rows(Notice)) == before


@pytest.mark.parametrize("who", ["liaison", "volunteer", "other_secretary"])
def test_only_the_secretary_schedules(community, units, liaison, who):
    actor = {
        "liaison": lambda: liaison,
        "volunteer": lambda: make_volunteer(community),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    with pytest.raises((Forbidden, NotFound)):
        schedule(actor, community)


def test_the_meeting_belongs_to_the_term_its_day_falls_in(secretary, community, term):
    meeting = schedule(secretary, community)
    assert meeting.term_id == term.id


def test_the_clock_books_the_terms_assembly_with_every_unit_invited(term, units):
    assembly = queries.term_assembly(term.id)
    assert assembly.kind is MeetingKind.ASSEMBLY and assembly.local_day.weekday() == 5
    assert len(assembly.attendances) == len(units)


def test_a_liaison_signs_in_with_the_code_and_her_unit_is_present(started, liaison, units):
    attendance = service.check_in(liaison, started.id, code=started.checkin_code, now=NOW)
    assert attendance.unit_id == units[0].id and attendance.via is AttendanceVia.QR
    assert attendance.attendee_name == "王丽" and started.status is MeetingStatus.HELD


def test_a_wrong_code_is_refused_and_nothing_changes(started, liaison):
    with pytest.raises(errors.WrongCode):
        service.check_in(liaison, started.id, code="000000x", now=NOW)
    assert all(a.present_at is None for a in started.attendances)
    assert started.status is MeetingStatus.SCHEDULED


def test_signing_in_before_the_hour_before_the_start_is_refused(meeting, liaison):
    with pytest.raises(errors.MeetingNotStarted):
        service.check_in(liaison, meeting.id, code=meeting.checkin_code, now=NOW)


def test_signing_in_the_day_after_is_refused(started, liaison):
    with pytest.raises(errors.CheckinClosed):
        service.check_in(
            liaison, started.id, code=started.checkin_code, now=NOW + timedelta(days=2)
        )


def test_a_unit_signs_in_once(started, liaison):
    service.check_in(liaison, started.id, code=started.checkin_code, now=NOW)
    with pytest.raises(errors.AlreadyPresent):
        service.check_in(liaison, started.id, code=started.checkin_code, now=NOW)


def test_a_liaison_of_a_unit_not_invited_cannot_sign_in(started, community):
    stranger = make_unit(community)  # joined after the invitations went out
    with pytest.raises(errors.NoLiaisonUnit):
        service.check_in(make_liaison(stranger), started.id, code=started.checkin_code, now=NOW)


def test_the_secretary_ticks_and_unticks_a_unit(started, secretary, units):
    ticked = service.mark_attendance(
        secretary, started.id, unit_id=units[1].id, present=True, now=NOW
    )
    assert ticked.via is AttendanceVia.STAFF and ticked.present_at == NOW
    service.mark_attendance(secretary, started.id, unit_id=units[1].id, present=False, now=NOW)
    assert ticked.present_at is None


def test_ticking_a_unit_not_invited_is_refused(started, secretary, community):
    with pytest.raises(errors.NotInvited):
        service.mark_attendance(
            secretary, started.id, unit_id=make_unit(community).id, present=True, now=NOW
        )


def test_a_liaison_cannot_tick(started, liaison, units):
    with pytest.raises(Forbidden):
        service.mark_attendance(liaison, started.id, unit_id=units[1].id, present=True, now=NOW)


def test_minutes_wait_for_the_meeting_to_start(meeting, secretary):
    with pytest.raises(errors.MeetingNotStarted):
        service.record_minutes(secretary, meeting.id, minutes="讨论了车棚", now=NOW)
    assert meeting.minutes == ""


def test_minutes_mark_the_meeting_held(started, secretary):
    service.record_minutes(secretary, started.id, minutes=" 讨论了车棚改造。 ", now=NOW)
    assert started.minutes == "讨论了车棚改造。" and started.status is MeetingStatus.HELD


def test_a_resolution_needs_a_member_owner(started, secretary):
    outsider = make_unit(make_community())
    with pytest.raises(errors.NotAMember):
        service.add_resolution(
            secretary,
            started.id,
            text="加装充电桩",
            owner_unit_id=outsider.id,
            due_on=date.today(),
            now=NOW,
        )
    assert rows(Resolution) == 0


def test_a_resolution_due_before_the_meeting_is_refused(started, secretary, units):
    with pytest.raises(Invalid):
        service.add_resolution(
            secretary,
            started.id,
            text="加装充电桩",
            owner_unit_id=units[0].id,
            due_on=started.local_day - timedelta(days=1),
            now=NOW,
        )


def _resolution(started, secretary, units):
    return service.add_resolution(
        secretary,
        started.id,
        text="新建车棚加装充电计时装置",
        owner_unit_id=units[0].id,
        due_on=started.local_day + timedelta(days=30),
        now=NOW,
    )


def test_a_resolution_becomes_a_draft_project_once_with_links_both_ways(started, secretary, units):
    resolution = _resolution(started, secretary, units)
    project = service.resolution_to_project(
        secretary, resolution.id, category=Category.CONVENIENCE, now=NOW
    )
    assert project.status is ProjectStatus.DRAFT and project.title == "新建车棚加装充电计时装置"
    assert resolution.project_id == project.id
    assert service.resolution_of_project(project.id) is resolution
    with pytest.raises(errors.AlreadyLinkedResolution):
        service.resolution_to_project(secretary, resolution.id, category=Category.CARE, now=NOW)


def test_a_resolution_counts_under_a_plan_item_of_its_term(secretary, community, units, term):
    started = schedule(secretary, community, starts_in=-timedelta(minutes=10))
    resolution = _resolution(started, secretary, units)
    from coop.terms import queries as terms_queries

    item = terms_queries.require_plan(term.id).items[5]
    service.resolution_to_plan_item(secretary, resolution.id, item_id=item.id)
    assert service.resolutions_of_item(item.id) == [resolution]


def test_a_plan_item_of_another_term_is_refused(started, secretary, units, community):
    resolution = _resolution(started, secretary, units)
    other = make_community()
    from coop.terms import queries as terms_queries
    from coop.terms import service as terms_service
    from tests.meetings.conftest import PERIOD

    terms_service.open_term_for(other.alliance.id, PERIOD, now=NOW)
    other_term = terms_queries.term_at(other.alliance.id, terms_queries.local_day(NOW))
    item = terms_queries.require_plan(other_term.id).items[0]
    with pytest.raises(Invalid):
        service.resolution_to_plan_item(secretary, resolution.id, item_id=item.id)
    assert resolution.plan_item_id is None


def test_cancelling_tells_the_liaisons_and_closes_the_meeting(meeting, secretary, liaison):
    service.cancel_meeting(secretary, meeting.id, reason="与街道会议冲突", now=NOW)
    assert meeting.status is MeetingStatus.CANCELLED
    assert db.session.query(Notice).filter(Notice.title.like("会议取消%")).count() == 1
    with pytest.raises(errors.MeetingNotOpen):
        service.check_in(liaison, meeting.id, code=meeting.checkin_code, now=meeting.starts_at)


def test_assemblies_held_count_the_current_and_the_previous_term(secretary, community, units, term):
    from coop.terms import queries as terms_queries

    today = terms_queries.local_day(NOW)
    assembly = queries.term_assembly(term.id)
    joint = schedule(secretary, community, kind=MeetingKind.JOINT, starts_in=-timedelta(minutes=20))
    service.mark_attendance(secretary, joint.id, unit_id=units[0].id, present=True, now=NOW)
    assert queries.assemblies_held(community.id, today) == 0  # a 联席会议 is not the assembly
    assembly.status = MeetingStatus.HELD
    db.session.flush()
    assert queries.assemblies_held(community.id, today) == 1
    # A second assembly in a half year is refused now; one stored before that counts once.
    db.session.add(
        Meeting(
            community_id=community.id,
            term_id=term.id,
            kind=MeetingKind.ASSEMBLY,
            title="第二次联盟大会",
            starts_at=NOW - timedelta(minutes=5),
            place="党群服务中心",
            status=MeetingStatus.HELD,
        )
    )
    db.session.flush()
    assert queries.assemblies_held(community.id, today) == 1  # the term held its assembly once
    assert queries.assemblies_held(community.id, term.starts_on - timedelta(days=1)) == 0


def test_an_assembly_scheduled_a_half_year_ahead_is_the_one_the_clock_opens_the_term_with(
    secretary, community, units
):
    from coop.terms import queries as terms_queries
    from coop.terms import service as terms_service

    today = terms_queries.local_day(NOW)
    next_start = terms_queries.next_half_year_start(today)
    ahead = schedule(
        secretary,
        community,
        kind=MeetingKind.ASSEMBLY,
        starts_in=local_midnight(next_start + timedelta(days=15)) - NOW + timedelta(hours=14),
    )
    assert ahead.term_id is None  # its term is not open yet

    terms_service.open_term_for(
        community.alliance.id, terms_queries.half_year_of(next_start), now=NOW
    )

    term = terms_queries.term_at(community.alliance.id, next_start)
    assert ahead.term_id == term.id
    assert queries.term_assembly(term.id).id == ahead.id
    assert rows(Meeting) == 1  # the clock booked no second assembly


def test_a_second_assembly_in_a_half_year_is_refused_until_the_first_is_cancelled(
    secretary, community, units, term
):
    booked = queries.term_assembly(term.id)  # the clock's, when it opened the term
    soon = timedelta(hours=1)  # within the term's half year
    with pytest.raises(errors.AssemblyExists) as refused:
        schedule(secretary, community, kind=MeetingKind.ASSEMBLY, starts_in=soon)
    assert booked.local_day.isoformat() in refused.value.message
    assert rows(Meeting) == 1

    service.cancel_meeting(secretary, booked.id, reason="改期", now=NOW)
    moved = schedule(secretary, community, kind=MeetingKind.ASSEMBLY, starts_in=soon)

    assert moved.term_id == term.id and queries.term_assembly(term.id).id == moved.id
