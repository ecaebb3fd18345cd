"""日历订阅: her feed behind a secret, revocable URL, and an .ics per activity, parsed back with
``icalendar`` as a phone's calendar would."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from coop.activities import service as activity_service
from coop.activities.models import Signup, SignupStatus
from coop.calendars.models import CalendarToken
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_secretary,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def volunteer(community):
    return make_volunteer(community)


def _feed_url(client, user) -> str:
    answer = client.get("/api/v1/me/calendar-token", headers=bearer(user))
    assert answer.status_code == 200, answer.json
    return answer.json["url"]


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _parse(answer) -> Calendar:
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(answer.data)


def _events(cal: Calendar) -> dict[str, object]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def _sign_up(volunteer, activity, **kwargs):
    return activity_service.sign_up(volunteer, activity.id, now=utcnow(), **kwargs)


def test_feed_lists_her_sign_up_in_the_community_time_zone(client, community, volunteer):
    start = datetime(2030, 5, 4, 1, 30, tzinfo=UTC)  # 09:30 in 兴旺社区
    activity = make_activity(
        community, title="邻里文化节", place="文化广场", starts_at=start, description="带水杯"
    )
    _sign_up(volunteer, activity)

    cal = _parse(client.get(_path(_feed_url(client, volunteer))))

    assert str(cal["method"]) == "PUBLISH"
    assert str(cal["version"]) == "2.0"
    assert "Coop" in str(cal["prodid"])
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"activity-{activity.id}@localhost"
    assert event.decoded("dtstart") == datetime(2030, 5, 4, 9, 30, tzinfo=COMMUNITY_TZ)
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtend") == datetime(2030, 5, 4, 11, 30, tzinfo=COMMUNITY_TZ)
    assert str(event["summary"]) == "邻里文化节"
    assert str(event["location"]) == "文化广场"
    assert f"/activities/{activity.id}" in str(event["description"])
    assert "带水杯" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(hours=2)


def test_feed_is_private_and_never_cached_by_others(client, volunteer):
    answer = client.get(_path(_feed_url(client, volunteer)))
    assert answer.headers["Cache-Control"] == "private"


def test_cancelled_activity_stays_in_the_feed_as_cancelled(client, community, volunteer):
    secretary = make_secretary(community)
    activity = make_activity(community, title="爱心捐赠")
    _sign_up(volunteer, activity)
    activity_service.cancel_activity(secretary, activity.id, reason="下雨")

    (event,) = _parse(client.get(_path(_feed_url(client, volunteer)))).walk("VEVENT")

    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"activity-{activity.id}@localhost"
    assert "爱心捐赠" in str(event["summary"])
    assert event.walk("VALARM") == []


def test_withdrawn_sign_up_leaves_the_feed_and_waitlist_is_tentative(client, community, volunteer):
    withdrawn = make_activity(community, title="撤回的")
    _sign_up(volunteer, withdrawn)
    activity_service.cancel_signup(volunteer, withdrawn.id, now=utcnow())
    full = make_activity(community, title="候补的", capacity=1)
    _sign_up(make_volunteer(community), full)
    _sign_up(volunteer, full, waitlist=True)

    events = _events(_parse(client.get(_path(_feed_url(client, volunteer)))))

    assert set(events) == {"候补的"}
    assert str(events["候补的"]["status"]) == "TENTATIVE"


def test_feed_starts_thirty_days_back(client, community, volunteer):
    old = make_activity(community, title="上上月", starts_at=utcnow() - timedelta(days=40))
    recent = make_activity(community, title="上周", starts_at=utcnow() - timedelta(days=7))
    for activity in (old, recent):
        db.session.add(
            Signup(
                activity_id=activity.id, volunteer_id=volunteer.id, status=SignupStatus.CONFIRMED
            )
        )
    db.session.flush()

    events = _events(_parse(client.get(_path(_feed_url(client, volunteer)))))

    assert set(events) == {"上周"}


def test_another_persons_token_never_shows_her_events(client, community, volunteer):
    _sign_up(volunteer, make_activity(community, title="她的活动"))
    other = make_volunteer(community)
    _sign_up(other, make_activity(community, title="别人的活动"))

    events = _events(_parse(client.get(_path(_feed_url(client, other)))))

    assert set(events) == {"别人的活动"}


def test_unknown_token_is_404(client, volunteer):
    _feed_url(client, volunteer)
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_token_is_stored_only_as_its_sha256(client, volunteer):
    url = _feed_url(client, volunteer)
    raw = re.search(r"/calendar/([^/]+)\.ics$", url)[1]

    assert len(raw) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    stored = db.session.scalars(sa.select(CalendarToken.token_hash)).all()
    assert stored == [hashlib.sha256(raw.encode()).hexdigest()]


def test_url_is_shown_once_then_only_that_the_feed_is_on(client, volunteer):
    first = client.get("/api/v1/me/calendar-token", headers=bearer(volunteer)).json
    again = client.get("/api/v1/me/calendar-token", headers=bearer(volunteer)).json

    assert first["shown"] is True
    assert first["webcal_url"] == "webcal://" + first["url"].split("://", 1)[1]
    assert again == {**first, "url": None, "webcal_url": None, "shown": False}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarToken)) == 1


def test_regenerating_makes_the_old_url_stop_working(client, volunteer):
    old = _path(_feed_url(client, volunteer))

    answer = client.post("/api/v1/me/calendar-token", headers=bearer(volunteer))

    assert answer.status_code == 201
    assert client.get(old).status_code == 404
    assert client.get(_path(answer.json["url"])).status_code == 200


def test_revoking_makes_the_url_404(client, volunteer):
    url = _path(_feed_url(client, volunteer))

    answer = client.delete("/api/v1/me/calendar-token", headers=bearer(volunteer))

    assert answer.status_code == 204
    assert client.get(url).status_code == 404
    again = client.get("/api/v1/me/calendar-token", headers=bearer(volunteer)).json
    assert again["shown"] is True and _path(again["url"]) != url


def test_a_person_who_left_has_no_feed(client, volunteer):
    url = _path(_feed_url(client, volunteer))
    volunteer.is_active = False
    db.session.flush()
    assert client.get(url).status_code == 404


def test_only_volunteers_have_a_feed(client, community):
    secretary = make_secretary(community)
    answer = client.get("/api/v1/me/calendar-token", headers=bearer(secretary))
    assert answer.status_code == 403
    assert answer.json["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarToken)) == 0


def test_activity_ics_for_whoever_may_see_it(client, community, volunteer):
    activity = make_activity(community, title="助力创城", place="东门")

    cal = _parse(client.get(f"/api/v1/activities/{activity.id}.ics", headers=bearer(volunteer)))

    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"activity-{activity.id}@localhost"
    assert str(event["location"]) == "东门"
    assert str(cal["method"]) == "PUBLISH"
    assert cal.walk("VTIMEZONE")


def test_activity_ics_of_another_community_is_404(client, community):
    activity = make_activity(community)
    stranger = make_volunteer(make_community())
    answer = client.get(f"/api/v1/activities/{activity.id}.ics", headers=bearer(stranger))
    assert answer.status_code == 404


def test_activity_page_links_add_to_calendar(client, community, volunteer):
    activity = make_activity(community)
    login(client, volunteer)

    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f'href="/activities/{activity.id}.ics"' in page
    assert "加入日历" in page
    cal = _parse(client.get(f"/activities/{activity.id}.ics"))
    assert len(cal.walk("VEVENT")) == 1


def test_subscription_page_shows_the_address_once_and_regenerates(client, volunteer):
    login(client, volunteer)
    assert "生成订阅地址" in client.get("/my/calendar").get_data(as_text=True)

    made = client.post("/my/calendar", data={"csrf_token": csrf(client, "/my/calendar")})
    html = made.get_data(as_text=True)
    url = re.search(r'id="feed-url" type="text" value="([^"]+)"', html)[1]
    assert made.headers["Cache-Control"] == "no-store"
    assert 'href="webcal://' in html
    later = client.get("/my/calendar").get_data(as_text=True)
    assert url not in later and "重新生成" in later

    confirm = client.get("/my/calendar/regenerate").get_data(as_text=True)
    assert "确认重新生成" in confirm
    client.post("/my/calendar/regenerate", data={"csrf_token": csrf(client, "/my/calendar")})
    assert client.get(_path(url)).status_code == 404


def test_subscription_page_revokes_after_confirmation(client, volunteer):
    login(client, volunteer)
    made = client.post("/my/calendar", data={"csrf_token": csrf(client, "/my/calendar")})
    url = re.search(r'id="feed-url" type="text" value="([^"]+)"', made.get_data(as_text=True))[1]

    answer = client.post("/my/calendar/revoke", data={"csrf_token": csrf(client, "/my/calendar")})

    assert answer.status_code == 302
    assert client.get(_path(url)).status_code == 404
    assert "生成订阅地址" in client.get("/my/calendar").get_data(as_text=True)


def test_feed_asks_calendars_to_refresh_hourly(client, volunteer):
    cal = _parse(client.get(_path(_feed_url(client, volunteer))))
    assert str(cal["x-published-ttl"]) == "PT1H"  # an X- property: parsed back as text
    assert cal.decoded("refresh-interval") == timedelta(hours=1)
    assert str(cal["x-wr-calname"]) == "我的志愿活动"
