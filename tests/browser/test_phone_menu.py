"""The menu on a phone: the bar keeps each role's everyday pages, two rows of a 390 px screen
(it was four for a volunteer, a third of the screen before anything of the page); the rest
are at the top of 更多, so every page of the desk's menu is still one or two taps away."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORTS


def menu_links(page: Page) -> list[str]:
    """The visible links of the main menu, by name (counts left out)."""
    names = page.locator("header nav a:visible").all_inner_texts()
    return [re.sub(r"[\s\d]+$", "", name).strip() for name in names]


@pytest.mark.parametrize(
    "user, on_the_bar, folded",
    [
        (
            "volunteer",
            ["待办", "项目菜单", "活动", "积分超市", "消息", "我的"],
            ["社区", "我的活动", "我的积分"],
        ),
        ("secretary", ["待办", "需求清单", "活动", "时长核实", "消息", "我的"], ["认领审核"]),
        ("unit", ["待办", "项目菜单", "我的认领", "消息", "我的"], ["我的单位", "点单"]),
    ],
)
def test_the_phones_bar_keeps_the_everyday_pages_and_folds_the_rest_under_more(
    page: Page, new_context, login, user, on_the_bar, folded
):
    login(page, user)
    page.goto("/")
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 180, header  # brand and two rows of links
    bar = menu_links(page)
    assert all(name in bar for name in on_the_bar), bar
    assert not any(name in bar for name in folded), bar

    page.get_by_text("更多", exact=True).click()
    opened = menu_links(page)
    assert all(name in opened for name in folded), opened
    page.get_by_role("link", name=folded[0], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    desk = new_context(**VIEWPORTS["desktop"]).new_page()
    login(desk, user)
    desk.goto("/")
    on_the_desk = menu_links(desk)
    assert all(name in on_the_desk for name in on_the_bar + folded), on_the_desk
