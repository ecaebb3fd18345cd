"""The menu's counts (待办, 消息) come with htmx after the page is drawn. Their arrival must not
move anything: a tap already on its way — an elderly volunteer's, or a test's — would land beside
the link it aimed at. Seen in CI as a click that sent no request at all."""

import re

import pytest
from playwright.sync_api import Page, expect

BADGE = "**/todo/badge*"


def _boxes(page: Page) -> dict[str, dict]:
    """Where each menu link is, and where the page's body starts (its length is the page's)."""
    return page.evaluate(
        """() => {
            const at = (el) => {
                const r = el.getBoundingClientRect();
                return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
            };
            const main = document.querySelector("main").getBoundingClientRect();
            const boxes = {main: [Math.round(main.x), Math.round(main.y)]};
            document.querySelectorAll('nav[aria-label="主导航"] a, nav[aria-label="主导航"] summary')
                .forEach((el) => { boxes[el.textContent.replace(/\\d+\\s*$/, "").trim()] = at(el); });
            return boxes;
        }"""
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
@pytest.mark.parametrize("username", ["secretary", "unit", "volunteer"])
def test_the_menus_counts_arrive_without_moving_anything(page: Page, login, username):
    login(page, username)
    held = []
    page.route(BADGE, lambda route: held.append(route))  # answered once the page is measured
    with page.expect_request(lambda request: "/todo/badge" in request.url):
        page.goto("/")
    page.wait_for_load_state()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    before = _boxes(page)

    held[0].continue_()
    expect(page.locator("#nav-count-todo")).to_have_text(re.compile(r"^[1-9]\d*$"))
    assert _boxes(page) == before
