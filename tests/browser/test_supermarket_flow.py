"""积分超市 end to end on a phone: a volunteer reserves an item on the shelf (the confirmation
opens in the card with htmx), the secretary types her code at the counter and hands it over, and
she sees 已领取; a volunteer cancels and sees her points back; a refused reservation says why and
changes nothing. axe checks every page.

The demo may stock a shelf of its own, so each test puts items of its own under fresh names on
兴旺社区's shelf, finds them with the shelf's search, and gives the volunteer the points it needs
through the ledger, committed, as the other browser tests set up their data. Balances are read
before and after: other tests may have spent some.

Set COOP_SCREENSHOTS to a directory to keep phone screenshots of the shelf, the redemption
page and the counter.
"""

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from coop.alliance.models import Unit
from coop.auth.models import User
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
from coop.rewards import queries
from coop.rewards.models import Redemption, RedemptionStatus, RewardItem
from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import nav, shot

REDEMPTION_URL = re.compile(r"/supermarket/redemptions/(\d+)$")
PARTNER = "康达物业公司"  # coop/demo: a 兴旺社区 alliance unit


def unique(what: str) -> str:
    return f"浏览器{what}{uuid.uuid4().hex[:6]}"


def user_id(session, username: str) -> int:
    return session.scalar(sa.select(User.id).where(User.username == username))


def move_points(session, community_id: int, volunteer_id: int, points: int) -> None:
    """Credit (or, negative, debit) her points from the community's pool, as verified hours do."""
    pool = ledger.account_for(AccountType.POOL, community_id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community_id, volunteer_id)
    ledger.post(
        key=f"browser-test:{uuid.uuid4().hex}",
        kind=PostingKind.ADJUSTMENT,
        source_type="browser-test",
        source_id=volunteer_id,
        lines=[(pool, -points), (mine, points)],
    )


@pytest.fixture
def stock_item(live_db, xingwang_id):
    """``stock_item(cost=…, **columns)``: a fresh item on 兴旺社区's shelf; returns its name and id."""

    def add(**columns) -> tuple[str, int]:
        name = unique("兑换品")
        with live_db() as session:
            item = RewardItem(
                community_id=xingwang_id,
                name=name,
                **{"cost": 30, "stock": 5, "monthly_limit": 2, **columns},
            )
            session.add(item)
            session.flush()
            return name, item.id

    return add


@pytest.fixture
def points_for(live_db, xingwang_id):
    """``points_for(username, n)``: give her n points (take them, when negative); returns her id."""

    def give(username: str, points: int) -> int:
        with live_db() as session:
            volunteer_id = user_id(session, username)
            move_points(session, xingwang_id, volunteer_id, points)
            return volunteer_id

    return give


def wallet(live_db, xingwang_id, volunteer_id) -> tuple[int, int]:
    with live_db():
        found = queries.wallet(volunteer_id, xingwang_id)
        return found.available, found.held


def open_shelf(page: Page, axe, item_name: str):
    """From the nav to the shelf, searched down to the item (htmx swaps only the list)."""
    nav(page, "积分超市").click()
    expect(page).to_have_url(re.compile(r"/supermarket$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("积分超市")
    axe(page)  # also waits for the load event: htmx (deferred) is listening
    page.evaluate("window.__sameDocument = true")  # gone if the page is reloaded
    with page.expect_response(re.compile(r"/supermarket\?.*q=")) as answer:
        page.get_by_label("搜索物品").fill(item_name)
    assert answer.value.request.headers.get("hx-request") == "true"
    card = page.locator("li.card.reward").filter(has_text=item_name)
    expect(card).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True
    return card


def reserve(page: Page, axe, item_name: str, cost: int, *, screenshot: str = "") -> int:
    """Reserve the item from its card: 兑换, then 确认兑换 in the card; returns the redemption id."""
    card = open_shelf(page, axe, item_name)
    expect(card).to_contain_text(f"{cost} 积分")
    if screenshot:
        shot(page, screenshot)
    card.get_by_role("link", name="兑换", exact=True).click()
    expect(card).to_contain_text(f"确认兑换“{item_name}”？将冻结 {cost} 积分，请在")
    axe(page)
    assert page.evaluate("window.__sameDocument") is True  # the question opened in place
    card.get_by_role("button", name="确认兑换").click()
    expect(page).to_have_url(REDEMPTION_URL)
    expect(page.get_by_role("status").filter(has_text="兑换成功")).to_be_visible()
    return int(REDEMPTION_URL.search(page.url).group(1))


def test_a_volunteer_reserves_and_the_counter_hands_it_over(
    page: Page, new_context, login, axe, live_db, xingwang_id, stock_item, points_for
):
    with live_db() as session:
        partner_id = session.scalar(sa.select(Unit.id).where(Unit.name == PARTNER))
        volunteer_name = session.scalar(
            sa.select(User.display_name).where(User.username == "volunteer")
        )
    name, item_id = stock_item(cost=30, stock=5, monthly_limit=2, supplier_unit_id=partner_id)
    volunteer_id = points_for("volunteer", 100)
    available, held = wallet(live_db, xingwang_id, volunteer_id)

    # --- The volunteer finds it on the shelf and reserves it ------------------------------------
    volunteer = page
    login(volunteer, "volunteer")
    card = open_shelf(volunteer, axe, name)
    expect(card).to_contain_text("剩余 5 件")
    expect(card).to_contain_text("每人每月限兑 2 件，本月已兑 0 件")
    expect(card).to_contain_text(f"公益合伙人：{PARTNER}")
    expect(volunteer.locator("#balance-bar")).to_contain_text(f"可用 {available} 分")
    redemption_id = reserve(volunteer, axe, name, 30, screenshot="shelf")

    expect(volunteer.get_by_role("heading", level=1)).to_have_text("兑换详情")
    expect(volunteer.locator("#balance-bar")).to_contain_text(f"可用 {available - 30} 分")
    expect(volunteer.locator("#balance-bar")).to_contain_text(f"冻结 {held + 30} 分")
    expect(volunteer.get_by_role("img", name="领取二维码")).to_be_visible()
    expect(volunteer.get_by_text(re.compile(r"^请在 .+ 前领取$"))).to_be_visible()
    shown = volunteer.locator(".pickup-big").inner_text()
    assert re.fullmatch(r"\d{4}\s\d{4}", shown), shown
    code = re.sub(r"\D", "", shown)
    axe(volunteer)
    shot(volunteer, "redemption")

    # --- The secretary types the code at the counter and hands it over --------------------------
    secretary = new_context(**VIEWPORTS["phone"]).new_page()
    login(secretary, "secretary")
    nav(secretary, "积分超市").click()
    expect(secretary).to_have_url(re.compile(r"/supermarket/counter$"))
    expect(secretary.get_by_role("heading", level=1)).to_contain_text("积分超市柜台")
    axe(secretary)
    field = secretary.get_by_label("领取码（8 位数字）")
    expect(field).to_be_focused()
    field.fill(f"{code[:4]} {code[4:]}")  # as she reads it out
    with secretary.expect_response(re.compile(r"/supermarket/counter\?")) as answer:
        secretary.get_by_role("button", name="查找").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    found = secretary.locator("#found")
    expect(found).to_contain_text(name)
    expect(found).to_contain_text(volunteer_name)
    expect(found).to_contain_text(re.compile(r"\d{3}\*{4}\d{4}"))
    expect(found).to_contain_text("待领取")
    axe(secretary)
    shot(secretary, "counter")
    secretary.get_by_role("button", name="确认发放").click()
    expect(secretary.get_by_role("status").filter(has_text="已发放")).to_contain_text(name)
    today = secretary.locator("h2:has-text('今日已发放') + ul")
    expect(today).to_contain_text(name)
    axe(secretary)

    # --- She sees it picked up, and the points spent ----------------------------------------------
    volunteer.reload()
    expect(volunteer.locator(".done")).to_contain_text("已领取")
    expect(volunteer.get_by_role("img", name="领取二维码")).to_have_count(0)
    expect(volunteer.locator("#balance-bar")).to_contain_text(f"冻结 {held} 分")
    axe(volunteer)
    assert wallet(live_db, xingwang_id, volunteer_id) == (available - 30, held)
    with live_db() as session:
        redemption = session.get(Redemption, redemption_id)
        assert redemption.status is RedemptionStatus.PICKED_UP
        assert session.get(RewardItem, item_id).stock == 4


def test_a_volunteer_cancels_and_gets_her_points_back(
    page: Page, login, axe, live_db, xingwang_id, stock_item, points_for
):
    name, item_id = stock_item(cost=25, stock=2)
    volunteer_id = points_for("xw002", 60)
    available, held = wallet(live_db, xingwang_id, volunteer_id)
    login(page, "xw002")
    redemption_id = reserve(page, axe, name, 25)
    expect(page.locator("#balance-bar")).to_contain_text(f"可用 {available - 25} 分")

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="取消兑换").click()
    panel = page.locator("#cancel-panel")
    expect(panel).to_contain_text("冻结的 25 积分会退回您的可用积分")
    assert page.evaluate("window.__sameDocument") is True  # asked in place
    axe(page)
    panel.get_by_role("button", name="确认取消兑换").click()

    expect(page).to_have_url(re.compile(rf"/supermarket/redemptions/{redemption_id}$"))
    expect(page.get_by_role("status").filter(has_text="已取消兑换")).to_contain_text(
        "25 积分已退回您的可用积分"
    )
    expect(page.locator(".points-back")).to_have_text("25 积分已退回可用积分。")
    expect(page.locator("#balance-bar")).to_contain_text(f"可用 {available} 分")
    expect(page.locator("#balance-bar")).to_contain_text(f"冻结 {held} 分")
    expect(page.get_by_role("link", name="取消兑换")).to_have_count(0)
    axe(page)

    page.get_by_role("link", name="我的兑换", exact=True).click()
    row = page.locator("ul.redemptions li").filter(has_text=name)
    expect(row).to_contain_text("已取消")
    axe(page)
    with live_db() as session:
        assert session.get(RewardItem, item_id).stock == 2


def test_a_refused_reservation_says_why_and_changes_nothing(
    page: Page, login, axe, live_db, xingwang_id, stock_item, points_for
):
    volunteer_id = points_for("xw003", 40)
    available, held = wallet(live_db, xingwang_id, volunteer_id)
    dear, _ = stock_item(cost=available + 500)
    name, item_id = stock_item(cost=available, stock=3)
    login(page, "xw003")

    # What she cannot afford is greyed, with how many points she is short.
    card = open_shelf(page, axe, dear)
    expect(card.get_by_role("button", name="兑换")).to_be_disabled()
    expect(card).to_contain_text("还差 500 分")

    # She opens the question for one she can afford; meanwhile her points are spent elsewhere.
    card = open_shelf(page, axe, name)
    card.get_by_role("link", name="兑换", exact=True).click()
    expect(card.get_by_role("button", name="确认兑换")).to_be_visible()
    points_for("xw003", -10)
    card.get_by_role("button", name="确认兑换").click()

    expect(page.get_by_role("alert")).to_have_text(
        f"积分不足：兑换需要 {available} 分，您的可用积分为 {available - 10} 分。"
    )
    expect(page).not_to_have_url(REDEMPTION_URL)
    axe(page)
    assert wallet(live_db, xingwang_id, volunteer_id) == (available - 10, held)
    with live_db() as session:
        assert session.get(RewardItem, item_id).stock == 3
        mine = sa.select(sa.func.count()).where(
            Redemption.item_id == item_id, Redemption.volunteer_id == volunteer_id
        )
        assert session.scalar(mine) == 0
    points_for("xw003", 10)
