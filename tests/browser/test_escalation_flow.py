"""街道吹哨 on the phone: the secretary raises a resident's need to the street with a reason, the
street admin finds it in her queue, assigns 城管 with a deadline, records what it did and
resolves it, and the resident reads it all on her need page."""

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from coop.alliance.models import Community
from coop.auth.models import User
from coop.timeutil import local_today
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, nav, shot
from tests.factories import make_need


def _residents_need(live_db, xingwang_id) -> tuple[int, str]:
    title = f"违建占用消防通道-{uuid.uuid4().hex[:6]}"
    with live_db() as session:
        community = session.get(Community, xingwang_id)
        resident = session.scalar(sa.select(User).where(User.username == "resident"))
        need = make_need(community, title=title, requester_id=resident.id)
        return need.id, title


def test_raised_assigned_to_chengguan_resolved_and_seen_by_the_resident(
    new_context, login, axe, live_db, xingwang_id
):
    need_id, title = _residents_need(live_db, xingwang_id)
    deadline = (local_today() + timedelta(days=7)).isoformat()

    # The secretary raises it from the need page.
    page = new_context(**VIEWPORTS["phone"]).new_page()
    login(page, "secretary")
    page.goto(f"/needs/{need_id}")
    page.get_by_role("link", name="上报街道（吹哨）").click()
    page.get_by_label("上报原因").fill("一楼商户私建彩钢棚占用消防通道，社区劝导无效，需城管执法。")
    page.get_by_role("button", name="确认上报街道").click()
    expect(page.get_by_role("status").filter(has_text="已上报街道")).to_be_visible()
    section = page.get_by_role("region", name="街道协同处置")
    expect(section).to_contain_text("待分派")
    expect(page.get_by_role("link", name="上报街道（吹哨）")).to_have_count(0)

    # The street admin finds it in her queue and handles it.
    page = new_context(**VIEWPORTS["phone"]).new_page()
    login(page, "street")
    nav(page, "街道吹哨").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("街道吹哨")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "escalation-queue")
    page.get_by_role("link", name=title).click()

    page.get_by_role("checkbox", name="城管").check()
    page.get_by_label("办理期限").fill(deadline)
    page.get_by_role("button", name="分派", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已分派")).to_be_visible()
    page.get_by_label("做了什么").fill("城管中队到场勘查，下达限期拆除通知书。")
    page.get_by_role("button", name="记录", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已记录处置情况")).to_be_visible()
    fits_the_phone(page)
    axe(page)
    shot(page, "escalation-detail")

    page.get_by_role("link", name="办结", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认办结")
    page.get_by_label("处置结果").fill("彩钢棚已拆除，消防通道恢复畅通。")
    page.get_by_role("button", name="确认办结").click()
    expect(page.get_by_role("status").filter(has_text="已办结")).to_be_visible()

    # The resident reads the progress and the outcome on her need page.
    page = new_context(**VIEWPORTS["phone"]).new_page()
    login(page, "resident")
    page.goto(f"/needs/{need_id}")
    section = page.get_by_role("region", name="街道协同处置")
    expect(section).to_contain_text("已办结")
    expect(section).to_contain_text("城管")
    expect(section).to_contain_text(deadline)
    expect(section).to_contain_text("城管中队到场勘查")
    expect(section).to_contain_text("彩钢棚已拆除")
    expect(page.locator("h1 + p")).to_contain_text(re.compile("已解决"))
    fits_the_phone(page)
    axe(page)
    shot(page, "escalation-resident-need")
