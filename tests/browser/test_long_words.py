"""A title with no break opportunity (a pasted WeChat link) on the phone: the need's page, the
message that it was listed, the demand list and the search results all stay phone-wide."""

import uuid

from playwright.sync_api import Page, expect

from tests.browser.pages import fits_the_phone
from tests.browser.test_submit_once import BUTTON, fill_need_form


def test_a_pasted_link_in_a_title_does_not_widen_the_page(page: Page, login, xingwang_id):
    token = uuid.uuid4().hex
    title = f"参考链接https://mp.weixin.qq.com/s/{token}{token}"
    login(page, "secretary")
    fill_need_form(page, xingwang_id, title)
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status").filter(has_text="列入需求清单")).to_be_visible()
    fits_the_phone(page)
    for path in (f"/communities/{xingwang_id}/needs?q={token}", f"/search?q={token}"):
        page.goto(path)
        expect(page.locator("main").get_by_text(token[:12], exact=False).first).to_be_visible()
        fits_the_phone(page)
