"""On a phone: a volunteer opens 我的 → 日历订阅, makes her feed address and copies it; the feed at
that address parses with ``icalendar`` and holds her sign-up. 重新生成 (confirmed) stops the old
address. And the secretary finds a need by its requester's phone tail from the header's box."""

import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from playwright.sync_api import Page, expect

from coop.activities.models import Activity, Signup, SignupStatus
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.needs.models import Need
from tests.browser.pages import fits_the_phone, nav, shot


@pytest.fixture
def her_sign_up(live_db, xingwang_id) -> str:
    """A session far ahead (clashing with nothing) that ``volunteer`` is signed up for."""
    title = f"浏览器日历-{uuid.uuid4().hex[:8]}"
    start = utcnow().replace(microsecond=0) + timedelta(days=300)
    with live_db() as session:
        volunteer = session.scalar(sa.select(User).where(User.username == "volunteer"))
        activity = Activity(
            community_id=xingwang_id,
            title=title,
            place="党群服务中心",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=5,
            confirmed_count=1,
        )
        session.add(activity)
        session.flush()
        session.add(
            Signup(
                activity_id=activity.id, volunteer_id=volunteer.id, status=SignupStatus.CONFIRMED
            )
        )
    return title


def _feed(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) as a calendar app fetches it: no cookie, no sign-in."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], b""


def test_volunteer_subscribes_and_the_feed_parses_with_her_sign_up(page: Page, login, her_sign_up):
    login(page, "volunteer")
    nav(page, "我的").click()
    page.get_by_role("link", name="日历订阅").click()
    expect(page.get_by_role("heading", name="日历订阅", level=1)).to_be_visible()

    page.get_by_role("button", name="生成订阅地址").click()
    address = page.get_by_label("订阅地址")
    expect(address).to_be_visible()
    url = address.input_value()
    assert "/calendar/" in url and url.endswith(".ics")
    webcal = page.get_by_role("link", name="添加到手机日历").get_attribute("href")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    page.get_by_role("button", name="复制").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    fits_the_phone(page)
    shot(page, "calendar-subscription")

    status, content_type, body = _feed(url)
    assert status == 200
    assert content_type == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(body)
    titles = {str(event["summary"]) for event in calendar.walk("VEVENT")}
    assert her_sign_up in titles
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    # Shown once: back on the page only that it is on, with 重新生成 (after a confirmation).
    page.goto("/my/calendar")
    expect(page.get_by_label("订阅地址")).to_have_count(0)
    page.get_by_role("link", name="重新生成").click()
    page.get_by_role("button", name="确认重新生成").click()
    new_url = page.get_by_label("订阅地址").input_value()
    assert new_url != url
    assert _feed(url)[0] == 404
    assert _feed(new_url)[0] == 200


@pytest.fixture
def need_with_phone(live_db, xingwang_id) -> tuple[str, str]:
    title = f"浏览器搜索-{uuid.uuid4().hex[:8]}"
    tail = f"{uuid.uuid4().int % 10000:04d}"
    with live_db() as session:
        template = session.scalar(sa.select(Need).where(Need.community_id == xingwang_id).limit(1))
        session.add(
            Need(
                community_id=xingwang_id,
                title=title,
                category=template.category,
                source=template.source,
                beneficiary_group=template.beneficiary_group,
                requester_name="测试居民",
                requester_phone=f"1390000{tail}",
            )
        )
    return title, tail


def test_secretary_finds_a_need_by_phone_tail_from_the_header(page: Page, login, need_with_phone):
    title, tail = need_with_phone
    login(page, "secretary")
    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(tail)
    box.press("Enter")

    expect(page.get_by_role("heading", name="搜索", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    fits_the_phone(page)
    shot(page, "search-results")

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
