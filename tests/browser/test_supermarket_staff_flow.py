"""积分超市管理员 on a phone: the secretary finds one of her people by typing part of the name
(htmx refills the list, no reload), picks her and makes her staff; the new staff member then
drops out of the list. axe checks the page before and after."""

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_community, make_secretary, make_volunteer


@dataclass(frozen=True)
class Staffing:
    community_id: int
    secretary: str  # username
    wanted: str  # the display name she will make staff
    namesake: str  # another volunteer whose name shares the typed part


@pytest.fixture
def staffing(live_db) -> Staffing:
    tag = uuid.uuid4().hex[:6]
    with live_db():
        community = make_community(name=f"浏览器超市社区{tag}")
        secretary = make_secretary(community, username=f"staff-sec-{tag}")
        wanted = make_volunteer(community, display_name=f"林晓燕{tag}")
        namesake = make_volunteer(community, display_name=f"周晓燕{tag}")
        make_volunteer(community, display_name=f"王大明{tag}")
        return Staffing(
            community.id, secretary.username, wanted.display_name, namesake.display_name
        )


def test_the_secretary_finds_a_person_by_name_and_makes_her_staff(page: Page, login, axe, staffing):
    login(page, staffing.secretary, PASSWORD)
    page.goto(f"/communities/{staffing.community_id}/supermarket/staff")
    expect(page.get_by_role("heading", level=1)).to_contain_text("积分超市管理员")
    axe(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page is reloaded
    people = page.get_by_label("选择本社区的人员")

    with page.expect_response(re.compile(r"/supermarket/staff/people\?q=")) as answer:
        page.get_by_label("按姓名查找本社区人员").fill("晓燕")
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(people.locator("option")).to_have_count(3)  # the prompt and the two 晓燕
    expect(people).to_contain_text(staffing.namesake)
    expect(people).not_to_contain_text("王大明")
    assert page.evaluate("window.__sameDocument") is True

    people.select_option(label=f"{staffing.wanted}（志愿者）")
    page.get_by_role("button", name="设为管理员").click()

    expect(page.get_by_role("status").filter(has_text="现在是积分超市管理员")).to_contain_text(
        staffing.wanted
    )
    expect(page.locator("ul.rows")).to_contain_text(staffing.wanted)
    expect(people).not_to_contain_text(staffing.wanted)  # already staff: not offered again
    axe(page)
