"""Meetings in the calendar feed: a liaison subscribes, and the 联盟大会 and 联席会议 her unit is
invited to are events in it (a called-off one stays, as cancelled); other units' are not."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from coop.meetings import service as meetings
from coop.timeutil import COMMUNITY_TZ
from tests.factories import bearer, login, make_community, make_liaison, make_resident, make_unit
from tests.meetings.conftest import NOW, schedule


@pytest.fixture
def community(ctx):
    return make_community()


def _feed(client, user) -> dict:
    answer = client.get("/api/v1/me/calendar-token", headers=bearer(user))
    assert answer.status_code == 200, answer.json
    path = answer.json["url"].split("://", 1)[1].split("/", 1)[1]
    feed = client.get("/" + path)
    assert feed.status_code == 200
    return {str(e["summary"]): e for e in Calendar.from_ical(feed.data).walk("VEVENT")}


def test_a_liaison_sees_her_units_meetings(client, community):
    from tests.factories import make_secretary

    liaison = make_liaison(make_unit(community))
    meeting = schedule(make_secretary(community), community)
    events = _feed(client, liaison)
    event = events["第三季度联席会议"]
    assert str(event["uid"]).startswith(f"meeting-{meeting.id}@")
    assert event["dtstart"].dt == meeting.starts_at.astimezone(COMMUNITY_TZ).replace(microsecond=0)
    assert event["dtend"].dt - event["dtstart"].dt == timedelta(hours=2)
    assert str(event["location"]) == "党群服务中心二楼" and str(event["status"]) == "CONFIRMED"
    assert "车棚改造" in str(event["description"])
    assert str(event["url"]).endswith(f"/meetings/{meeting.id}")


def test_a_cancelled_meeting_stays_as_cancelled(client, community):
    from tests.factories import make_secretary

    secretary = make_secretary(community)
    liaison = make_liaison(make_unit(community))
    meeting = schedule(secretary, community)
    meetings.cancel_meeting(secretary, meeting.id, reason="场地维修", now=NOW)
    event = _feed(client, liaison)["【已取消】第三季度联席会议"]
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 1


def test_a_unit_not_invited_sees_nothing(client, community):
    from tests.factories import make_secretary

    schedule(make_secretary(community), community)
    late = make_liaison(make_unit(community))  # joined after the invitations went out
    elsewhere = make_liaison(make_unit(make_community()))
    assert _feed(client, late) == {} and _feed(client, elsewhere) == {}


def test_meetings_long_past_leave_the_feed(client, community):
    from tests.factories import make_secretary

    liaison = make_liaison(make_unit(community))
    schedule(make_secretary(community), community, starts_in=-timedelta(days=40))
    assert _feed(client, liaison) == {}


def test_a_liaison_opens_the_subscription_page_a_resident_may_not(client, community):
    liaison = make_liaison(make_unit(community))
    login(client, liaison)
    html = client.get("/my/calendar").get_data(as_text=True)
    assert "受邀的联盟大会和联席会议" in html
    login(client, make_resident(community))
    assert client.get("/my/calendar").status_code == 403
