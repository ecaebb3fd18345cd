"""评选表彰 on the phone: the secretary opens the nomination form, sees each unit's computed
record and 先锋指数, nominates one; the street admin finds it in her 待办, approves it, and the
honour shows on the unit's page."""

import sqlalchemy as sa
from playwright.sync_api import expect

from coop.alliance.models import Community, Unit
from coop.timeutil import local_today
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, shot

UNIT = "康达物业公司"


def test_the_secretary_nominates_and_the_street_approves(
    new_context, login, axe, live_db, xingwang_id
):
    year = local_today().year
    with live_db() as session:
        unit_id = session.scalar(sa.select(Unit.id).where(Unit.name == UNIT))
        street_id = session.get(Community, xingwang_id).street_id

    page = new_context(**VIEWPORTS["phone"]).new_page()
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/nominations")
    expect(page.get_by_role("heading", level=1)).to_contain_text("评选表彰")
    page.get_by_role("link", name="提名", exact=True).click()
    table = page.get_by_role("table").first
    expect(table).to_contain_text("先锋指数")
    expect(table).to_contain_text(UNIT)
    fits_the_phone(page)
    axe(page)
    shot(page, "honours-nominate")
    page.get_by_label("荣誉").select_option("pioneer")
    page.get_by_label("联盟单位（同心共建先锋）").select_option(str(unit_id))
    page.get_by_label("推荐理由").fill("全年认领项目按期完成，在职党员服务时长领先。")
    page.get_by_role("button", name="提交提名").click()
    expect(page.get_by_role("status").filter(has_text="待街道审批")).to_be_visible()
    expect(page.get_by_role("heading", name="提名时的记录")).to_be_visible()
    expect(page.locator("dl.honour-record")).to_contain_text("先锋指数")
    expect(page.get_by_role("button", name="批准授予")).to_have_count(0)

    page = new_context(**VIEWPORTS["phone"]).new_page()
    login(page, "street")
    page.goto("/")
    page.get_by_role("link", name="项评选提名待审批").first.click()
    expect(page).to_have_url(f"{page.url.split('/streets')[0]}/streets/{street_id}/nominations")
    page.get_by_role("link", name=UNIT).click()
    fits_the_phone(page)
    page.get_by_role("button", name="批准授予").click()
    expect(page.get_by_role("status").filter(has_text="已授予")).to_be_visible()

    page.goto(f"/units/{unit_id}")
    expect(page.get_by_role("link", name=f"{year} 年度同心共建先锋")).to_be_visible()
    shot(page, "honours-unit")
