"""智能匹配 end to end on a phone: the secretary reads a project's suggested units with their
reasons (opened on the card, htmx), presses 邀请认领 and the row says 已邀请 in place (htmx); the
unit's liaison finds the invitation among the newest notices on her home page and the project
under 适合本单位的项目.
On the same board she presses 忽略 on one of a listed need's suggestions: it is gone from that
need, and stays gone after a reload and after 立即重新匹配. axe checks every page.

The demo's 兴旺社区 has projects and needs of its own that the nightly matching may rank in any
order, so each test builds a small community of its own with the test factories, runs
``match_community`` on it and commits, as the other browser tests set up their data:

- 邻里单元1's needs: a project (from one need there) and a need not yet in a project, both 关心关爱;
- a unit serving 邻里单元1, with no claim in hand (its liaison is the one invited);
- a unit serving the whole community that already carries one approved claim.

Set COOP_SCREENSHOTS to a directory to keep a phone screenshot of the board.
"""

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from coop.categories import Category
from coop.dbtypes import utcnow
from coop.matching import service as matching
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import fits_the_phone, nav, shot
from tests.factories import (
    PASSWORD,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
)
from tests.matching.helpers import carry_claims, serve


@dataclass(frozen=True)
class Matched:
    """A community of its own, matched once: who signs in, and the names the pages show."""

    community_id: int
    secretary: str  # usernames
    liaison: str
    near: str  # the unit serving 邻里单元1, nothing in hand
    busy: str  # the unit serving the whole community, one claim in hand
    project: str  # titles
    need: str


@pytest.fixture
def matched(live_db) -> Matched:
    tag = uuid.uuid4().hex[:6]
    with live_db():
        community = make_community(name=f"浏览器匹配社区{tag}")
        first = community.neighbourhoods[0]  # 邻里单元1
        make_secretary(community, username=f"match-sec-{tag}", display_name="王书记")

        near = make_unit(community, name=f"浏览器测试康达物业{tag}")
        serve(near, community, [first])
        make_resource(near, community, category=Category.CARE, title="助老志愿服务队")
        make_liaison(near, username=f"match-liaison-{tag}", display_name="李联络员")

        busy = make_unit(community, name=f"浏览器测试兴业银行{tag}")
        make_resource(busy, community, category=Category.CARE, title="爱心义剪")
        make_liaison(busy, username=f"match-busy-{tag}", display_name="赵联络员")
        carry_claims(busy, community, 1)

        project = make_project(
            community,
            title=f"重阳节慰问老党员{tag}",
            needs=[make_need(community, neighbourhood_id=first.id)],
        )
        need = make_need(community, title=f"独居老人上门理发{tag}", neighbourhood_id=first.id)
        matching.match_community(community.id, now=utcnow())
        return Matched(
            community_id=community.id,
            secretary=f"match-sec-{tag}",
            liaison=f"match-liaison-{tag}",
            near=near.name,
            busy=busy.name,
            project=project.title,
            need=need.title,
        )


def target(page: Page, title: str) -> Locator:
    """A project's or need's card on the board: a region named by its title."""
    return page.get_by_role("region", name=title, exact=True)


def suggestion(card: Locator, candidate: str) -> Locator:
    """The card's row suggesting the candidate by name (a resource row names its unit after a
    "·", so it does not count)."""
    return card.locator("li.suggestion").filter(has=card.page.get_by_text(candidate, exact=True))


def open_suggestions(card: Locator) -> None:
    """Open the card's suggestions: htmx brings their reasons and buttons into the card."""
    card.get_by_role("link", name=re.compile("^查看理由并处理")).click()
    expect(card.locator("li.suggestion").first).to_be_visible()


def open_board(page: Page, axe, matched: Matched) -> None:
    nav(page, "智能匹配").click()
    expect(page).to_have_url(re.compile(rf"/communities/{matched.community_id}/matching$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("智能匹配")
    axe(page)  # also waits for the load event: htmx (deferred) is listening


def test_the_secretary_invites_a_suggested_unit_and_its_liaison_is_told(
    page: Page, new_context, login, axe, matched: Matched
):
    secretary = page
    login(secretary, matched.secretary, PASSWORD)
    open_board(secretary, axe, matched)
    expect(secretary.get_by_role("heading", name=re.compile("^待认领的项目"))).to_contain_text("1")
    project = target(secretary, matched.project)
    expect(project).to_contain_text("关心关爱")
    expect(project).to_contain_text("剩余名额 2")
    # The card names the suggested units; their reasons and buttons open in place.
    expect(project).to_contain_text(matched.near)
    expect(project.get_by_role("button")).to_have_count(0)
    secretary.evaluate("window.__sameDocument = true")  # gone if the page is reloaded
    open_suggestions(project)
    expect(project.locator("h3.suggestion-kind").first).to_be_focused()
    assert secretary.evaluate("window.__sameDocument") is True

    # Units first: the one serving the project's 邻里单元 with nothing in hand, then the busy one.
    near, busy = suggestion(project, matched.near), suggestion(project, matched.busy)
    expect(near).to_contain_text("第 1 位")
    expect(near.get_by_role("listitem").filter(has_text="服务邻里单元1")).to_have_count(1)
    expect(near.get_by_role("listitem").filter(has_text="暂无进行中的认领")).to_have_count(1)
    expect(busy).to_contain_text("第 2 位")
    expect(busy.get_by_role("listitem").filter(has_text="服务全社区")).to_have_count(1)
    expect(busy.get_by_role("listitem").filter(has_text="已有1个进行中的认领")).to_have_count(1)
    # Their resources are suggested too, for 资源点单.
    resource = project.locator("li.suggestion").filter(has_text="助老志愿服务队")
    expect(resource).to_contain_text(f"· {matched.near}")
    expect(resource.get_by_role("button", name="资源点单")).to_be_visible()
    fits_the_phone(secretary)
    shot(secretary, "matching-board")

    # --- 邀请认领: the row answers in place ------------------------------------------------------
    with secretary.expect_response(re.compile(r"/suggestions/\d+/invite$")) as answer:
        near.get_by_role("button", name="邀请认领").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(near.get_by_role("status")).to_have_text("已向该单位联络员发送认领邀请。")
    expect(near.get_by_text("已邀请", exact=True)).to_be_visible()
    expect(near.get_by_role("button")).to_have_count(0)
    expect(busy.get_by_role("button", name="邀请认领")).to_be_visible()
    assert secretary.evaluate("window.__sameDocument") is True
    axe(secretary)

    # Reloaded, the board lists only what is still open: the invited unit is no longer offered.
    secretary.reload()
    expect(project).to_contain_text(f"已邀请或点单：{matched.near}")
    open_suggestions(project)
    expect(suggestion(project, matched.busy)).to_be_visible()
    expect(suggestion(project, matched.near)).to_have_count(0)
    axe(secretary)

    # --- The liaison's home page (待办): the invitation is among the newest notices -----------
    liaison = new_context(**VIEWPORTS["phone"]).new_page()
    login(liaison, matched.liaison, PASSWORD)
    expect(liaison.get_by_role("heading", level=1)).to_contain_text("待办")
    notices = liaison.get_by_role("region", name="我的消息")
    invitation = notices.get_by_role("link", name=f"邀请认领：{matched.project}")
    expect(invitation).to_be_visible()
    # opening it marks it read and goes on to the claim page (tests/notices/test_inbox.py)
    expect(invitation).to_have_attribute("href", re.compile(r"^/my/notices/\d+/open$"))
    expect(notices.get_by_text("新", exact=True)).to_be_visible()
    axe(liaison)

    # --- 适合本单位的项目 lists the project, invited, with the reasons ---------------------------
    liaison.get_by_text("更多", exact=True).click()  # her less frequent pages, folded
    nav(liaison, "适合的项目").click()
    expect(liaison.get_by_role("heading", level=1)).to_have_text("适合本单位的项目")
    row = liaison.get_by_role("listitem").filter(
        has=liaison.get_by_role("link", name=matched.project, exact=True)
    )
    expect(row).to_have_count(1)
    expect(row.get_by_text("社区邀请认领", exact=True)).to_be_visible()
    expect(row).to_contain_text("服务邻里单元1")
    expect(row).to_contain_text("剩余名额 2")
    axe(liaison)


def test_the_secretary_dismisses_a_needs_suggestion_and_it_stays_gone(
    page: Page, login, axe, matched: Matched
):
    login(page, matched.secretary, PASSWORD)
    open_board(page, axe, matched)
    expect(page.get_by_role("heading", name=re.compile("^尚未纳入项目的需求"))).to_contain_text("1")
    need = target(page, matched.need)
    expect(need).to_contain_text("邻里单元1")
    open_suggestions(need)
    busy = suggestion(need, matched.busy)
    expect(busy).to_contain_text("已有1个进行中的认领")
    expect(suggestion(need, matched.near)).to_be_visible()
    # A need has nobody to invite yet (no project): 忽略 is its only button.
    expect(busy.get_by_role("button")).to_have_text(["忽略"])

    page.evaluate("window.__sameDocument = true")
    with page.expect_response(re.compile(r"/needs/\d+/suggestions/\d+/dismiss$")) as answer:
        busy.get_by_role("button", name="忽略").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(busy.get_by_role("status")).to_have_text("已忽略，该推荐不会再出现。")
    expect(busy.get_by_text("已忽略", exact=True)).to_be_visible()
    expect(busy.get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True
    axe(page)

    # Gone from that need's open suggestions, after a reload too; the project still has it.
    page.reload()
    need = target(page, matched.need)
    open_suggestions(need)
    open_suggestions(target(page, matched.project))
    expect(suggestion(need, matched.near)).to_be_visible()
    expect(suggestion(need, matched.busy)).to_have_count(0)
    expect(suggestion(target(page, matched.project), matched.busy)).to_be_visible()
    axe(page)

    # 立即重新匹配 recomputes the rankings; the dismissal holds.
    page.get_by_role("button", name="立即重新匹配").click()
    expect(page).to_have_url(re.compile(rf"/communities/{matched.community_id}/matching$"))
    expect(page.get_by_role("status")).to_have_text("已重新匹配：1 个项目、1 条需求。")
    need = target(page, matched.need)
    open_suggestions(need)
    open_suggestions(target(page, matched.project))
    expect(suggestion(need, matched.near)).to_be_visible()
    expect(suggestion(need, matched.busy)).to_have_count(0)
    expect(suggestion(target(page, matched.project), matched.busy)).to_be_visible()
    axe(page)
