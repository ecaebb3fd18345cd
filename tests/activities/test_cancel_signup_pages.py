"""取消报名 asks first, on every page that offers it: the form sits behind a <details> summary
(as 移出 on a team page does), with a warning that says what she loses."""

import re
from datetime import timedelta

import pytest

from coop.activities import service
from tests.factories import csrf, login, make_activity, make_community, make_volunteer

HTMX = {"HX-Request": "true"}
PAGES = ["/activities/{a}", "/communities/{c}/activities", "/my/activities"]
DETAILS = re.compile(r"<details\b[^>]*>.*?</details>", re.S)


@pytest.fixture
def community(ctx):
    return make_community()


def _sign_up(volunteer, activity, **kwargs):
    return service.sign_up(
        volunteer, activity.id, now=activity.starts_at - timedelta(days=1), **kwargs
    )


def _confirmation(html: str, activity) -> str:
    """The one <details> that holds this activity's cancel form; fails if the form is outside."""
    action = f'action="/activities/{activity.id}/signup/cancel"'
    assert action not in DETAILS.sub("", html), "取消 posts at once, without asking"
    (details,) = [d for d in DETAILS.findall(html) if action in d]
    return details


@pytest.mark.parametrize("path", PAGES)
def test_cancelling_a_seat_asks_first(client, community, path):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _sign_up(volunteer, activity)
    login(client, volunteer)
    html = client.get(path.format(a=activity.id, c=community.id)).get_data(as_text=True)
    details = _confirmation(html, activity)
    assert "<summary>取消报名</summary>" in details
    assert "确定取消报名吗？" in details and ">确认取消报名</button>" in details


@pytest.mark.parametrize("path", PAGES)
def test_cancelling_a_seat_of_a_full_activity_warns_it_goes_to_the_waitlist(
    client, community, path
):
    activity = make_activity(community, capacity=1)
    volunteer = make_volunteer(community)
    _sign_up(volunteer, activity)
    _sign_up(make_volunteer(community), activity, waitlist=True)
    login(client, volunteer)
    html = client.get(path.format(a=activity.id, c=community.id)).get_data(as_text=True)
    details = _confirmation(html, activity)
    assert "名额马上给候补的第一位" in details and "您再报名只能候补" in details


@pytest.mark.parametrize("path", PAGES)
def test_leaving_the_waitlist_asks_first(client, community, path):
    activity = make_activity(community, capacity=1)
    _sign_up(make_volunteer(community), activity)
    volunteer = make_volunteer(community)
    _sign_up(volunteer, activity, waitlist=True)
    login(client, volunteer)
    html = client.get(path.format(a=activity.id, c=community.id)).get_data(as_text=True)
    details = _confirmation(html, activity)
    assert "<summary>取消候补</summary>" in details
    assert "再候补要重新排队" in details and ">确认取消候补</button>" in details


def test_the_panel_swapped_in_after_signing_up_asks_before_cancelling(client, community):
    activity = make_activity(community)
    login(client, make_volunteer(community))
    listing = f"/communities/{community.id}/activities"
    response = client.post(
        f"/activities/{activity.id}/signup",
        data={"csrf_token": csrf(client, listing), "next": listing},
        headers=HTMX,
    )
    details = _confirmation(response.get_data(as_text=True), activity)
    assert f'hx-post="/activities/{activity.id}/signup/cancel"' in details
    assert f'hx-target="#signup-msg-{activity.id}"' in details
