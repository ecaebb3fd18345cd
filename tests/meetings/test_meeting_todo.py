"""待办: the secretary is reminded to write the minutes of a meeting that has started; a liaison
sees a meeting ahead within a fortnight that her unit is invited to."""

from datetime import timedelta

from coop.meetings import service
from coop.todo import service as todo
from tests.meetings.conftest import NOW, schedule


def test_the_secretary_is_reminded_to_write_minutes_until_she_does(secretary, community, units):
    started = schedule(secretary, community, starts_in=-timedelta(minutes=10))
    item = todo.minutes_to_write(secretary, community.id, NOW)
    assert item.count == 1 and item.entries[0].link == f"/meetings/{started.id}#minutes"
    service.record_minutes(secretary, started.id, minutes="议定车棚改造", now=NOW)
    assert todo.minutes_to_write(secretary, community.id, NOW) is None


def test_a_meeting_ahead_is_not_yet_waiting_for_minutes(secretary, community, meeting):
    assert todo.minutes_to_write(secretary, community.id, NOW) is None


def test_the_liaison_sees_the_meeting_her_unit_is_invited_to(liaison, units, meeting, secretary):
    item = todo.meetings_invited(liaison, units[0].id, NOW)
    assert item.count == 1 and item.link == f"/meetings/{meeting.id}"
    service.cancel_meeting(secretary, meeting.id, reason="改期另行通知", now=NOW)
    assert todo.meetings_invited(liaison, units[0].id, NOW) is None


def test_a_meeting_a_month_away_is_not_on_her_list_yet(secretary, community, units, liaison):
    schedule(secretary, community, starts_in=timedelta(days=30))
    assert todo.meetings_invited(liaison, units[0].id, NOW) is None
