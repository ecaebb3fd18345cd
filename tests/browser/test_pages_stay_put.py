"""What a page loads after itself must not move what is already on it: a tap on its way — an
elderly volunteer's, or a test's — would land beside the link it aimed at. Seen in CI as clicks
that sent no request at all (the menu's counts reflowed the phone's menu by a row), and on 我的,
where her notices and balance arriving pushed its buttons down by hundreds of pixels."""

import re

import pytest
from playwright.sync_api import Page, expect

# Every link and button: the menu's and the page's, by its text and its place among same-named.
BOXES = """() => {
    const boxes = {};
    document.querySelectorAll("header a, header summary, main a, main button").forEach((el) => {
        const r = el.getBoundingClientRect();
        let name = el.textContent.replace(/\\d+\\s*$/, "").trim();
        while (name in boxes) name += "'";
        boxes[name] = [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
    });
    return boxes;
}"""


def _loaded_later(page: Page, path: str) -> dict:
    """Opens ``path`` with every request the page makes after itself held; returns where
    everything was then, and lets them through."""
    held = []
    page.route(
        re.compile(r".*"),
        lambda route: (
            held.append(route)
            if route.request.resource_type in ("xhr", "fetch")
            else route.continue_()
        ),
    )
    page.goto(path)
    page.wait_for_load_state()
    page.wait_for_timeout(200)  # htmx (deferred) has sent what it sends on load
    before = page.evaluate(BOXES)
    for route in held:
        route.continue_()
    page.unroute_all()  # and what they start comes straight through
    page.wait_for_load_state("networkidle")
    return before


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
@pytest.mark.parametrize("username", ["secretary", "unit", "volunteer"])
def test_the_menus_counts_arrive_without_moving_anything(page: Page, login, username):
    login(page, username)
    before = _loaded_later(page, "/")
    expect(page.locator("#nav-count-todo")).to_have_text(re.compile(r"^[1-9]\d*$"))
    assert page.evaluate(BOXES) == before


@pytest.mark.parametrize("username", ["secretary", "unit", "volunteer"])
def test_my_page_is_drawn_whole(page: Page, login, username):
    """我的 on the phone: her notices and (a volunteer's) balance come with the page."""
    login(page, username)
    before = _loaded_later(page, "/me")
    expect(page.locator("#notices-summary")).to_be_visible()
    assert page.evaluate(BOXES) == before
