"""The 公示栏 on a phone: anyone reads it without signing in, it passes axe and shows nobody's
personal data; the secretary takes a need off it with one switch."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.auth.models import User
from coop.needs.models import Need, NeedStatus
from tests.browser.pages import fits_the_phone, shot

PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)|\d{3}\*{4}\d{4}")


def test_anyone_reads_the_board_on_her_phone(page: Page, axe, xingwang_id, live_db):
    with live_db() as session:
        names = set(session.scalars(sa.select(User.display_name)))
        names |= set(
            session.scalars(sa.select(Need.requester_name).where(Need.requester_name != ""))
        )
        titles = set(session.scalars(sa.select(Need.title)))

    response = page.goto(f"/board/{xingwang_id}")

    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    expect(page.get_by_role("heading", level=1)).to_have_text("兴旺社区公示栏")
    expect(page.get_by_role("heading", name=re.compile("本月数据"))).to_be_visible()
    expect(page.get_by_text("同心共建先锋").first).to_be_visible()
    expect(page.locator("ul.board-needs > li").first).to_contain_text("收到")
    text = page.locator("body").inner_text()
    assert not PHONE.search(text)
    assert not [n for n in names if len(n) >= 2 and n in text]
    assert not [t for t in titles if t in text]
    assert response.header_value("set-cookie") is None
    fits_the_phone(page)
    axe(page)
    shot(page, "board-phone")

    page.get_by_label("办理状态").select_option(label="已解决")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"status=resolved"))
    expect(page.locator("ul.board-needs .badge.ok").first).to_have_text("已解决")
    axe(page)

    page.goto(f"/board/{xingwang_id}/print")
    expect(page.get_by_role("img", name="公示栏二维码")).to_be_visible()
    axe(page)
    shot(page, "board-print-phone")


def test_the_secretary_takes_a_need_off_the_board(page: Page, login, axe, xingwang_id, live_db):
    with live_db() as session:
        need_id = session.scalar(
            sa.select(Need.id)
            .where(
                Need.community_id == xingwang_id,
                Need.status == NeedStatus.LISTED,
                Need.public.is_(True),
            )
            .order_by(Need.id)
            .limit(1)
        )
    board = f"/api/v1/public/communities/{xingwang_id}/board?per_page=200&status=listed"

    def on_board() -> bool:
        items = page.request.get(board).json()["needs"]["items"]
        return need_id in [n["id"] for n in items]

    assert on_board()
    login(page, "secretary")
    page.goto(f"/needs/{need_id}")
    switch = page.get_by_role("region", name="公示栏")
    switch.get_by_role("button", name="从公示栏撤下").click()
    expect(switch.get_by_text("这项需求不在公示栏上展示。")).to_be_visible()
    axe(page)
    assert not on_board()

    switch.get_by_role("button", name="在公示栏展示").click()
    expect(switch.get_by_text(re.compile("以匿名方式展示在社区公示栏上"))).to_be_visible()
    assert on_board()
