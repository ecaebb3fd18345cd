"""The 积分超市 back office: who may open it, stocking the shelf (pictures included), in-place
row actions, the monthly summary and its Excel file, the staff and the pickup deadline."""

import io
import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from PIL import Image

from coop.auth.models import Role, RoleGrant
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.rewards import service
from coop.rewards.models import ItemStatus, RewardItem, RewardPicture
from coop.timeutil import local_today
from tests.factories import (
    csrf,
    give_points,
    login,
    make_community,
    make_liaison,
    make_reward_item,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def signed_in(client, secretary):
    """The secretary signed in; returns a CSRF token for her forms."""
    login(client, secretary)
    return csrf(client, f"/communities/{secretary.grants[0].community_id}/supermarket/items")


def png(width=1600, height=1200, mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def count_items() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RewardItem))


# --- Access ----------------------------------------------------------------------------------

PAGES = [
    "/communities/{c}/supermarket/items",
    "/communities/{c}/supermarket/items/new",
    "/supermarket/items/{i}/edit",
    "/supermarket/items/{i}/restock",
    "/communities/{c}/supermarket/summary",
    "/communities/{c}/supermarket/summary.xlsx",
    "/communities/{c}/supermarket/staff",
]
SECRETARY_ONLY = {"/communities/{c}/supermarket/staff"}


def _who(who, community):
    return {
        "volunteer": lambda: make_volunteer(community),
        "other_secretary": lambda: make_secretary(make_community()),
        "staff": lambda: make_supermarket_staff(community),
        "secretary": lambda: make_secretary(community),
    }[who]()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    "who, status",
    [("volunteer", 403), ("other_secretary", 404), ("staff", 200), ("secretary", 200)],
)
def test_only_the_communitys_supermarket_staff_open_the_back_office(
    client, community, path, who, status
):
    item = make_reward_item(community)
    login(client, _who(who, community))
    expected = 403 if who == "staff" and path in SECRETARY_ONLY else status
    response = client.get(path.format(c=community.id, i=item.id))
    assert response.status_code == expected


@pytest.mark.parametrize(
    "path",
    [
        "/supermarket/items/{i}/restock",
        "/supermarket/items/{i}/delist",
        "/communities/{c}/supermarket/staff",
        "/communities/{c}/supermarket/pickup-days",
    ],
)
@pytest.mark.parametrize("who, status", [("volunteer", 403), ("other_secretary", 404)])
def test_outsiders_cannot_post_to_the_back_office(client, community, path, who, status):
    item = make_reward_item(community, stock=10)
    token = csrf(client)
    login(client, _who(who, community))
    form = {"csrf_token": token, "quantity": "5", "user_id": "1", "pickup_days": "7"}
    response = client.post(path.format(c=community.id, i=item.id), data=form)
    assert response.status_code == status
    assert (item.stock, item.status) == (10, ItemStatus.ON_SHELF)


def test_staff_may_not_grant_the_staff_role(client, community):
    staff = make_supermarket_staff(community)
    volunteer = make_volunteer(community)
    login(client, staff)
    token = csrf(client, f"/communities/{community.id}/supermarket/items")
    path = f"/communities/{community.id}/supermarket/staff"
    response = client.post(path, data={"csrf_token": token, "user_id": str(volunteer.id)})
    assert response.status_code == 403
    assert not volunteer.has_role(Role.SUPERMARKET_STAFF)


def test_the_list_links_to_staff_for_the_secretary_only(client, community):
    path = f"/communities/{community.id}/supermarket/items"
    login(client, make_supermarket_staff(community))
    assert "/supermarket/staff" not in client.get(path).get_data(as_text=True)
    login(client, make_secretary(community))
    assert f"/communities/{community.id}/supermarket/staff" in client.get(path).get_data(
        as_text=True
    )


# --- The list --------------------------------------------------------------------------------


def test_the_list_shows_every_item_with_its_stock_and_supplier(client, community, signed_in):
    unit = make_unit(community, name="兴旺超市有限公司")
    make_reward_item(community, name="洗衣液", cost=120, stock=2, low_stock_at=3, monthly_limit=1)
    make_reward_item(community, name="大米", supplier_unit_id=unit.id, status=ItemStatus.OFF_SHELF)
    html = client.get(f"/communities/{community.id}/supermarket/items").get_data(as_text=True)
    assert "洗衣液" in html and "大米" in html
    assert "库存不足" in html and "item-row low" in html
    assert "兴旺超市有限公司" in html and "公益合伙人" in html
    assert "已下架" in html and "重新上架" in html
    assert "1 件" in html  # the monthly limit


def test_the_list_filters_by_status_and_name(client, community, signed_in):
    make_reward_item(community, name="洗衣液")
    make_reward_item(community, name="大米", status=ItemStatus.OFF_SHELF)
    path = f"/communities/{community.id}/supermarket/items"
    html = client.get(f"{path}?status=off_shelf").get_data(as_text=True)
    assert "大米" in html and "洗衣液" not in html
    html = client.get(f"{path}?q=洗衣").get_data(as_text=True)
    assert "洗衣液" in html and "大米" not in html
    assert client.get(f"{path}?status=sold").status_code == 422


def test_the_list_pages(client, community, signed_in):
    for n in range(3):
        make_reward_item(community, name=f"物品{n}", cost=10 + n)
    html = client.get(f"/communities/{community.id}/supermarket/items?per_page=2&page=2").get_data(
        as_text=True
    )
    assert "物品2" in html and "物品0" not in html
    assert "第 2 / 2 页" in html


def test_an_empty_shelf_explains_how_to_stock_it(client, community, signed_in):
    html = client.get(f"/communities/{community.id}/supermarket/items").get_data(as_text=True)
    assert "货架上还没有物品" in html and "新增物品" in html


def test_the_filter_answers_htmx_with_the_rows_only(client, community, signed_in):
    make_reward_item(community, name="洗衣液")
    path = f"/communities/{community.id}/supermarket/items"
    page = client.get(path).get_data(as_text=True)
    fragment = client.get(path, headers=HX).get_data(as_text=True)
    assert "<html" in page and "<html" not in fragment
    assert "洗衣液" in fragment and 'id="f-q"' not in fragment


def test_the_list_queries_do_not_grow_with_items(client, community, signed_in, count_queries):
    unit = make_unit(community)
    path = f"/communities/{community.id}/supermarket/items"

    def add(n):
        for i in range(n):
            make_reward_item(community, supplier_unit_id=unit.id if i % 2 else None, stock=i)

    add(2)
    with count_queries() as few:
        client.get(path)
    add(8)
    with count_queries() as many:
        client.get(path)
    assert many.n == few.n


# --- Adding and editing ----------------------------------------------------------------------


def test_staff_add_an_item_with_a_picture_made_small_and_jpeg(client, community):
    unit = make_unit(community)
    login(client, make_supermarket_staff(community))
    path = f"/communities/{community.id}/supermarket/items/new"
    form = {
        "csrf_token": csrf(client, path),
        "name": "洗衣液 2 kg",
        "cost": "120",
        "stock": "8",
        "monthly_limit": "",
        "supplier_unit_id": str(unit.id),
        "low_stock_at": "2",
        "picture": (io.BytesIO(png()), "photo.png"),
    }
    response = client.post(path, data=form, content_type="multipart/form-data")
    item = db.session.scalars(sa.select(RewardItem).where(RewardItem.name == "洗衣液 2 kg")).one()
    assert response.status_code == 302
    assert response.location.endswith(
        f"/communities/{community.id}/supermarket/items#item-{item.id}"
    )
    assert (item.cost, item.stock, item.monthly_limit, item.supplier_unit_id) == (
        120,
        8,
        None,
        unit.id,
    )
    picture = db.session.get(RewardPicture, item.id)
    assert picture.content_type == "image/jpeg" and max(picture.width, picture.height) <= 800
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.format == "JPEG" and max(image.size) <= 800
    html = client.get(response.location).get_data(as_text=True)
    assert f"/rewards/{item.id}/picture?v=" in html


def test_a_bad_picture_is_refused_beside_its_field_and_creates_nothing(
    client, community, signed_in
):
    path = f"/communities/{community.id}/supermarket/items/new"
    before = count_items()
    form = {
        "csrf_token": signed_in,
        "name": "洗衣液",
        "cost": "120",
        "stock": "8",
        "picture": (io.BytesIO(b"just some text, not a picture"), "photo.png"),
    }
    response = client.post(path, data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-picture"' in html and "无法识别这张图片" in html
    assert 'value="洗衣液"' in html  # what she typed stays
    assert count_items() == before


def test_an_invalid_item_shows_errors_and_creates_nothing(client, community, signed_in):
    path = f"/communities/{community.id}/supermarket/items/new"
    before = count_items()
    form = {"csrf_token": signed_in, "name": "洗", "cost": "0", "stock": "-1"}
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "长度应为 2–64 个字" in html and "所需积分应为 1–100000" in html
    assert count_items() == before


def test_a_supplier_outside_the_alliance_is_refused(client, community, signed_in):
    stranger = make_unit(make_community())
    path = f"/communities/{community.id}/supermarket/items/new"
    form = {
        "csrf_token": signed_in,
        "name": "洗衣液",
        "cost": "120",
        "stock": "8",
        "supplier_unit_id": str(stranger.id),
    }
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "请选择本社区联盟中的单位" in response.get_data(as_text=True)


def test_a_new_price_leaves_earlier_redemptions_as_they_were(client, community, signed_in):
    item = make_reward_item(community, cost=50, monthly_limit=2)
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 200)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    path = f"/supermarket/items/{item.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert "只对今后的兑换生效" in page
    form = {
        "csrf_token": signed_in,
        "name": "新名字",
        "cost": "80",
        "monthly_limit": "",
        "low_stock_at": "1",
    }
    assert client.post(path, data=form).status_code == 302
    db.session.refresh(item)
    db.session.refresh(redemption)
    assert (item.name, item.cost, item.monthly_limit) == ("新名字", 80, None)
    assert redemption.cost == 50 and redemption.item_name != "新名字"


def test_editing_replaces_then_removes_the_picture(client, community, signed_in):
    item = make_reward_item(community)
    path = f"/supermarket/items/{item.id}/edit"
    form = {"csrf_token": signed_in, "name": item.name, "cost": "50"}
    client.post(
        path,
        data={**form, "picture": (io.BytesIO(png(300, 200, "RGB")), "a.png")},
        content_type="multipart/form-data",
    )
    picture = db.session.get(RewardPicture, item.id)
    assert (picture.width, picture.height) == (300, 200)
    assert "删除现在的图片" in client.get(path).get_data(as_text=True)
    client.post(path, data={**form, "remove_picture": "1"})
    db.session.expire_all()
    assert db.session.get(RewardPicture, item.id) is None


# --- Row actions -----------------------------------------------------------------------------


def test_restocking_adds_to_the_stock(client, community, signed_in):
    item = make_reward_item(community, stock=10)
    response = client.post(
        f"/supermarket/items/{item.id}/restock", data={"csrf_token": signed_in, "quantity": "5"}
    )
    assert response.status_code == 302 and response.location.endswith(f"#item-{item.id}")
    db.session.refresh(item)
    assert item.stock == 15


def test_writing_off_more_than_the_stock_is_refused(client, community, signed_in):
    item = make_reward_item(community, stock=10)
    path = f"/supermarket/items/{item.id}/restock"
    response = client.post(path, data={"csrf_token": signed_in, "quantity": "-20"})
    assert response.status_code == 422
    assert "库存只有 10 件，不能减少 20 件" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.stock == 10
    response = client.post(path, data={"csrf_token": signed_in, "quantity": "-3"})
    db.session.refresh(item)
    assert item.stock == 7


def test_htmx_restock_answers_with_the_row_and_a_refusal_in_its_slot(client, community, signed_in):
    item = make_reward_item(community, stock=10)
    path = f"/supermarket/items/{item.id}/restock"
    response = client.post(path, data={"csrf_token": signed_in, "quantity": "4"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#item-{item.id}"
    assert f'id="item-{item.id}"' in html
    assert "<html" not in html and "已补货 4 件，现有库存 14 件" in html
    refused = client.post(path, data={"csrf_token": signed_in, "quantity": "-99"}, headers=HX)
    assert refused.status_code == 422 and "HX-Retarget" not in refused.headers
    assert "不能减少 99 件" in refused.get_data(as_text=True)


def test_delisting_and_relisting(client, community, signed_in):
    item = make_reward_item(community)
    base = f"/supermarket/items/{item.id}"
    response = client.post(f"{base}/delist", data={"csrf_token": signed_in}, headers=HX)
    assert response.status_code == 200 and "重新上架" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.status is ItemStatus.OFF_SHELF
    response = client.post(f"{base}/relist", data={"csrf_token": signed_in})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status is ItemStatus.ON_SHELF


def test_delisting_twice_is_refused(client, community, signed_in):
    item = make_reward_item(community, status=ItemStatus.OFF_SHELF)
    response = client.post(
        f"/supermarket/items/{item.id}/delist", data={"csrf_token": signed_in}, headers=HX
    )
    assert response.status_code == 409
    assert "不能下架" in response.get_data(as_text=True)


# --- The monthly summary ---------------------------------------------------------------------


@pytest.fixture
def picked_up(community):
    """Two 洗衣液 (unit-supplied, 120 each) and one 大米 (the community's, 50) handed over now."""
    unit = make_unit(community, name="公益合伙人甲")
    soap = make_reward_item(community, name="洗衣液", cost=120, supplier_unit_id=unit.id)
    rice = make_reward_item(community, name="大米", cost=50)
    staff = make_supermarket_staff(community)
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 1000)
    for item in (soap, soap, rice):
        redemption = service.reserve(volunteer, item.id, now=utcnow())
        service.pickup(staff, redemption.id, now=utcnow())
    service.reserve(volunteer, rice.id, now=utcnow())  # reserved, not picked up: not counted
    return unit


def test_the_summary_adds_up_the_months_pickups(client, community, signed_in, picked_up):
    html = client.get(f"/communities/{community.id}/supermarket/summary").get_data(as_text=True)
    month = local_today().strftime("%Y-%m")
    assert f'value="{month}"' in html
    assert "洗衣液" in html and "公益合伙人甲" in html and "大米" in html
    assert ">240<" in html and ">50<" in html and ">290<" in html  # by item, and the total
    assert ">3<" in html  # items handed over
    assert "上个月" in html and "下个月" not in html


def test_another_month_is_empty(client, community, signed_in, picked_up):
    path = f"/communities/{community.id}/supermarket/summary"
    html = client.get(f"{path}?month=2020-01").get_data(as_text=True)
    assert "2020-01 没有人领取物品" in html and "month=2019-12" in html and "month=2020-02" in html
    assert client.get(f"{path}?month=2020-13").status_code == 422


def test_the_summary_exports_to_excel(client, community, signed_in, picked_up):
    month = local_today().strftime("%Y-%m")
    response = client.get(f"/communities/{community.id}/supermarket/summary.xlsx?month={month}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    name = quote(f"积分超市月度汇总-{community.name}-{month}.xlsx", safe="")
    assert f"filename*=UTF-8''{name}" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    assert community.name in rows[0][0] and month in rows[0][0]
    assert rows[2] == ("物品", "供应方", "领取件数", "消耗积分")
    assert rows[3] == ("洗衣液", "公益合伙人甲", 2, 240)
    assert rows[4] == ("大米", "社区", 1, 50)
    assert rows[5] == ("合计", None, 3, 290)
    assert rows[6][:3] == ("供应方", "领取件数", "消耗积分")
    assert rows[7][:3] == ("公益合伙人甲", 2, 240)
    assert rows[8][:3] == ("社区", 1, 50)
    assert rows[9][:3] == ("合计", 3, 290)


def test_an_item_name_goes_into_excel_as_text(client, community, signed_in):
    item = make_reward_item(community, name="=HYPERLINK(1)", cost=10)
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 10)
    redemption = service.reserve(volunteer, item.id, now=utcnow())
    service.pickup(make_supermarket_staff(community), redemption.id, now=utcnow())
    response = client.get(f"/communities/{community.id}/supermarket/summary.xlsx")
    cell = load_workbook(io.BytesIO(response.data)).active["A5"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")


# --- Staff and the pickup deadline -----------------------------------------------------------


def test_the_secretary_grants_and_revokes_the_staff_role(client, community, signed_in):
    volunteer = make_volunteer(community, display_name="张小红", phone="13900001111")
    path = f"/communities/{community.id}/supermarket/staff"
    assert "张小红" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": signed_in, "user_id": str(volunteer.id)})
    assert response.status_code == 302
    grant = db.session.scalars(
        sa.select(RoleGrant).where(
            RoleGrant.user_id == volunteer.id, RoleGrant.role == Role.SUPERMARKET_STAFF
        )
    ).one()
    html = client.get(path).get_data(as_text=True)
    assert "139****1111" in html and "13900001111" not in html and "撤销" in html
    again = client.post(path, data={"csrf_token": signed_in, "user_id": str(volunteer.id)})
    assert again.status_code == 422 and "已是积分超市管理员" in again.get_data(as_text=True)
    response = client.post(f"{path}/{grant.id}/revoke", data={"csrf_token": signed_in})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RoleGrant, grant.id) is None


def _options(html: str) -> list[str]:
    """The 添加管理员 select's people (its first, blank option left out)."""
    return re.findall(r'<option value="\d+" >([^<]*)</option>', html)


def test_the_staff_page_lists_a_first_few_people_and_says_there_are_more(
    client, community, signed_in, monkeypatch
):
    monkeypatch.setattr("coop.rewards.manage_views.STAFF_OPTIONS", 2)
    for name in ("丁一", "丁二", "丁三"):
        make_volunteer(community, display_name=name)
    html = client.get(f"/communities/{community.id}/supermarket/staff").get_data(as_text=True)
    assert len(_options(html)) == 2 and "列出前 2 人，可按姓名查找" in html
    assert 'id="f-q"' in html and "/supermarket/staff/people" in html


def test_the_staff_search_answers_htmx_with_the_matching_options_only(client, community, signed_in):
    make_volunteer(community, display_name="张小红")
    make_volunteer(community, display_name="李小红")
    make_volunteer(community, display_name="王大明")
    make_supermarket_staff(community, display_name="赵小红")  # already staff
    make_liaison(make_unit(community), display_name="钱小红")  # a unit's liaison
    make_volunteer(make_community(), display_name="孙小红")  # another community's
    path = f"/communities/{community.id}/supermarket/staff/people"

    response = client.get(path, query_string={"q": "小红"}, headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" not in html and "<select" not in html
    assert sorted(_options(html)) == ["张小红（志愿者）", "李小红（志愿者）"]
    assert "共 2 人" in html
    nobody = client.get(path, query_string={"q": "周"}, headers=HX).get_data(as_text=True)
    assert _options(nobody) == [] and "没有找到“周”" in nobody


def test_the_staff_search_without_javascript_reloads_the_page_narrowed(
    client, community, signed_in
):
    make_volunteer(community, display_name="张小红")
    make_volunteer(community, display_name="王大明")
    response = client.get(
        f"/communities/{community.id}/supermarket/staff/people", query_string={"q": "大明"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" in html
    assert _options(html) == ["王大明（志愿者）"] and 'value="大明"' in html


def test_only_the_secretary_searches_for_staff(client, community):
    login(client, make_supermarket_staff(community))
    path = f"/communities/{community.id}/supermarket/staff/people"
    assert client.get(path, query_string={"q": "小"}, headers=HX).status_code == 403


def test_someone_of_another_community_cannot_be_made_staff(client, community, signed_in):
    stranger = make_volunteer(make_community())
    path = f"/communities/{community.id}/supermarket/staff"
    response = client.post(path, data={"csrf_token": signed_in, "user_id": str(stranger.id)})
    assert response.status_code == 422
    assert "请选择本社区的人员" in response.get_data(as_text=True)


@pytest.mark.parametrize("days", ["0", "91", "两周", ""])
def test_the_pickup_deadline_is_one_to_ninety_days(client, community, signed_in, days):
    path = f"/communities/{community.id}/supermarket/pickup-days"
    response = client.post(path, data={"csrf_token": signed_in, "pickup_days": days})
    assert response.status_code == 422
    assert 'id="e-pickup_days"' in response.get_data(as_text=True)
    db.session.refresh(community)
    assert community.pickup_days == 14


def test_the_secretary_sets_the_pickup_deadline(client, community, signed_in):
    path = f"/communities/{community.id}/supermarket"
    assert "已经预约的仍按原来的期限" in client.get(f"{path}/staff").get_data(as_text=True)
    response = client.post(
        f"{path}/pickup-days", data={"csrf_token": signed_in, "pickup_days": "30"}
    )
    assert response.status_code == 302
    db.session.refresh(community)
    assert community.pickup_days == 30
