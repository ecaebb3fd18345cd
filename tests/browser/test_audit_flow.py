"""操作记录 in a real browser: the secretary lists a resident's need, then finds that change on the
community's record of changes, filtered by kind, in words and with the phone masked; and on the
need's own 历史 section. Phone and desktop; axe checks each page."""

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import User
from coop.categories import Category
from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus
from tests.browser.pages import fits_the_phone, shot

PHONE = "13812345678"


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_the_secretary_sees_her_change_on_the_record_of_changes(
    page: Page, viewport, login, axe, live_db, xingwang_id
):
    title = f"浏览器操作记录-{viewport}-{uuid.uuid4().hex[:8]}"
    with live_db() as session:
        need = Need(
            community_id=xingwang_id,
            title=title,
            category=Category.CARE,
            source=NeedSource.HALL,
            beneficiary_group=Beneficiary.ELDERLY,
            status=NeedStatus.SUBMITTED,
            requester_name="刘桂兰",
            requester_phone=PHONE,
        )
        session.add(need)
        session.flush()
        need_id = need.id
        secretary_name = session.scalar(
            sa.select(User.display_name).where(User.username == "secretary")
        )

    login(page, "secretary")
    page.goto(f"/needs/{need_id}")
    page.get_by_role("button", name="列入清单").click()
    expect(page.get_by_role("status")).to_contain_text("已列入需求清单")

    # The need's own 历史, loaded after the page.
    history = page.get_by_role("region", name="历史")
    expect(history).to_contain_text("状态：待审核 → 已列入清单")
    expect(history).to_contain_text(secretary_name)
    axe(page)

    # The community page links to the record; filtered by kind, the change reads in words.
    page.goto(f"/communities/{xingwang_id}")
    page.get_by_role("link", name="操作记录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("操作记录")
    axe(page)
    page.get_by_label("对象类型").select_option(label="需求")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"/audit\?.*kind=needs"))
    entry = page.locator("li.audit-entry").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    expect(entry.first).to_contain_text("状态：待审核 → 已列入清单")
    expect(entry.first).to_contain_text(secretary_name)
    expect(page.locator("li.audit-entry").filter(has_not_text="需求")).to_have_count(0)
    created = entry.filter(has_text="新建")
    expect(created).to_contain_text("138****5678")
    assert PHONE not in page.content()
    axe(page)
    if viewport == "phone":
        fits_the_phone(page)
    shot(page, f"audit-{viewport}")

    # A wrong date range is refused beside its field, nothing listed.
    page.get_by_label("起始日期").fill("2026-05-02")
    page.get_by_label("截止日期").fill("2026-05-01")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("alert")).to_contain_text("结束日期不能早于开始日期。")
    expect(page.locator("li.audit-entry")).to_have_count(0)
