"""The secretary's flow from the issue, on a phone and on a desktop: sign in, see her community,
add a unit, record its agreement, end an agreement. axe checks every page on the way."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.alliance.models import Agreement, Membership, Unit, UnitKind
from coop.timeutil import local_today
from tests.browser.conftest import TEST_UNIT_PREFIX
from tests.browser.pages import nav

pytestmark = pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)

NEIGHBOURHOODS = [
    "第一邻里单元·阳光苑",
    "第二邻里单元·丰泽园",
    "第三邻里单元·康乐居",
    "第四邻里单元·和谐家园",
]


def stat(page: Page, label: str):
    """The number under ``label`` in the 概况 stats."""
    stats = page.get_by_role("region", name="概况")
    return stats.locator("div").filter(has=page.get_by_text(label, exact=True)).locator("dd")


def definition(page: Page, term: str):
    """The <dd> that follows the <dt> ``term``."""
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def unit_name(viewport: str) -> str:
    return f"{TEST_UNIT_PREFIX}单位-{viewport}-{uuid.uuid4().hex[:8]}"


def test_secretary_adds_a_unit_and_records_its_agreement(
    page: Page, viewport, login, axe, xingwang_id, xingwang_unit_count
):
    page.goto("/login")
    axe(page)
    login(page, "secretary")

    # She lands on her 待办; 社区 in the menu is her own community's page.
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    nav(page, "社区").click()
    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("兴旺社区")
    units_before = xingwang_unit_count()
    assert units_before >= 12
    expect(stat(page, "邻里单元")).to_have_text("4")
    expect(stat(page, "联盟单位")).to_have_text(str(units_before))
    for name in NEIGHBOURHOODS:
        expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text("兴旺社区大邻里党建联盟")).to_be_visible()
    expect(definition(page, "联盟书记")).to_have_text("王建华（社区党委书记）")
    expect(definition(page, "轮值副书记")).to_contain_text("半年")
    expect(definition(page, "委员")).to_contain_text("（市第二人民医院）")
    axe(page)

    # 添加联盟单位
    page.get_by_role("link", name="添加联盟单位").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("添加联盟单位")
    axe(page)
    name = unit_name(viewport)
    page.get_by_label("单位名称").fill(name)
    page.get_by_label("单位类别").select_option(label="社会组织")
    page.get_by_label("联系人").fill("张晓东")
    page.get_by_label("联系电话").fill("0477-8123456")
    page.get_by_label("地址").fill("青山路 88 号")
    page.get_by_label("简介").fill("助老服务、心理疏导")
    page.get_by_role("button", name="保存，下一步记录协议").click()

    # The agreement form, for the new unit.
    expect(page.get_by_role("heading", level=1)).to_have_text("记录《共驻共建协议书》")
    expect(page.get_by_role("status")).to_contain_text(name)
    expect(page.get_by_text(f"{name} · 兴旺社区")).to_be_visible()
    axe(page)
    today = local_today()
    expect(page.get_by_label("签订日期")).to_have_value(today.isoformat())
    page.get_by_label("生效日期").fill(today.isoformat())
    page.get_by_label("到期日期").fill((today + timedelta(days=730)).isoformat())
    page.get_by_label("共建内容").fill("每月一次助老志愿服务；每季度参加一次联席会议。")
    page.get_by_role("button", name="保存协议").click()

    # The unit page shows the live agreement.
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page).to_have_url(re.compile(r"/units/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("已记录")
    expect(page.locator(".badge.kind")).to_have_text("社会组织")
    expect(page.get_by_text("生效中", exact=True)).to_be_visible()
    expect(page.get_by_text("每月一次助老志愿服务；每季度参加一次联席会议。")).to_be_visible()
    expect(page.get_by_text("无生效协议，暂不能认领项目")).to_have_count(0)
    axe(page)

    # Back on the community page, the unit is listed and counted.
    page.get_by_role("link", name="兴旺社区").click()
    expect(page).to_have_url(re.compile(rf"/communities/{xingwang_id}$"))
    expect(stat(page, "联盟单位")).to_have_text(str(units_before + 1))
    row = page.locator("li").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_be_visible()
    expect(row).to_contain_text("社会组织")
    expect(row).to_contain_text("协议生效中")


def test_empty_unit_form_shows_errors_inline_and_creates_nothing(
    page: Page, login, axe, live_db, xingwang_id
):
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/units/new")
    with live_db() as session:
        units_before = session.scalar(sa.select(sa.func.count()).select_from(Unit))

    page.get_by_role("button", name="保存，下一步记录协议").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("添加联盟单位")
    name = page.get_by_label("单位名称")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description("此项必填。")
    kind = page.get_by_label("单位类别")
    expect(kind).to_have_attribute("aria-invalid", "true")
    expect(kind).to_have_accessible_description("此项必填。")
    expect(page.locator(".field-error")).to_have_count(2)
    axe(page)
    with live_db() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Unit)) == units_before


@pytest.fixture
def unit_with_live_agreement(live_db, xingwang_id, viewport):
    """A unit of 兴旺社区 with a live agreement, written straight to the live database."""
    today = local_today()
    with live_db() as session:
        unit = Unit(name=unit_name(viewport), kind=UnitKind.SOCIAL, description="测试用")
        session.add(unit)
        session.add(Membership(unit=unit, community_id=xingwang_id, joined_on=today))
        session.add(
            Agreement(
                unit=unit,
                community_id=xingwang_id,
                signed_on=today - timedelta(days=30),
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=335),
                scope="每月一次志愿服务",
            )
        )
        session.flush()
        return unit.id, unit.name


def test_ending_an_agreement_goes_through_the_confirmation_page(
    page: Page, login, axe, unit_with_live_agreement
):
    unit_id, name = unit_with_live_agreement
    login(page, "secretary")
    page.goto(f"/units/{unit_id}")
    expect(page.get_by_text("生效中", exact=True)).to_be_visible()

    page.get_by_role("link", name="终止协议").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("终止协议")
    expect(page.get_by_text(f"{name} · 兴旺社区")).to_be_visible()
    expect(page.get_by_label("终止日期")).to_have_value(local_today().isoformat())
    axe(page)
    page.get_by_label("终止原因").fill("单位搬迁，不再驻区")
    page.get_by_role("button", name="确认终止").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("协议已终止")
    expect(page.get_by_text("无生效协议，暂不能认领项目")).to_be_visible()
    expect(page.get_by_text("已终止", exact=True)).to_be_visible()
    expect(page.get_by_text("单位搬迁，不再驻区")).to_be_visible()
    expect(page.get_by_role("link", name="终止协议")).to_have_count(0)
