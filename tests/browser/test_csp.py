"""The Content-Security-Policy in a real browser: every role walks its pages and chromium refuses
nothing (no inline script, handler, style or eval left anywhere), htmx still loads fragments and
posts forms, and the policy does refuse what it should.

Chromium reports each refusal on the console ("Refused to … because it violates the following
Content Security Policy directive …"); an init script, which the policy does not cover, also
logs every ``securitypolicyviolation`` event, so a refusal is caught either way.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import fits_the_phone, nav, shot

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""
# Detail pages worth a visit when a walked page links to one (the first link found of each).
DETAILS = (
    r"/communities/\d+$",
    r"/projects/\d+$",
    r"/activities/\d+$",
    r"/needs/\d+$",
    r"/units/\d+$",
    r"/resources/\d+$",
    r"/communities/\d+/themes$",
    r"/communities/\d+/honours$",
    r"/honours/\d+$",
    r"/teams/\d+$",
    r"/communities/\d+/claims$",
    r"/communities/\d+/supermarket/items$",
    r"/supermarket/items/\d+/edit$",
    r"/supermarket/redemptions(/\d+)?$",
)
ROLES = ("street", "secretary", "unit", "volunteer", "resident")


class Watch:
    """What chromium said about the policy, and any script error, since the watch began."""

    def __init__(self, page: Page):
        self.messages: list[str] = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            self.messages.append(f"{message.page.url if message.page else '?'}: {text}")

    def assert_quiet(self) -> None:
        assert not self.messages, "the policy refused something:\n" + "\n".join(self.messages)


def settle(page: Page) -> None:
    """The page and the fragments it loads (hx-trigger="load") have all arrived."""
    page.wait_for_load_state("networkidle")


def links_in_main(page: Page) -> list[str]:
    # An SVG link's href (the charts' bars) is an SVGAnimatedString: resolve its baseVal.
    hrefs = page.eval_on_selector_all(
        "main a[href]",
        "els => els.map(a => typeof a.href === 'string' ? a.href"
        " : new URL(a.href.baseVal, document.baseURI).href)",
    )
    here = urlsplit(page.url)
    return [h for h in hrefs if urlsplit(h).netloc == here.netloc]


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_pages_run_under_the_policy_with_nothing_refused(page: Page, login, role):
    watch = Watch(page)
    login(page, role)
    settle(page)
    menu = page.get_by_role("navigation", name="主导航").get_by_role("link")
    places = [link.get_attribute("href") for link in menu.all()]
    assert len(places) >= 3, places

    seen: list[str] = []
    for place in places:
        page.goto(place)
        settle(page)
        fits_the_phone(page)
        seen.extend(links_in_main(page))
    details = []
    for pattern in DETAILS:
        found = next((u for u in seen if re.search(pattern, urlsplit(u).path)), None)
        if found:
            details.append(found)
            page.goto(found)
            settle(page)
    shot(page, f"csp-{role}")

    assert details or role == "resident", f"{role}: no detail page linked from {places}"
    # htmx ran, and ran without injecting its indicator <style> (the CSP would refuse it).
    assert page.evaluate("() => typeof window.htmx === 'object' && htmx.config.allowEval === false")
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    watch.assert_quiet()


def test_htmx_loads_a_fragment_under_the_policy(page: Page, login):
    watch = Watch(page)
    login(page, "volunteer")

    with page.expect_response(re.compile(r"/todo/badge$")) as answer:
        nav(page, "我的").click()

    assert answer.value.request.headers.get("hx-request") == "true"
    # swapped in: the menu's count now listens for changes instead of loading
    expect(page.locator("#nav-count-todo")).to_have_attribute(
        "hx-trigger", re.compile("claims-changed")
    )
    watch.assert_quiet()


def test_htmx_posts_a_form_under_the_policy(page: Page, login, xingwang_id):
    watch = Watch(page)
    login(page, "secretary")
    page.goto(f"/communities/{xingwang_id}/themes")
    settle(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    month = page.locator("form#month-5")
    title = month.get_by_label("主题名称").input_value()

    with page.expect_response(re.compile(r"/themes/5$")) as answer:
        month.get_by_role("button", name="保存").click()

    request = answer.value.request
    assert request.headers.get("hx-request") == "true"
    assert request.headers.get("x-csrftoken")  # coop.js still adds the token
    assert answer.value.status == 200
    expect(page.locator("form#month-5").get_by_role("status")).to_have_text("已保存")
    expect(page.locator("form#month-5").get_by_label("主题名称")).to_have_value(title)
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "csp-themes-saved")
    watch.assert_quiet()


def test_the_policy_refuses_an_injected_inline_script_and_style(page: Page, login):
    """The check above can fail: what an attacker would inject is refused, and reported."""
    watch = Watch(page)
    login(page, "volunteer")
    settle(page)

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
          const styled = document.createElement("div");
          styled.setAttribute("style", "color: rgb(1, 2, 3)");
          styled.id = "styled";
          document.body.append(styled);
          const link = document.createElement("a");
          link.setAttribute("onclick", "window.__clicked = true");
          link.id = "handler";
          link.textContent = "x";
          document.body.append(link);
          link.click();
        }"""
    )

    assert page.evaluate("() => window.__injected") is None
    assert page.evaluate("() => window.__clicked") is None
    color = page.evaluate("() => getComputedStyle(document.getElementById('styled')).color")
    assert color != "rgb(1, 2, 3)"
    for _ in range(20):  # console events reach Python asynchronously
        refused = " ".join(watch.messages)
        if all(d in refused for d in ("script-src-elem", "script-src-attr", "style-src-attr")):
            break
        page.wait_for_timeout(100)
    assert "script-src-elem" in refused, watch.messages
    assert "script-src-attr" in refused, watch.messages
    assert "style-src-attr" in refused, watch.messages
