"""取消报名 on a phone asks first. On a full session with a waiting list one mis-tap used to give
her seat to the first in line at once. Now 取消报名 opens a warning and 确认取消报名, as 移出 on a
team page does. Tapping 取消报名 again closes it and she keeps her seat. We try it with touch on
the activity page, with the keyboard on 我的活动, and with JavaScript off.

Set COOP_SCREENSHOTS to a directory to keep the phone screenshots of the open confirmation.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.activities import service
from coop.activities.models import Signup, SignupStatus
from coop.dbtypes import utcnow
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot
from tests.factories import PASSWORD, make_activity, make_community, make_volunteer

FULL_WARNING = "名额已满：取消后名额马上给候补的第一位（如有），您再报名只能候补。"


@dataclass(frozen=True)
class Full:
    """A one-seat session: she holds the seat, someone else waits for it."""

    activity_id: int
    username: str
    her_id: int
    waiting_id: int


@pytest.fixture
def full(live_db) -> Full:
    tag = uuid.uuid4().hex[:6]
    with live_db():
        community = make_community(name=f"浏览器取消社区{tag}")
        activity = make_activity(community, title=f"重阳节包饺子{tag}", capacity=1)
        her = make_volunteer(community, username=f"cancel-{tag}", display_name=f"陈秀英{tag}")
        waiting = make_volunteer(community, display_name=f"王桂兰{tag}")
        early = utcnow()
        service.sign_up(her, activity.id, now=early)
        service.sign_up(waiting, activity.id, now=early + timedelta(seconds=1), waitlist=True)
        return Full(activity.id, her.username, her.id, waiting.id)


def statuses(live_db, full: Full) -> dict[int, SignupStatus]:
    with live_db() as session:
        rows = session.execute(
            sa.select(Signup.volunteer_id, Signup.status).where(
                Signup.activity_id == full.activity_id
            )
        )
        return dict(rows.all())


def still_hers(live_db, full: Full) -> bool:
    return statuses(live_db, full) == {
        full.her_id: SignupStatus.CONFIRMED,
        full.waiting_id: SignupStatus.WAITLISTED,
    }


def given_away(live_db, full: Full) -> bool:
    return statuses(live_db, full) == {
        full.her_id: SignupStatus.CANCELLED,
        full.waiting_id: SignupStatus.CONFIRMED,
    }


def test_tapping_cancel_on_a_full_activity_asks_before_the_seat_goes_to_the_waitlist(
    page: Page, login, axe, live_db, full: Full
):
    login(page, full.username, PASSWORD)
    page.goto(f"/activities/{full.activity_id}")
    panel = page.locator(f"#signup-panel-{full.activity_id}")
    expect(panel.get_by_text("已报名", exact=True)).to_be_visible()
    axe(page)  # also waits for the load event: htmx is listening
    page.evaluate("window.__sameDocument = true")  # gone if the page is reloaded
    cancel = panel.get_by_text("取消报名", exact=True)
    confirm = panel.get_by_role("button", name="确认取消报名")

    cancel.tap()
    expect(panel.get_by_text(FULL_WARNING)).to_be_visible()
    expect(confirm).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "cancel-signup-confirm-phone")

    # She changes her mind: the same tap closes it, and the seat stays hers.
    cancel.tap()
    expect(confirm).to_be_hidden()
    expect(panel.get_by_text(FULL_WARNING)).to_be_hidden()
    assert still_hers(live_db, full)
    page.reload()
    expect(panel.get_by_text("已报名", exact=True)).to_be_visible()

    cancel.tap()
    with page.expect_response(re.compile(rf"/activities/{full.activity_id}/signup/cancel$")):
        confirm.tap()
    expect(panel.get_by_role("status")).to_have_text("已取消报名。")
    # The seat went to the waiting volunteer, so all she can do now is wait in line.
    expect(panel.get_by_role("button", name="候补", exact=True)).to_be_visible()
    assert given_away(live_db, full)
    axe(page)


def test_cancelling_on_my_activities_asks_first_with_the_keyboard(
    page: Page, login, axe, live_db, full: Full
):
    login(page, full.username, PASSWORD)
    page.goto("/my/activities")
    cancel = page.get_by_text("取消报名", exact=True)
    confirm = page.get_by_role("button", name="确认取消报名")

    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(FULL_WARNING)).to_be_visible()
    expect(confirm).to_be_visible()
    axe(page)
    shot(page, "cancel-signup-confirm-mine-phone")
    page.keyboard.press("Enter")  # still on the summary: closes it
    expect(confirm).to_be_hidden()
    assert still_hers(live_db, full)

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/my/activities$"))
    expect(page.get_by_role("status").filter(has_text="已取消报名")).to_be_visible()
    expect(page.get_by_text("还没有报名活动。")).to_be_visible()
    assert given_away(live_db, full)


def test_cancelling_asks_first_without_javascript(new_context, login, live_db, full: Full):
    page = new_context(**VIEWPORTS["phone"], java_script_enabled=False).new_page()
    login(page, full.username, PASSWORD)
    page.goto(f"/activities/{full.activity_id}")
    panel = page.locator(f"#signup-panel-{full.activity_id}")
    confirm = panel.get_by_role("button", name="确认取消报名")
    expect(confirm).to_be_hidden()

    panel.get_by_text("取消报名", exact=True).tap()
    expect(panel.get_by_text(FULL_WARNING)).to_be_visible()
    assert still_hers(live_db, full)
    confirm.tap()
    expect(page).to_have_url(re.compile(rf"/activities/{full.activity_id}$"))
    expect(page.get_by_role("status").filter(has_text="已取消报名")).to_be_visible()
    expect(panel.get_by_role("button", name="候补", exact=True)).to_be_visible()
    assert given_away(live_db, full)
