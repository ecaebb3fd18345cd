"""The dashboards on a phone: the secretary follows a chart's figure to the list behind it, which
holds exactly that many rows; the street admin sorts her communities' comparison. Chromium
refuses nothing under the CSP (the charts are inline SVG with presentation attributes only)."""

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import fits_the_phone, nav, shot

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective}`);
});
"""


def _watch(page: Page) -> list[str]:
    messages: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda m: (
            messages.append(m.text)
            if "Content Security Policy" in m.text or "CSP violation" in m.text
            else None
        ),
    )
    return messages


def test_the_secretary_follows_a_charts_figure_to_its_list(page: Page, login, axe):
    messages = _watch(page)
    login(page, "secretary")
    nav(page, "社区").click()

    charts = page.locator("figure.chart-figure")
    expect(charts.first.locator("svg.chart")).to_be_visible()
    assert charts.count() == 6
    fits_the_phone(page)
    axe(page)
    shot(page, "dashboard-phone")
    # The first bar of the "needs registered" chart that is worth a list page of its own.
    bars = charts.first.locator("svg a")
    assert bars.count() > 0
    figure = int(re.search(r": (\d+)$", bars.first.get_attribute("aria-label")).group(1))
    bars.first.click()

    expect(page).to_have_url(re.compile(r"/needs\?category=.+&created_in=\d{4}-\d{2}"))
    expect(page.get_by_text(f"共 {figure} 条")).to_be_visible()
    assert page.locator("ul.rows > li").count() == min(figure, 20)
    shot(page, "dashboard-figure-list-phone")

    # The same figures in the table behind the chart, each a link too.
    page.go_back()
    table = charts.nth(2)  # activities held
    table.get_by_text("查看数据表").click()
    expect(table.locator("table")).to_be_visible()
    fits_the_phone(page)
    shot(page, "dashboard-table-phone")
    assert messages == []


def test_the_street_admin_sorts_her_communities(page: Page, login, axe):
    messages = _watch(page)
    login(page, "street")
    nav(page, "社区对比").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("社区对比")
    expect(page.locator("svg.chart")).to_be_visible()
    page.get_by_role("link", name="新登记需求", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-needs_in"))
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("新登记需求")
    figures = [
        int(t)
        for t in page.locator("table.comparison tbody tr td:nth-of-type(1)").all_inner_texts()
    ]
    assert figures == sorted(figures, reverse=True)
    page.get_by_label("期间").select_option(index=12)  # this year
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"period=\d{4}&sort=-needs_in"))
    fits_the_phone(page)
    axe(page)
    shot(page, "comparison-phone")
    assert messages == []
