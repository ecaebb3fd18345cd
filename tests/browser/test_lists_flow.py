"""三步走 end to end in a real browser: a resident's need from her phone, listed and compiled into a
project by the secretary, claimed by a unit's liaison on the menu (htmx, no reload), approved in the
claim queue; and a rejected need's reason, as the resident reads it. axe checks every page.

Each person has a browser context of her own, so their cookies never mix. Everything the tests
look for they create themselves under a fresh name: the demo's own lists may change.
"""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from coop.timeutil import local_today
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import nav

PROJECT_URL = re.compile(r"/projects/(\d+)$")
NEED_URL = re.compile(r"/needs/(\d+)$")


def unique(what: str, viewport: str) -> str:
    return f"浏览器{what}-{viewport}-{uuid.uuid4().hex[:8]}"


def my_need_row(page: Page, title: str):
    """The need's <li> in 我的需求."""
    return page.locator("li").filter(has=page.get_by_role("link", name=title, exact=True))


def submit_need(page: Page, axe, title: str) -> None:
    """The signed-in resident submits a need from 我的需求 and is brought back there."""
    nav(page, "我的需求").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的需求")
    axe(page)
    page.get_by_role("link", name="我要提需求").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我要提需求")
    axe(page)
    page.get_by_label("需要什么帮助？").fill(title)
    page.get_by_label("说得再详细些（可不填）").fill("3号楼2单元楼道灯不亮，晚上上下楼看不清。")
    page.get_by_role("radio", name="便民服务").check()
    page.get_by_role("radio", name="较急").check()
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("我的需求")
    expect(page.get_by_role("status")).to_contain_text("已提交")
    row = my_need_row(page, title)
    expect(row.locator('[aria-current="step"]')).to_have_text("待审核")
    axe(page)


def open_submitted_need(page: Page, axe, title: str) -> None:
    """The signed-in secretary finds the need in her list by searching, and opens it."""
    nav(page, "需求清单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务需求清单")
    axe(page)  # also waits for the load event: htmx (deferred) is listening to the search box
    page.get_by_label("搜索标题、内容或求助人").fill(title)
    expect(page).to_have_url(re.compile(r"/needs\?.*q="))
    rows = page.locator("#need-rows ul.rows > li")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("待审核")
    expect(rows).to_contain_text("居民线上提交")
    axe(page)
    rows.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_url(NEED_URL)
    axe(page)


def local_input(days: int, hour: int, minute: int = 0) -> str:
    """A datetime-local value, Beijing time, ``days`` from today."""
    return f"{(local_today() + timedelta(days=days)).isoformat()}T{hour:02d}:{minute:02d}"


def badge_count(page: Page) -> int:
    return int(page.locator("#claims-badge .count").inner_text())


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_a_residents_need_becomes_a_project_a_unit_claims(
    page: Page, new_context, viewport, login, axe, xingwang_id
):
    need_title = unique("需求", viewport)
    project_title = unique("项目", viewport)

    # --- The resident submits a need from her phone ----------------------------------------
    resident = page
    login(resident, "resident")
    submit_need(resident, axe, need_title)

    # --- The secretary finds it, lists it, compiles and publishes a project ------------------
    secretary = new_context(**VIEWPORTS[viewport]).new_page()
    login(secretary, "secretary")
    open_submitted_need(secretary, axe, need_title)
    expect(secretary.get_by_text("待审核", exact=True)).to_be_visible()
    secretary.get_by_role("button", name="列入清单").click()
    expect(secretary.get_by_role("status")).to_contain_text("已列入需求清单")
    expect(secretary.get_by_text("已列入清单", exact=True)).to_be_visible()
    expect(secretary.get_by_role("button", name="列入清单")).to_have_count(0)
    axe(secretary)

    nav(secretary, "项目清单").click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("服务项目清单")
    axe(secretary)
    secretary.get_by_role("link", name="从需求生成项目").click()
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("从需求生成项目")
    axe(secretary)
    secretary.get_by_role("checkbox", name=re.compile(re.escape(need_title))).check()
    secretary.get_by_label("项目名称").fill(project_title)
    secretary.get_by_label("项目内容").fill("物业维修班组更换楼道灯，社区志愿者协助通知住户。")
    secretary.get_by_label("项目类别").select_option(label="便民服务")
    secretary.get_by_role("radio", name="组团式").check()
    secretary.get_by_label("认领名额").fill("2")
    secretary.get_by_label("服务时间安排").fill("周六上午 9:00–11:30")
    # The claim deadline comes before the start; both in the future, in Beijing time.
    secretary.get_by_label("开始时间").fill(local_input(7, 9))
    secretary.get_by_label("结束时间").fill(local_input(7, 11, 30))
    secretary.get_by_label("认领截止时间").fill(local_input(5, 18))
    expect(secretary.get_by_label("认领后自动通过")).not_to_be_checked()
    secretary.get_by_role("button", name="保存为草稿").click()

    expect(secretary.get_by_role("heading", level=1)).to_have_text(project_title)
    expect(secretary).to_have_url(PROJECT_URL)
    project_id = int(PROJECT_URL.search(secretary.url).group(1))
    expect(secretary.get_by_role("status")).to_contain_text("已生成项目草稿")
    summary = secretary.locator("#project-summary")
    expect(summary.get_by_text("草稿", exact=True)).to_be_visible()
    expect(summary.get_by_text("组团式", exact=True)).to_be_visible()
    expect(summary).to_contain_text("0/2")
    expect(summary).to_contain_text(f"{(local_today() + timedelta(days=7)).isoformat()} 09:00")
    sources = secretary.locator("ul.rows > li").filter(
        has=secretary.get_by_role("link", name=need_title, exact=True)
    )
    expect(sources).to_contain_text("已纳入项目")
    axe(secretary)
    secretary.get_by_role("button", name="发布", exact=True).click()
    expect(secretary.get_by_role("status")).to_contain_text("项目已发布到项目菜单")
    expect(summary.get_by_text("认领中", exact=True)).to_be_visible()
    axe(secretary)

    # --- The unit's liaison claims it on the menu, without leaving the page -----------------
    liaison = new_context(**VIEWPORTS[viewport]).new_page()
    login(liaison, "unit")
    nav(liaison, "项目菜单").click()
    expect(liaison.get_by_role("heading", level=1)).to_contain_text("项目菜单")
    # The first view shows a few cards of each category; the category shows all of hers.
    categories = liaison.get_by_role("navigation", name="项目类别")
    categories.get_by_role("link", name=re.compile("^便民服务")).click()
    expect(liaison).to_have_url(re.compile(r"/menu\?category="))
    expect(categories.get_by_role("link", name=re.compile("^便民服务"))).to_have_attribute(
        "aria-current", "page"
    )
    card = liaison.locator(f"#project-{project_id}")
    expect(card.get_by_role("link", name=project_title, exact=True)).to_be_visible()
    expect(card).to_contain_text("剩余名额 2/2")
    axe(liaison)  # also waits for the load event: htmx (deferred) is listening
    claims_before = badge_count(liaison)
    liaison.evaluate("window.__sameDocument = true")  # gone if the page is reloaded

    card.get_by_role("link", name="认领", exact=True).click()  # htmx brings the claim form
    expect(card).to_contain_text("以“康达物业公司”的名义认领。")
    expect(card.get_by_text("认领", exact=True)).to_be_focused()  # the form's <summary>
    card.get_by_label("留言（可不填）").fill("维修班组周六上午可到场。")
    with liaison.expect_response(re.compile(rf"/projects/{project_id}/claim$")) as answer:
        card.get_by_role("button", name="确认认领").click()

    assert answer.value.request.headers.get("hx-request") == "true"
    panel = liaison.locator(f"#claim-panel-{project_id}")
    expect(panel.get_by_role("status")).to_contain_text("已提交认领，等待社区审核。")
    expect(panel.get_by_role("status")).to_contain_text("康达物业公司")
    expect(panel.get_by_text("待审核", exact=True)).to_be_visible()
    expect(panel.get_by_role("button", name="确认认领")).to_have_count(0)
    expect(liaison.locator("#claims-badge .count")).to_have_text(str(claims_before + 1))
    assert liaison.evaluate("window.__sameDocument") is True
    expect(liaison).to_have_url(re.compile(rf"/communities/{xingwang_id}/menu\?category="))
    axe(liaison)

    # --- The secretary approves it in the claim queue ---------------------------------------
    nav(secretary, "社区").click()
    expect(secretary).to_have_url(re.compile(rf"/communities/{xingwang_id}$"))
    secretary.get_by_role("link", name=re.compile("待审核认领")).click()  # loaded by htmx
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("认领审核")
    claim_row = secretary.locator("li").filter(
        has=secretary.get_by_role("link", name=project_title, exact=True)
    )
    expect(claim_row).to_have_count(1)
    expect(claim_row).to_contain_text("康达物业公司")
    expect(claim_row).to_contain_text("留言：维修班组周六上午可到场。")
    expect(claim_row.get_by_text("待审核", exact=True)).to_be_visible()
    axe(secretary)
    claim_row.get_by_role("button", name="通过", exact=True).click()
    expect(claim_row.get_by_text("已认领", exact=True)).to_be_visible()
    expect(claim_row).to_contain_text("名额 1/2")
    expect(claim_row.get_by_role("button", name="通过", exact=True)).to_have_count(0)
    axe(secretary)

    # --- The liaison's 我的认领 and the resident's 我的需求 say where things stand ----------
    nav(liaison, "我的认领").click()
    expect(liaison.get_by_role("heading", level=1)).to_have_text("我的认领")
    mine = liaison.locator("li").filter(
        has=liaison.get_by_role("link", name=project_title, exact=True)
    )
    expect(mine.get_by_text("已认领", exact=True)).to_be_visible()
    expect(mine).to_contain_text("康达物业公司")
    expect(liaison.locator("#claims-badge .count")).to_have_text(str(claims_before + 1))
    axe(liaison)

    nav(resident, "我的需求").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("我的需求")
    expect(my_need_row(resident, need_title).locator('[aria-current="step"]')).to_have_text(
        "已纳入项目"
    )
    axe(resident)


def test_a_rejected_need_shows_its_reason_to_the_resident(
    page: Page, new_context, viewport, login, axe
):
    title = unique("需求", viewport)
    reason = f"该楼栋属于商业楼宇，不在本社区服务范围内，请联系物业。{uuid.uuid4().hex[:4]}"

    resident = page
    login(resident, "resident")
    submit_need(resident, axe, title)

    secretary = new_context(**VIEWPORTS[viewport]).new_page()
    login(secretary, "secretary")
    open_submitted_need(secretary, axe, title)
    secretary.get_by_role("link", name="不予受理").click()
    expect(secretary.get_by_role("heading", level=1)).to_have_text("不予受理")
    expect(secretary.get_by_text(title, exact=True)).to_be_visible()
    axe(secretary)
    secretary.get_by_label("不予受理的原因").fill(reason)
    secretary.get_by_role("button", name="确认不予受理").click()
    expect(secretary.get_by_role("heading", level=1)).to_have_text(title)
    expect(secretary.get_by_role("status")).to_contain_text("已不予受理")
    expect(secretary.get_by_text("未受理", exact=True)).to_be_visible()

    nav(resident, "我的需求").click()
    row = my_need_row(resident, title)
    expect(row).to_contain_text(f"社区未受理：{reason}")
    expect(row.get_by_role("list", name="进展")).to_have_count(0)
    axe(resident)
    row.get_by_role("link", name=title, exact=True).click()
    expect(resident.get_by_role("heading", level=1)).to_have_text(title)
    expect(resident.get_by_text("未受理", exact=True)).to_be_visible()
    reason_term = resident.locator("dt", has_text="不予受理的原因")
    expect(reason_term.locator("xpath=following-sibling::dd[1]")).to_have_text(reason)
    axe(resident)
