"""The six-digit check-in code cannot be guessed: after 5 wrong codes in 10 minutes for one
volunteer and activity, every attempt (the right code too) is refused with 429 and Retry-After
until the oldest wrong code is 10 minutes old."""

from datetime import timedelta

import pytest

from coop.activities import service
from coop.activities.errors import WrongCode
from coop.activities.models import Signup, SignupStatus
from coop.dbtypes import utcnow
from coop.errors import TooManyRequests
from coop.extensions import db
from tests.factories import bearer, csrf, login, make_activity, make_community, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def volunteer(community):
    return make_volunteer(community)


def under_way(community):
    return make_activity(community, starts_at=utcnow() - timedelta(hours=1))


def signed_up(activity, volunteer, **fields) -> Signup:
    row = Signup(
        activity_id=activity.id, volunteer_id=volunteer.id, status=SignupStatus.CONFIRMED, **fields
    )
    activity.confirmed_count += 1
    db.session.add(row)
    db.session.flush()
    return row


def wrong(activity) -> str:
    return "000000" if activity.checkin_code != "000000" else "111111"


def guess(volunteer, activity, times: int = 5) -> None:
    for _ in range(times):
        with pytest.raises(WrongCode):
            service.check_in(volunteer, activity.id, code=wrong(activity), now=utcnow())


def test_after_five_wrong_codes_even_the_right_one_waits(community, volunteer):
    activity = under_way(community)
    row = signed_up(activity, volunteer)
    guess(volunteer, activity)
    with pytest.raises(TooManyRequests) as refused:
        service.check_in(volunteer, activity.id, code=activity.checkin_code, now=utcnow())
    assert 590 <= refused.value.retry_after <= 600
    assert "签到码错误次数过多" in refused.value.message
    assert row.checked_in_at is None


def test_four_wrong_codes_still_let_the_right_one_in(community, volunteer):
    activity = under_way(community)
    signed_up(activity, volunteer)
    guess(volunteer, activity, times=4)
    signup = service.check_in(volunteer, activity.id, code=activity.checkin_code, now=utcnow())
    assert signup.checked_in_at is not None


def test_the_limit_is_per_volunteer_and_activity(community, volunteer):
    activity, other_activity = under_way(community), under_way(community)
    neighbour = make_volunteer(community)
    signed_up(activity, neighbour)
    signed_up(other_activity, volunteer)
    guess(volunteer, activity)
    assert service.check_in(neighbour, activity.id, code=activity.checkin_code, now=utcnow())
    code = other_activity.checkin_code
    assert service.check_in(volunteer, other_activity.id, code=code, now=utcnow())


def test_check_out_counts_against_the_same_limit(community, volunteer):
    activity = under_way(community)
    signed_up(activity, volunteer, checked_in_at=utcnow() - timedelta(minutes=30))
    guess(volunteer, activity, times=3)
    for _ in range(2):
        with pytest.raises(WrongCode):
            service.check_out(volunteer, activity.id, code=wrong(activity), now=utcnow())
    with pytest.raises(TooManyRequests):
        service.check_out(volunteer, activity.id, code=activity.checkin_code, now=utcnow())


def test_the_api_answers_429_with_retry_after(client, community, volunteer):
    activity = under_way(community)
    row = signed_up(activity, volunteer)
    path, headers = f"/api/v1/activities/{activity.id}/checkin", bearer(volunteer)
    statuses = [
        client.post(path, json={"code": wrong(activity)}, headers=headers).status_code
        for _ in range(5)
    ]
    response = client.post(path, json={"code": activity.checkin_code}, headers=headers)
    assert statuses == [422] * 5
    assert response.status_code == 429 and response.json["code"] == "too_many_checkin_codes"
    assert 590 <= int(response.headers["Retry-After"]) <= 600
    assert "分钟后再试" in response.json["message"]
    db.session.refresh(row)
    assert row.checked_in_at is None


def test_the_checkin_page_answers_429_and_says_how_long(client, community, volunteer):
    activity = under_way(community)
    signed_up(activity, volunteer)
    login(client, volunteer)
    path = f"/activities/{activity.id}/checkin"
    for _ in range(5):
        client.post(path, data={"code": wrong(activity), "csrf_token": csrf(client, path)})
    data = {"code": activity.checkin_code, "csrf_token": csrf(client, path)}
    response = client.post(path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "签到码错误次数过多" in html and "请现场工作人员为您代签到" in html


@pytest.mark.redis
def test_wrong_codes_are_counted_in_redis_when_configured(ctx):
    import os

    from coop.auth.throttle import AttemptLimit

    limit = AttemptLimit(os.environ["REDIS_URL"], "2 per 10 minutes", "checkin-code")
    limit.limiter.storage.reset()
    try:
        limit.failed(7, 9)
        AttemptLimit(os.environ["REDIS_URL"], "2 per 10 minutes", "checkin-code").failed(7, 9)
        with pytest.raises(TooManyRequests):
            limit.check(7, 9)
        limit.check(7, 10)
    finally:
        limit.limiter.storage.reset()
