"""积分超市 pages: the shelf, reserving, her redemptions, and the counter."""

from datetime import timedelta

import pytest

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.rewards import queries, service
from coop.rewards.models import RedemptionStatus
from tests.factories import (
    csrf,
    give_points,
    login,
    make_community,
    make_resident,
    make_reward_item,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}
SHELF = "/supermarket"


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def volunteer(community):
    """A volunteer with 100 points."""
    volunteer = make_volunteer(community, display_name="王秀英", phone="13812345678")
    give_points(volunteer, community, 100)
    return volunteer


@pytest.fixture
def staff(community):
    return make_supermarket_staff(community, display_name="赵店长")


def _wallet(volunteer, community):
    w = queries.wallet(volunteer.id, community.id)
    return w.available, w.held


def _reserved(volunteer, item):
    return service.reserve(volunteer, item.id, now=utcnow())


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- The shelf ------------------------------------------------------------------------------


def test_the_shelf_shows_balance_items_and_why_she_cannot(client, community, volunteer):
    partner = make_unit(community, name="康达物业公司")
    make_reward_item(
        community, name="洗衣液", cost=40, stock=6, monthly_limit=2, supplier_unit_id=partner.id
    )
    make_reward_item(community, name="电饭煲", cost=300)
    make_reward_item(community, name="毛巾", cost=10, stock=0)
    limited = make_reward_item(community, name="香皂", cost=5, monthly_limit=1)
    _reserved(volunteer, limited)
    login(client, volunteer)
    html = _text(client.get(SHELF))
    assert "可用 <strong>95</strong> 分" in html and "冻结 5 分" in html and "我的兑换" in html
    assert "洗衣液" in html and "<strong>40</strong> 积分" in html and "剩余 6 件" in html
    assert "每人每月限兑 2 件，本月已兑 0 件" in html
    assert "公益合伙人：康达物业公司" in html
    assert "还差 205 分" in html and "已兑完" in html and "本月已兑满" in html
    assert html.count('class="button wide" href="/supermarket/items/') == 1  # only the 洗衣液


def test_the_shelf_fragment_is_the_list_only(client, community, volunteer):
    make_reward_item(community, name="洗衣液")
    make_reward_item(community, name="电饭煲")
    login(client, volunteer)
    html = _text(client.get(SHELF, query_string={"q": "洗衣"}, headers=HTMX))
    assert "<html" not in html and "洗衣液" in html and "电饭煲" not in html
    assert "可用" not in html  # the balance bar stays where it is


def test_an_empty_shelf_says_what_it_is(client, community, volunteer):
    login(client, volunteer)
    html = _text(client.get(SHELF))
    assert "积分超市是社区为志愿者准备的小货架" in html and "核实后就会计入积分" in html


def test_the_shelf_paginates(client, community, volunteer):
    for n in range(3):
        make_reward_item(community, name=f"物品{n}", cost=10 + n)
    login(client, volunteer)
    html = _text(client.get(SHELF, query_string={"per_page": 2}))
    assert "物品0" in html and "物品2" not in html and "第 1 / 2 页" in html
    assert f"community_id={community.id}&amp;per_page=2&amp;page=2" in html
    html = _text(client.get(SHELF, query_string={"per_page": 2, "page": 2}))
    assert "物品2" in html and "物品0" not in html


def test_the_shelf_queries_do_not_grow_with_items(client, community, volunteer, count_queries):
    partner = make_unit(community)
    login(client, volunteer)

    def fill(n):
        for _ in range(n):
            item = make_reward_item(community, monthly_limit=3, supplier_unit_id=partner.id)
            _reserved(volunteer, make_reward_item(community, cost=1))
            make_reward_item(community, cost=1000)
            assert item

    fill(2)
    with count_queries() as few:
        assert client.get(SHELF).status_code == 200
    fill(5)
    with count_queries() as many:
        client.get(SHELF)
    assert many.n == few.n


def test_another_communitys_shelf_is_not_found(client, community, volunteer):
    login(client, volunteer)
    other = make_community()
    assert client.get(SHELF, query_string={"community_id": other.id}).status_code == 404


# --- Reserving ------------------------------------------------------------------------------


def test_reserving_asks_first_in_place(client, community, volunteer):
    community.pickup_days = 7
    item = make_reward_item(community, name="洗衣液", cost=40)
    login(client, volunteer)
    html = _text(client.get(f"/supermarket/items/{item.id}/reserve", headers=HTMX))
    assert "<html" not in html
    assert "确认兑换“洗衣液”？将冻结 40 积分，请在 7 天内到社区积分超市领取。" in html
    page = _text(client.get(f"/supermarket/items/{item.id}/reserve"))
    assert "<html" in page and "确认兑换“洗衣液”" in page


def test_confirming_reserves_and_lands_on_the_redemption(client, community, volunteer):
    item = make_reward_item(community, name="洗衣液", cost=40, stock=3)
    login(client, volunteer)
    path = f"/supermarket/items/{item.id}/reserve"
    response = client.post(path, data={"csrf_token": csrf(client, path)})
    redemption = db.session.scalars(queries.redemptions_select(volunteer, mine=True)).one()
    assert response.location == f"/supermarket/redemptions/{redemption.id}"
    html = _text(client.get(response.location))
    code = redemption.code
    assert f"{code[:4]}&nbsp;{code[4:]}" in html and "<svg" in html and "请在" in html
    assert "可用 <strong>60</strong> 分" in html and "冻结 40 分" in html
    assert _wallet(volunteer, community) == (60, 40) and item.stock == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cost": 500}, "积分不足：兑换需要 500 分，您的可用积分为 100 分。"),
        ({"stock": 0}, "这件物品已经兑完了"),
        ({"monthly_limit": 1}, "这件物品每人每月限兑 1 件，本月您已兑满。"),
    ],
    ids=["insufficient_points", "out_of_stock", "limit_reached"],
)
def test_a_refused_reservation_says_why_and_changes_nothing(
    client, community, volunteer, overrides, message
):
    item = make_reward_item(community, cost=overrides.get("cost", 10), stock=5)
    if "monthly_limit" in overrides:
        item.monthly_limit = 1
        _reserved(volunteer, item)
    if "stock" in overrides:
        item.stock = 0
    before = (_wallet(volunteer, community), item.stock)
    login(client, volunteer)
    path = f"/supermarket/items/{item.id}/reserve"
    token = csrf(client, SHELF)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 409 and message in _text(response)
    db.session.refresh(item)
    assert (_wallet(volunteer, community), item.stock) == before
    fragment = client.post(path, data={"csrf_token": token}, headers=HTMX)
    assert fragment.status_code == 409 and message in _text(fragment)
    assert "<html" not in _text(fragment)


@pytest.mark.parametrize("who", ["resident", "staff", "other_volunteer"])
def test_only_her_communitys_volunteers_reserve(client, community, who):
    item = make_reward_item(community)
    user = {
        "resident": lambda: make_resident(community),
        "staff": lambda: make_supermarket_staff(community),
        "other_volunteer": lambda: make_volunteer(make_community()),
    }[who]()
    login(client, user)
    expected = 404 if who == "other_volunteer" else 403
    assert client.get(f"/supermarket/items/{item.id}/reserve").status_code == expected


def test_reserving_needs_the_csrf_token(client, community, volunteer):
    item = make_reward_item(community)
    login(client, volunteer)
    response = client.post(f"/supermarket/items/{item.id}/reserve")
    assert response.status_code in (302, 400)
    assert _wallet(volunteer, community) == (100, 0)


# --- Her redemptions ------------------------------------------------------------------------


def test_her_redemptions_newest_first_with_codes(client, community, volunteer):
    first = _reserved(volunteer, make_reward_item(community, name="洗衣液", cost=10))
    second = _reserved(volunteer, make_reward_item(community, name="香皂", cost=5))
    service.cancel(volunteer, first.id, now=utcnow())
    login(client, volunteer)
    html = _text(client.get("/supermarket/redemptions"))
    assert html.index("香皂") < html.index("洗衣液")
    assert "待领取" in html and "已取消" in html
    assert f"{second.code[:4]}&nbsp;{second.code[4:]}" in html
    assert first.code[:4] + "&nbsp;" not in html
    fragment = _text(client.get("/supermarket/redemptions", headers=HTMX))
    assert "<html" not in fragment and "香皂" in fragment


@pytest.mark.parametrize(
    ("who", "status"),
    [("volunteer", 404), ("staff_elsewhere", 404), ("resident", 404), ("staff", 200)],
)
def test_a_redemption_page_is_hers_and_the_staffs(client, community, volunteer, who, status):
    redemption = _reserved(volunteer, make_reward_item(community))
    user = {
        "volunteer": lambda: make_volunteer(community),
        "staff_elsewhere": lambda: make_supermarket_staff(make_community()),
        "resident": lambda: make_resident(community),
        "staff": lambda: make_supermarket_staff(community),
    }[who]()
    login(client, user)
    assert client.get(f"/supermarket/redemptions/{redemption.id}").status_code == status


def test_cancelling_her_own_gives_the_points_back(client, community, volunteer):
    item = make_reward_item(community, name="洗衣液", cost=40, stock=3)
    redemption = _reserved(volunteer, item)
    login(client, volunteer)
    page = f"/supermarket/redemptions/{redemption.id}"
    path = f"{page}/cancel"
    confirm = _text(client.get(path, headers=HTMX))
    assert "<html" not in confirm and "冻结的 40 积分会退回您的可用积分" in confirm
    assert 'name="reason"' not in confirm  # her own needs no reason
    response = client.post(path, data={"csrf_token": csrf(client, page)})
    assert response.location == page
    html = _text(client.get(page))
    assert "已取消兑换，40 积分已退回您的可用积分。" in html and "40 积分已退回可用积分" in html
    assert "可用 <strong>100</strong> 分" in html and "冻结 0 分" in html
    assert "取消兑换</a>" not in html
    db.session.refresh(item)
    assert redemption.status is RedemptionStatus.CANCELLED and item.stock == 3


def test_a_picked_up_one_cannot_be_cancelled(client, community, volunteer, staff):
    redemption = _reserved(volunteer, make_reward_item(community))
    service.pickup(staff, redemption.id, now=utcnow())
    login(client, volunteer)
    page = f"/supermarket/redemptions/{redemption.id}"
    html = _text(client.get(page))
    assert "已领取" in html and "取消兑换</a>" not in html
    assert client.get(f"{page}/cancel").status_code == 403
    response = client.post(f"{page}/cancel", data={"csrf_token": csrf(client, page)})
    assert response.status_code == 409 and _wallet(volunteer, community) == (50, 0)


# --- The counter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("volunteer", 403), ("resident", 403), ("staff", 200), ("secretary", 200)],
)
def test_the_counter_is_for_the_staff(client, community, who, status):
    user = {
        "volunteer": lambda: make_volunteer(community),
        "resident": lambda: make_resident(community),
        "staff": lambda: make_supermarket_staff(community),
        "secretary": lambda: make_secretary(community),
    }[who]()
    login(client, user)
    assert client.get("/supermarket/counter").status_code == status


def test_the_counter_finds_the_code_from_the_qr(client, community, volunteer, staff):
    redemption = _reserved(volunteer, make_reward_item(community, name="洗衣液", cost=40))
    login(client, staff)
    html = _text(client.get("/supermarket/counter", query_string={"code": redemption.code}))
    assert "洗衣液" in html and "王秀英" in html and "138****5678" in html
    assert "13812345678" not in html and "确认发放" in html and "取消这次兑换" in html
    assert 'inputmode="numeric"' in html and "autofocus" in html
    grouped = f"{redemption.code[:4]} {redemption.code[4:]}"
    fragment = _text(
        client.get("/supermarket/counter", query_string={"code": grouped}, headers=HTMX)
    )
    assert "<html" not in fragment and "确认发放" in fragment and "今日已发放" not in fragment


@pytest.mark.parametrize(
    ("code", "message"),
    [("12", "领取码是 8 位数字"), ("00000000", "没有找到这个领取码")],
)
def test_the_counter_says_when_a_code_is_wrong(client, community, staff, code, message):
    login(client, staff)
    response = client.get("/supermarket/counter", query_string={"code": code})
    assert response.status_code == 200 and message in _text(response)
    assert "确认发放" not in _text(response)


def test_another_supermarkets_code_is_not_found_at_the_counter(client, community, volunteer):
    redemption = _reserved(volunteer, make_reward_item(community))
    login(client, make_supermarket_staff(make_community()))
    html = _text(client.get("/supermarket/counter", query_string={"code": redemption.code}))
    assert "没有找到这个领取码" in html


def test_handing_over_spends_the_points(client, community, volunteer, staff):
    item = make_reward_item(community, name="洗衣液", cost=40, low_stock_at=3, stock=3)
    redemption = _reserved(volunteer, item)
    login(client, staff)
    counter = f"/supermarket/counter?code={redemption.code}"
    response = client.post(
        f"/supermarket/redemptions/{redemption.id}/pickup",
        data={"csrf_token": csrf(client, counter)},
    )
    assert response.location == f"/supermarket/counter?community_id={community.id}"
    html = _text(client.get(response.location))
    assert "已发放“洗衣液”给王秀英。" in html
    assert '今日已发放 <span class="count">1</span>' in html and "经办：赵店长" in html
    assert '库存不足 <span class="count">1</span>' in html and "剩 2 件" in html
    assert redemption.status is RedemptionStatus.PICKED_UP
    assert _wallet(volunteer, community) == (60, 0)
    again = _text(client.get(counter))
    assert "领取过，不能重复发放" in again and "确认发放" not in again


def test_an_overdue_one_is_not_handed_over(client, community, volunteer, staff):
    redemption = service.reserve(
        volunteer, make_reward_item(community).id, now=utcnow() - timedelta(days=30)
    )
    login(client, staff)
    counter = f"/supermarket/counter?code={redemption.code}"
    html = _text(client.get(counter))
    assert "超过领取期限" in html and "确认发放" not in html
    response = client.post(
        f"/supermarket/redemptions/{redemption.id}/pickup",
        data={"csrf_token": csrf(client, counter)},
    )
    assert response.status_code == 409 and "超过领取期限" in _text(response)
    assert redemption.status is RedemptionStatus.RESERVED


def test_staff_cannot_hand_over_their_own(client, community):
    secretary = make_secretary(community)
    from coop.auth.models import Role, RoleGrant

    secretary.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=community.id))
    db.session.flush()
    give_points(secretary, community, 100)
    redemption = _reserved(secretary, make_reward_item(community))
    login(client, secretary)
    counter = f"/supermarket/counter?code={redemption.code}"
    html = _text(client.get(counter))
    assert "不能为自己的兑换办理领取" in html and "确认发放" not in html
    response = client.post(
        f"/supermarket/redemptions/{redemption.id}/pickup",
        data={"csrf_token": csrf(client, counter)},
    )
    assert response.status_code == 403 and "不能为自己的兑换办理领取" in _text(response)


def test_staff_cancel_needs_a_reason(client, community, volunteer, staff):
    redemption = _reserved(volunteer, make_reward_item(community, cost=40))
    login(client, staff)
    counter = f"/supermarket/counter?code={redemption.code}"
    path = f"/supermarket/redemptions/{redemption.id}/cancel"
    token = csrf(client, counter)
    response = client.post(path, data={"csrf_token": token, "from": "counter", "reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in _text(response)
    assert redemption.status is RedemptionStatus.RESERVED
    response = client.post(path, data={"csrf_token": token, "from": "counter", "reason": "已停产"})
    assert response.location == f"/supermarket/counter?community_id={community.id}"
    assert "40 积分已退回志愿者" in _text(client.get(response.location))
    assert redemption.cancel_reason == "已停产" and _wallet(volunteer, community) == (100, 0)


def test_the_counter_links_to_the_back_office_when_it_exists(client, app, community, staff):
    login(client, staff)
    html = _text(client.get("/supermarket/counter"))
    if "rewards_manage.items" in app.view_functions:
        assert app.url_for("rewards_manage.items", community_id=community.id) in html
        assert "去补货和管理物品" in html
    else:
        assert "去补货和管理物品" not in html


# --- Navigation -----------------------------------------------------------------------------


def test_volunteers_find_the_shelf_and_staff_the_counter(client, community, volunteer, staff):
    login(client, volunteer)
    html = _text(client.get("/my/points"))
    assert '<a href="/supermarket" >积分超市' in html  # the nav
    assert 'class="button secondary" href="/supermarket">积分超市' in html
    login(client, staff)
    assert client.get("/").location == "/supermarket/counter"
    assert 'href="/supermarket/counter" aria-current="page">积分超市' in _text(
        client.get("/supermarket/counter")
    )
