"""The double submit in a real browser: the secretary records a need, goes back and submits the
same form again: there is one need, and the page she lands on says it was sent already. And an
htmx form sent again after its answer was lost answers what the first one did."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.activities.models import Signup
from coop.alliance.models import Community
from coop.dbtypes import utcnow
from coop.needs.models import Need
from tests.factories import PASSWORD, make_activity, make_volunteer

BUTTON = "保存并列入清单"
NOTE = "已提交过，未重复创建"


def fill_need_form(page: Page, xingwang_id: int, title: str) -> None:
    page.goto(f"/communities/{xingwang_id}/needs/new")
    expect(page.get_by_role("heading", level=1)).to_contain_text("登记需求")
    page.wait_for_load_state()  # coop.js listens from DOMContentLoaded on
    page.get_by_label("需求标题").fill(title)
    page.get_by_label("类别").select_option(value="关心关爱")
    page.get_by_label("来源").select_option(value="visit")
    page.get_by_label("服务对象").select_option(value="elderly")


def needs_titled(live_db, title: str) -> int:
    with live_db() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(Need).where(Need.title == title)
        )


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_back_and_submit_again_creates_one_need(page: Page, login, live_db, xingwang_id, viewport):
    title = f"浏览器重复提交-{viewport}-{uuid.uuid4().hex[:8]}"
    login(page, "secretary")
    fill_need_form(page, xingwang_id, title)
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status").filter(has_text="列入需求清单")).to_be_visible()
    first = page.url

    page.go_back()
    expect(page.get_by_label("需求标题")).to_have_value(title)  # the form as she left it
    page.get_by_role("button", name=BUTTON).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status").filter(has_text=NOTE)).to_be_visible()
    assert page.url == first
    assert needs_titled(live_db, title) == 1


def test_a_retry_after_a_lost_answer_signs_up_once(page: Page, login, live_db, xingwang_id):
    """htmx: the sign-up reached the server but its answer was lost; she taps 报名 again and is
    shown what the first one did, not told she has signed up already."""
    with live_db() as session:
        community = session.get(Community, xingwang_id)
        volunteer = make_volunteer(community, username=f"retry-{uuid.uuid4().hex[:8]}")
        # A day of its own, far from the demo's sessions: no clash with her other sign-ups.
        activity = make_activity(community, starts_at=utcnow() + timedelta(days=400))
        username, activity_id = volunteer.username, activity.id
    lost = []

    def lose_the_first_answer(route):
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)  # the server does the work; the answer never arrives
        route.abort()

    page.route(f"**/activities/{activity_id}/signup", lose_the_first_answer)
    login(page, username, PASSWORD)
    page.goto(f"/activities/{activity_id}")
    page.wait_for_load_state()  # htmx (deferred) is listening
    panel = page.locator(f"#signup-panel-{activity_id}")
    with page.expect_event("requestfailed"):
        panel.get_by_role("button", name="报名", exact=True).click()
    assert lost == [200]
    panel.get_by_role("button", name="报名", exact=True).click()

    expect(panel.get_by_role("status")).to_contain_text("报名成功")
    expect(page.get_by_role("alert")).to_have_count(0)
    with live_db() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Signup)
                .where(Signup.activity_id == activity_id)
            )
            == 1
        )
