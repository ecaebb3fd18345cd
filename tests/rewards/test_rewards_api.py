"""The 积分超市 JSON API: the shelf and its stocking, pictures, reserving with Idempotency-Key,
pickup and cancel at the counter, the month's summary, the staff and the pickup deadline."""

import io
import re
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
from PIL import Image

from coop.auth.models import Role, RoleGrant
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import service as ledger
from coop.rewards import queries, service, stocking
from coop.rewards.models import ItemStatus, Redemption, RedemptionStatus, RewardItem, RewardPicture
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
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

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def staff(community):
    return make_supermarket_staff(community)


@pytest.fixture
def volunteer(community):
    """A volunteer with 200 points."""
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 200)
    return volunteer


@pytest.fixture
def item(community):
    """On the shelf: 50 points, 10 in stock."""
    return make_reward_item(community, name="环保购物袋", cost=50, stock=10)


def _redemptions() -> list[Redemption]:
    return db.session.scalars(sa.select(Redemption).order_by(Redemption.id)).all()


def _items() -> list[RewardItem]:
    return db.session.scalars(sa.select(RewardItem)).all()


def points(volunteer, community) -> tuple[int, int]:
    """Her (available, held) points."""
    wallet = queries.wallet(volunteer.id, community.id)
    return wallet.available, wallet.held


def stock_of(item) -> int:
    db.session.refresh(item)
    return item.stock


def reserved(volunteer, item, **overrides) -> Redemption:
    """A reservation made through the service, as an earlier request would have made it."""
    return service.reserve(volunteer, item.id, now=overrides.pop("now", utcnow()))


def staff_volunteer(community):
    """A volunteer who also runs the community's supermarket, with 200 points."""
    user = make_volunteer(community)
    user.grants.append(RoleGrant(role=Role.SUPERMARKET_STAFF, community_id=community.id))
    db.session.flush()
    give_points(user, community, 200)
    return user


def png(width=1200, height=600, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30, 128) if mode == "RGBA" else "red").save(
        out, "PNG"
    )
    return out.getvalue()


def upload(client, item, user, data: bytes, filename="bag.png"):
    return client.put(
        f"/api/v1/rewards/{item.id}/picture",
        data={"picture": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=bearer(user),
    )


def new_item(community, **overrides) -> dict:
    return {
        "community_id": community.id,
        "name": "大米 5 斤",
        "description": "东北大米",
        "cost": 120,
        "stock": 20,
        "monthly_limit": 1,
        **overrides,
    }


def all_chinese(errors: dict) -> bool:
    return all(CHINESE.search(message) for messages in errors.values() for message in messages)


# --- the shelf ----------------------------------------------------------------------------------


def test_a_volunteer_sees_the_shelf_with_what_she_can_reserve(client, community, volunteer):
    cheap = make_reward_item(community, name="肥皂", cost=30)
    dear = make_reward_item(community, name="电饭煲", cost=500)
    make_reward_item(community, name="旧款水杯", status=ItemStatus.OFF_SHELF)
    make_reward_item(make_community(), name="别的社区的", cost=10)
    response = client.get("/api/v1/rewards", headers=bearer(volunteer))
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    assert [i["id"] for i in body["items"]] == [cheap.id, dear.id]  # cheapest first
    first, second = body["items"]
    assert first["name"] == "肥皂" and first["cost"] == 30 and first["stock"] == 10
    assert first["status"] == "on_shelf" and first["status_label"] == "在架"
    assert first["picture_url"] is None and first["supplier_name"] is None
    assert first["mine"] == {
        "can_reserve": True,
        "reason_code": None,
        "reason": None,
        "used_this_month": 0,
    }
    assert second["mine"]["can_reserve"] is False
    assert second["mine"]["reason_code"] == "insufficient_points"
    assert second["mine"]["reason"] == "积分不足：兑换需要 500 分，您的可用积分为 200 分。"


def test_staff_see_every_item_or_those_of_a_status(client, community, staff, item):
    off = make_reward_item(community, status=ItemStatus.OFF_SHELF)
    headers = bearer(staff)
    everything = client.get("/api/v1/rewards", headers=headers).json
    assert {i["id"] for i in everything["items"]} == {item.id, off.id}
    assert all(i["mine"] is None for i in everything["items"])  # she does not volunteer here
    off_shelf = client.get("/api/v1/rewards?status=off_shelf", headers=headers).json
    assert [i["id"] for i in off_shelf["items"]] == [off.id]
    on_shelf = client.get("/api/v1/rewards?status=on_shelf", headers=headers).json
    assert [i["id"] for i in on_shelf["items"]] == [item.id]


def test_a_volunteer_never_sees_what_is_off_the_shelf(client, community, volunteer, item):
    make_reward_item(community, status=ItemStatus.OFF_SHELF)
    response = client.get("/api/v1/rewards?status=off_shelf", headers=bearer(volunteer))
    assert response.status_code == 200 and response.json["total"] == 0


def test_the_shelf_searches_names_and_filters_by_community(client, community, volunteer, item):
    make_reward_item(community, name="洗衣液")
    found = client.get("/api/v1/rewards?q=购物", headers=bearer(volunteer)).json
    assert [i["id"] for i in found["items"]] == [item.id]
    other = make_community()
    make_reward_item(other)
    elsewhere = client.get(f"/api/v1/rewards?community_id={other.id}", headers=bearer(volunteer))
    assert elsewhere.status_code == 200 and elsewhere.json["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "status=gone",
        "q=" + "长" * 65,
        "community_id=三",
        "per_page=500",
        "page=0",
    ],
)
def test_bad_shelf_arguments_are_422_in_chinese(client, volunteer, query):
    response = client.get(f"/api/v1/rewards?{query}", headers=bearer(volunteer))
    assert response.status_code == 422 and response.json["code"] == "invalid"
    assert all_chinese(response.json["errors"])


def test_the_shelf_costs_the_same_queries_for_2_or_12_items(
    client, community, volunteer, count_queries
):
    headers = bearer(volunteer)
    for _ in range(2):
        make_reward_item(community, supplier_unit_id=make_unit(community).id)
    with count_queries() as few:
        client.get("/api/v1/rewards", headers=headers)
    for _ in range(10):
        make_reward_item(community, supplier_unit_id=make_unit(community).id)
    with count_queries() as many:
        body = client.get("/api/v1/rewards", headers=headers).json
    assert len(body["items"]) == 12 and all(i["mine"] is not None for i in body["items"])
    assert many.n == few.n


def test_one_item_with_what_she_can_do(client, volunteer, item):
    response = client.get(f"/api/v1/rewards/{item.id}", headers=bearer(volunteer))
    assert response.status_code == 200
    assert response.json["id"] == item.id and response.json["mine"]["can_reserve"] is True


# --- stocking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "secretary"])
def test_staff_put_an_item_on_the_shelf(client, community, request, who):
    unit = make_unit(community, name="阳光物业")
    response = client.post(
        "/api/v1/rewards",
        json=new_item(community, supplier_unit_id=unit.id),
        headers=bearer(request.getfixturevalue(who)),
    )
    assert response.status_code == 201
    body = response.json
    assert body["community_id"] == community.id and body["name"] == "大米 5 斤"
    assert body["cost"] == 120 and body["stock"] == 20 and body["monthly_limit"] == 1
    assert body["supplier_unit_id"] == unit.id and body["supplier_name"] == "阳光物业"
    assert body["status"] == "on_shelf" and body["low_stock_at"] == 3
    assert body["low_on_stock"] is False and body["picture_url"] is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": "米"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"cost": 0}, "cost"),
        ({"cost": "五十"}, "cost"),
        ({"stock": -1}, "stock"),
        ({"monthly_limit": 0}, "monthly_limit"),
        ({"low_stock_at": 1001}, "low_stock_at"),
        ({"description": "长" * 501}, "description"),
        ({"colour": "红"}, "colour"),
    ],
)
def test_a_bad_item_is_422_in_chinese_and_creates_nothing(
    client, community, staff, overrides, field
):
    body = {k: v for k, v in new_item(community, **overrides).items() if v is not None}
    response = client.post("/api/v1/rewards", json=body, headers=bearer(staff))
    assert response.status_code == 422 and field in response.json["errors"]
    assert all_chinese(response.json["errors"]) and CHINESE.search(response.json["message"])
    assert _items() == []


def test_a_supplier_outside_the_alliance_is_422(client, community, staff):
    stranger = make_unit(make_community())
    response = client.post(
        "/api/v1/rewards",
        json=new_item(community, supplier_unit_id=stranger.id),
        headers=bearer(staff),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"supplier_unit_id": ["请选择本社区联盟中的单位。"]}
    assert _items() == []


def test_a_new_price_applies_from_now_on(client, community, staff, volunteer, item):
    earlier = reserved(volunteer, item)
    response = client.patch(
        f"/api/v1/rewards/{item.id}",
        json={"cost": 80, "name": "加厚环保购物袋", "monthly_limit": None},
        headers=bearer(staff),
    )
    assert response.status_code == 200
    assert response.json["cost"] == 80 and response.json["name"] == "加厚环保购物袋"
    assert response.json["monthly_limit"] is None and response.json["stock"] == 9
    db.session.refresh(earlier)
    assert earlier.cost == 50 and earlier.item_name == "环保购物袋"


@pytest.mark.parametrize(
    "body, field",
    [({"cost": -5}, "cost"), ({"stock": 99}, "stock"), ({"name": "x"}, "name")],
)
def test_a_bad_patch_is_422_and_changes_nothing(client, staff, item, body, field):
    response = client.patch(f"/api/v1/rewards/{item.id}", json=body, headers=bearer(staff))
    assert response.status_code == 422 and field in response.json["errors"]
    assert all_chinese(response.json["errors"])
    db.session.refresh(item)
    assert (item.cost, item.stock, item.name) == (50, 10, "环保购物袋")


def test_restocking_adds_and_takes_off(client, staff, item):
    path = f"/api/v1/rewards/{item.id}/restock"
    added = client.post(path, json={"quantity": 5}, headers=bearer(staff))
    assert added.status_code == 200 and added.json["stock"] == 15
    lost = client.post(path, json={"quantity": -13}, headers=bearer(staff))
    assert lost.status_code == 200 and lost.json["stock"] == 2
    assert lost.json["low_on_stock"] is True


@pytest.mark.parametrize(
    "quantity, message",
    [
        (0, "数量不能为 0。"),
        (-11, "库存只有 10 件，不能减少 11 件。"),
        (99_991, "库存不能超过 100000 件。"),
        (100_001, "数量应在 ±100000 以内。"),
        ("十", "请填写整数。"),
    ],
)
def test_a_bad_restock_is_422_and_changes_nothing(client, staff, item, quantity, message):
    response = client.post(
        f"/api/v1/rewards/{item.id}/restock", json={"quantity": quantity}, headers=bearer(staff)
    )
    assert response.status_code == 422 and response.json["errors"] == {"quantity": [message]}
    assert stock_of(item) == 10


def test_delisting_and_relisting(client, staff, item):
    delist = f"/api/v1/rewards/{item.id}/delist"
    off = client.post(delist, headers=bearer(staff))
    assert off.status_code == 200
    assert off.json["status"] == "off_shelf" and off.json["status_label"] == "已下架"
    again = client.post(delist, headers=bearer(staff))
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert CHINESE.search(again.json["message"])
    on = client.post(f"/api/v1/rewards/{item.id}/relist", headers=bearer(staff))
    assert on.status_code == 200 and on.json["status"] == "on_shelf"


# --- pictures -----------------------------------------------------------------------------------


def test_a_png_is_stored_and_served_as_a_jpeg(client, staff, item):
    response = upload(client, item, staff, png(1200, 600))
    assert response.status_code == 200 and response.json["id"] == item.id
    url = response.json["picture_url"]
    assert url.startswith(f"/rewards/{item.id}/picture?v=")
    login(client, staff)
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as picture:
        assert picture.format == "JPEG" and picture.size == (800, 400)


def test_a_new_picture_replaces_the_old_one(client, staff, item):
    first = upload(client, item, staff, png(100, 100, "RGB")).json["picture_url"]
    second = upload(client, item, staff, png(300, 100, "RGB")).json["picture_url"]
    assert first != second
    assert len(db.session.scalars(sa.select(RewardPicture)).all()) == 1


def test_a_text_file_named_png_is_422(client, staff, item):
    response = upload(client, item, staff, "这不是图片\n".encode() * 50)
    assert response.status_code == 422 and response.json["code"] == "invalid"
    assert response.json["errors"] == {
        "picture": ["无法识别这张图片，请换一张 JPG、PNG 或 WebP 图片。"]
    }
    assert queries.picture_of(item.id) is None


def test_a_gif_is_422(client, staff, item):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    response = upload(client, item, staff, out.getvalue(), "bag.gif")
    assert response.status_code == 422
    assert response.json["errors"] == {"picture": ["只能上传 JPG、PNG 或 WebP 格式的图片。"]}


def test_a_picture_over_5_mb_is_422_with_a_clear_message(client, staff, item):
    response = upload(client, item, staff, png(10, 10) + b"\0" * (5 * 1024 * 1024))
    assert response.status_code == 422
    assert response.json["errors"] == {"picture": ["图片不能超过 5 MB，请换一张小一些的。"]}
    assert queries.picture_of(item.id) is None


def test_a_request_over_16_mb_is_413_with_a_clear_message(client, staff, item):
    response = upload(client, item, staff, b"\0" * (17 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"
    assert response.json["message"] == "上传的内容过大。"
    assert queries.picture_of(item.id) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {}, "content_type": "multipart/form-data"},
        {"data": {"picture": "not a file"}, "content_type": "multipart/form-data"},
        {"json": {"picture": "aGVsbG8="}},
    ],
)
def test_a_missing_file_is_422(client, staff, item, kwargs):
    response = client.put(f"/api/v1/rewards/{item.id}/picture", headers=bearer(staff), **kwargs)
    assert response.status_code == 422 and response.json["errors"] == {"picture": ["此项必填。"]}


def test_removing_the_picture(client, staff, item):
    upload(client, item, staff, png())
    response = client.delete(f"/api/v1/rewards/{item.id}/picture", headers=bearer(staff))
    assert response.status_code == 204 and response.data == b""
    assert (
        client.get(f"/api/v1/rewards/{item.id}", headers=bearer(staff)).json["picture_url"] is None
    )
    again = client.delete(f"/api/v1/rewards/{item.id}/picture", headers=bearer(staff))
    assert again.status_code == 204


# --- reserving ----------------------------------------------------------------------------------


def test_a_volunteer_reserves_and_her_points_are_held(client, community, volunteer, item):
    response = client.post(f"/api/v1/rewards/{item.id}/redemptions", headers=bearer(volunteer))
    assert response.status_code == 201
    body = response.json
    assert body["item_id"] == item.id and body["item_name"] == "环保购物袋"
    assert body["volunteer_id"] == volunteer.id and body["volunteer_name"] == volunteer.display_name
    assert "volunteer_phone" not in body  # staff only
    assert body["cost"] == 50 and body["status"] == "reserved" and body["status_label"] == "待领取"
    assert re.fullmatch(r"\d{8}", body["code"])
    assert body["pickup_url"] == f"http://localhost/supermarket/counter?code={body['code']}"
    assert body["reserved_at"].endswith("+08:00") and body["closed_at"] is None
    assert body["can_cancel"] is True and body["can_pickup"] is False
    assert points(volunteer, community) == (150, 50)
    assert stock_of(item) == 9


@pytest.mark.parametrize(
    "overrides, code, message",
    [
        (
            {"cost": 500},
            "insufficient_points",
            "积分不足：兑换需要 500 分，您的可用积分为 200 分。",
        ),
        ({"stock": 0}, "out_of_stock", "这件物品已经兑完了，请等补货后再来。"),
        ({"status": ItemStatus.OFF_SHELF}, "not_on_shelf", "这件物品已下架，暂不能兑换。"),
    ],
)
def test_a_refused_reservation_is_409_and_changes_nothing(
    client, community, volunteer, overrides, code, message
):
    item = make_reward_item(community, **overrides)
    stock = item.stock
    response = client.post(f"/api/v1/rewards/{item.id}/redemptions", headers=bearer(volunteer))
    assert response.status_code == 409
    assert response.json["code"] == code and response.json["message"] == message
    assert points(volunteer, community) == (200, 0)
    assert stock_of(item) == stock and _redemptions() == []


def test_past_the_monthly_limit_is_409_and_changes_nothing(client, community, volunteer):
    item = make_reward_item(community, monthly_limit=1, cost=50, stock=10)
    reserved(volunteer, item)
    response = client.post(f"/api/v1/rewards/{item.id}/redemptions", headers=bearer(volunteer))
    assert response.status_code == 409 and response.json["code"] == "limit_reached"
    assert response.json["message"] == "这件物品每人每月限兑 1 件，本月您已兑满。"
    assert points(volunteer, community) == (150, 50)
    assert stock_of(item) == 9 and len(_redemptions()) == 1


@pytest.mark.parametrize("make", [make_supermarket_staff, make_secretary, make_resident])
def test_only_the_communitys_volunteers_reserve(client, community, item, make):
    response = client.post(
        f"/api/v1/rewards/{item.id}/redemptions", headers=bearer(make(community))
    )
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert _redemptions() == [] and stock_of(item) == 10


def test_a_reservation_retried_with_its_key_is_made_once(client, community, volunteer, item):
    headers = {**bearer(volunteer), "Idempotency-Key": "redeem-7a1c"}
    path = f"/api/v1/rewards/{item.id}/redemptions"
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and len(_redemptions()) == 1
    assert points(volunteer, community) == (150, 50) and stock_of(item) == 9


def test_a_key_reused_for_another_item_is_409(client, community, volunteer, item):
    headers = {**bearer(volunteer), "Idempotency-Key": "redeem-7a1c"}
    other = make_reward_item(community)
    assert client.post(f"/api/v1/rewards/{item.id}/redemptions", headers=headers).status_code == 201
    response = client.post(f"/api/v1/rewards/{other.id}/redemptions", headers=headers)
    assert response.status_code == 409 and response.json["code"] == "idempotency_mismatch"
    assert response.json["message"] == "同一个 Idempotency-Key 已用于另一个请求。"
    assert len(_redemptions()) == 1 and points(volunteer, community) == (150, 50)
    assert stock_of(other) == 10


def test_a_key_over_128_characters_is_422(client, volunteer, item):
    headers = {**bearer(volunteer), "Idempotency-Key": "k" * 129}
    response = client.post(f"/api/v1/rewards/{item.id}/redemptions", headers=headers)
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]
    assert _redemptions() == []


def test_the_wallet_shows_available_and_held_points(client, community, volunteer, item):
    reserved(volunteer, item)
    response = client.get(
        f"/api/v1/rewards/wallet?community_id={community.id}", headers=bearer(volunteer)
    )
    assert response.status_code == 200
    assert response.json == {"community_id": community.id, "available": 150, "held": 50}


def test_the_wallet_needs_a_community(client, volunteer):
    response = client.get("/api/v1/rewards/wallet", headers=bearer(volunteer))
    assert response.status_code == 422 and response.json["errors"] == {
        "community_id": ["此项必填。"]
    }


# --- reading redemptions ------------------------------------------------------------------------


def test_a_volunteer_sees_her_own_and_staff_see_all(client, community, staff, volunteer, item):
    hers = reserved(volunteer, item)
    neighbour = make_volunteer(community, phone="13812345678")
    give_points(neighbour, community, 100)
    theirs = reserved(neighbour, item)
    own = client.get("/api/v1/redemptions", headers=bearer(volunteer)).json
    assert [r["id"] for r in own["items"]] == [hers.id] and own["total"] == 1
    everyone = client.get("/api/v1/redemptions", headers=bearer(staff)).json
    assert [r["id"] for r in everyone["items"]] == [theirs.id, hers.id]  # newest first
    assert everyone["items"][0]["volunteer_phone"] == "138****5678"
    assert everyone["items"][0]["can_pickup"] is True
    only = client.get(f"/api/v1/redemptions?volunteer_id={neighbour.id}", headers=bearer(staff))
    assert [r["id"] for r in only.json["items"]] == [theirs.id]
    assert (
        client.get(f"/api/v1/redemptions/{theirs.id}", headers=bearer(volunteer)).status_code == 404
    )
    detail = client.get(f"/api/v1/redemptions/{hers.id}", headers=bearer(volunteer))
    assert detail.status_code == 200 and detail.json["code"] == hers.code


def test_redemptions_filter_by_status(client, community, staff, volunteer, item):
    kept = reserved(volunteer, item)
    dropped = reserved(volunteer, item)
    service.cancel(volunteer, dropped.id, now=utcnow())
    response = client.get("/api/v1/redemptions?status=reserved", headers=bearer(staff))
    assert [r["id"] for r in response.json["items"]] == [kept.id]
    bad = client.get("/api/v1/redemptions?status=lost", headers=bearer(staff))
    assert bad.status_code == 422 and bad.json["errors"] == {"status": ["请从给定的选项中选择。"]}


@pytest.mark.parametrize("spelled", ["{}", "{0} {1}", "{0}-{1}"])
def test_the_counter_finds_a_redemption_by_its_code(
    client, community, staff, volunteer, item, spelled
):
    wanted = reserved(volunteer, item)
    reserved(volunteer, item)
    code = spelled.format(wanted.code[:4], wanted.code[4:]) if "{0}" in spelled else wanted.code
    response = client.get("/api/v1/redemptions", query_string={"code": code}, headers=bearer(staff))
    assert response.status_code == 200
    assert [r["id"] for r in response.json["items"]] == [wanted.id]


def test_a_code_from_another_supermarket_finds_nothing(client, staff):
    other = make_community()
    stranger = make_volunteer(other)
    give_points(stranger, other, 100)
    theirs = reserved(stranger, make_reward_item(other))
    response = client.get(f"/api/v1/redemptions?code={theirs.code}", headers=bearer(staff))
    assert response.status_code == 200 and response.json["total"] == 0


@pytest.mark.parametrize("who", ["volunteer", "staff"])
def test_the_qr_encodes_the_counters_link(client, volunteer, item, request, who):
    redemption = reserved(volunteer, item)
    response = client.get(
        f"/api/v1/redemptions/{redemption.id}/qr.svg",
        headers=bearer(request.getfixturevalue(who)),
    )
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "no-store" in response.headers["Cache-Control"]
    link = f"http://localhost/supermarket/counter?code={redemption.code}"
    expected = io.BytesIO()
    segno.make(link, error="m").save(
        expected, kind="svg", scale=8, border=2, title=redemption.item_name
    )
    assert response.data == expected.getvalue() and b"<svg" in response.data


def test_another_volunteer_gets_no_qr(client, community, volunteer, item):
    redemption = reserved(volunteer, item)
    response = client.get(
        f"/api/v1/redemptions/{redemption.id}/qr.svg", headers=bearer(make_volunteer(community))
    )
    assert response.status_code == 404 and response.json["code"] == "not_found"


# --- pickup and cancel --------------------------------------------------------------------------


def test_staff_hand_it_over_and_the_points_are_spent(client, community, staff, volunteer, item):
    redemption = reserved(volunteer, item)
    path = f"/api/v1/redemptions/{redemption.id}/pickup"
    response = client.post(path, headers=bearer(staff))
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "picked_up" and body["status_label"] == "已领取"
    assert body["closed_by_name"] == staff.display_name and body["closed_at"]
    assert body["can_pickup"] is False and body["can_cancel"] is False
    assert points(volunteer, community) == (150, 0)
    again = client.post(path, headers=bearer(staff))
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert CHINESE.search(again.json["message"])


def test_nobody_hands_over_her_own_redemption(client, community, item):
    staffer = staff_volunteer(community)
    redemption = reserved(staffer, item)
    response = client.post(f"/api/v1/redemptions/{redemption.id}/pickup", headers=bearer(staffer))
    assert response.status_code == 403 and response.json["code"] == "own_redemption"
    assert response.json["message"] == "不能为自己的兑换办理领取，请另一位工作人员办理。"
    db.session.refresh(redemption)
    assert redemption.status is RedemptionStatus.RESERVED


def test_a_volunteer_cannot_pick_up_her_own(client, community, volunteer, item):
    redemption = reserved(volunteer, item)
    response = client.post(f"/api/v1/redemptions/{redemption.id}/pickup", headers=bearer(volunteer))
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert points(volunteer, community) == (150, 50)


def test_an_overdue_reservation_is_not_handed_over(client, community, staff, volunteer, item):
    redemption = reserved(volunteer, item, now=utcnow() - timedelta(days=15))
    response = client.post(f"/api/v1/redemptions/{redemption.id}/pickup", headers=bearer(staff))
    assert response.status_code == 409 and response.json["code"] == "redemption_overdue"
    assert response.json["message"] == (
        "这个预约已超过领取期限，不能再领取；冻结的积分将自动退回。"
    )
    assert points(volunteer, community) == (150, 50)


def test_cancelling_returns_the_item_and_the_points_once(client, community, volunteer, item):
    redemption = reserved(volunteer, item)
    path = f"/api/v1/redemptions/{redemption.id}/cancel"
    response = client.post(path, json={}, headers=bearer(volunteer))
    assert response.status_code == 200
    assert response.json["status"] == "cancelled" and response.json["status_label"] == "已取消"
    assert points(volunteer, community) == (200, 0) and stock_of(item) == 10
    again = client.post(path, json={}, headers=bearer(volunteer))
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert points(volunteer, community) == (200, 0) and stock_of(item) == 10


def test_staff_cancel_with_a_reason_she_reads(client, community, staff, volunteer, item):
    redemption = reserved(volunteer, item)
    path = f"/api/v1/redemptions/{redemption.id}/cancel"
    refused = client.post(path, json={"reason": "  "}, headers=bearer(staff))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"reason": ["请写明取消的原因，志愿者会看到它。"]}
    assert points(volunteer, community) == (150, 50)
    done = client.post(path, json={"reason": "物品受潮，无法发放"}, headers=bearer(staff))
    assert done.status_code == 200 and done.json["cancel_reason"] == "物品受潮，无法发放"
    assert points(volunteer, community) == (200, 0)


def test_the_ledger_balances_after_reserve_pickup_and_cancel(
    client, community, staff, volunteer, item
):
    path = f"/api/v1/rewards/{item.id}/redemptions"
    kept = client.post(path, headers=bearer(volunteer)).json
    dropped = client.post(path, headers=bearer(volunteer)).json
    pickup = client.post(f"/api/v1/redemptions/{kept['id']}/pickup", headers=bearer(staff))
    cancel = client.post(
        f"/api/v1/redemptions/{dropped['id']}/cancel", json={}, headers=bearer(volunteer)
    )
    assert pickup.status_code == cancel.status_code == 200
    assert points(volunteer, community) == (150, 0) and stock_of(item) == 9
    report = ledger.check()
    assert report.ok, report


# --- the month's summary ------------------------------------------------------------------------


def test_the_summary_counts_points_spent_this_month(client, community, staff, volunteer, item):
    unit = make_unit(community, name="阳光物业")
    supplied = make_reward_item(community, name="理发券", cost=30, supplier_unit_id=unit.id)
    for thing in (item, item, supplied):
        service.pickup(staff, reserved(volunteer, thing).id, now=utcnow())
    reserved(volunteer, supplied)  # held, not spent
    response = client.get(
        f"/api/v1/rewards/summary?community_id={community.id}", headers=bearer(staff)
    )
    assert response.status_code == 200
    body = response.json
    assert body["community_id"] == community.id
    assert body["month"] == utcnow().astimezone(COMMUNITY_TZ).strftime("%Y-%m")
    assert body["rows"] == [
        {
            "item_id": item.id,
            "item_name": "环保购物袋",
            "supplier_unit_id": None,
            "supplier_name": None,
            "picked_up": 2,
            "points": 100,
        },
        {
            "item_id": supplied.id,
            "item_name": "理发券",
            "supplier_unit_id": unit.id,
            "supplier_name": "阳光物业",
            "picked_up": 1,
            "points": 30,
        },
    ]
    assert body["total_points"] == 130 and body["total_picked_up"] == 3


def test_a_past_month_without_pickups_is_empty(client, community, staff):
    response = client.get(
        f"/api/v1/rewards/summary?community_id={community.id}&month=2020-01",
        headers=bearer(staff),
    )
    assert response.status_code == 200
    assert response.json["month"] == "2020-01" and response.json["rows"] == []
    assert response.json["total_points"] == 0


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "十一月"])
def test_a_bad_month_is_422(client, community, staff, month):
    response = client.get(
        "/api/v1/rewards/summary",
        query_string={"community_id": community.id, "month": month},
        headers=bearer(staff),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"month": ["请按 年-月 填写月份，例如 2026-11。"]}


# --- the supermarket's staff and its pickup deadline --------------------------------------------


def test_the_secretary_names_and_removes_staff(client, community, secretary, staff):
    path = f"/api/v1/communities/{community.id}/supermarket-staff"
    listed = client.get(path, headers=bearer(secretary))
    assert listed.status_code == 200 and listed.json["total"] == 1
    [grant] = listed.json["items"]
    assert grant["user_id"] == staff.id and grant["display_name"] == staff.display_name
    newcomer = make_volunteer(community)
    added = client.post(path, json={"user_id": newcomer.id}, headers=bearer(secretary))
    assert added.status_code == 201
    assert added.json["user_id"] == newcomer.id and added.json["community_id"] == community.id
    assert added.json["display_name"] == newcomer.display_name
    stocks = client.post("/api/v1/rewards", json=new_item(community), headers=bearer(newcomer))
    assert stocks.status_code == 201
    removed = client.delete(
        f"/api/v1/supermarket-staff/{added.json['id']}", headers=bearer(secretary)
    )
    assert removed.status_code == 204
    assert [g["user_id"] for g in client.get(path, headers=bearer(secretary)).json["items"]] == [
        staff.id
    ]
    no_more = client.post("/api/v1/rewards", json=new_item(community), headers=bearer(newcomer))
    assert no_more.status_code == 403


def test_only_a_person_of_the_community_becomes_staff(client, community, secretary, staff):
    path = f"/api/v1/communities/{community.id}/supermarket-staff"
    stranger = make_volunteer(make_community())
    refused = client.post(path, json={"user_id": stranger.id}, headers=bearer(secretary))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"user_id": ["请选择本社区的人员。"]}
    twice = client.post(path, json={"user_id": staff.id}, headers=bearer(secretary))
    assert twice.status_code == 422
    assert twice.json["errors"] == {"user_id": [f"{staff.display_name} 已是积分超市管理员。"]}
    missing = client.post(path, json={}, headers=bearer(secretary))
    assert missing.status_code == 422 and missing.json["errors"] == {"user_id": ["此项必填。"]}
    assert len(stocking.staff_grants(community.id)) == 1


def test_the_secretary_sets_the_pickup_deadline(client, community, secretary, volunteer, item):
    response = client.put(
        f"/api/v1/communities/{community.id}/pickup-days",
        json={"pickup_days": 7},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json == {"community_id": community.id, "pickup_days": 7}
    redemption = reserved(volunteer, item)
    assert redemption.expires_at - redemption.reserved_at == timedelta(days=7)


@pytest.mark.parametrize("days", [0, 91, "一周", None])
def test_a_bad_pickup_deadline_is_422_and_changes_nothing(client, community, secretary, days):
    body = {} if days is None else {"pickup_days": days}
    response = client.put(
        f"/api/v1/communities/{community.id}/pickup-days", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422 and "pickup_days" in response.json["errors"]
    assert all_chinese(response.json["errors"])
    db.session.refresh(community)
    assert community.pickup_days == 14


# --- access -------------------------------------------------------------------------------------

ITEM_PATHS = [
    ("get", "", None),
    ("patch", "", {"cost": 60}),
    ("post", "/restock", {"quantity": 1}),
    ("post", "/delist", None),
    ("post", "/relist", None),
    ("put", "/picture", "file"),
    ("delete", "/picture", None),
    ("post", "/redemptions", None),
]


def _send(client, method, path, body, headers):
    if body == "file":
        return getattr(client, method)(
            path,
            data={"picture": (io.BytesIO(png(20, 20)), "a.png")},
            content_type="multipart/form-data",
            headers=headers,
        )
    return getattr(client, method)(path, json=body, headers=headers)


@pytest.mark.parametrize("method, path, body", ITEM_PATHS)
def test_another_communitys_item_is_404(client, secretary, method, path, body):
    theirs = make_reward_item(make_community())
    response = _send(client, method, f"/api/v1/rewards/{theirs.id}{path}", body, bearer(secretary))
    assert response.status_code == 404 and response.json["code"] == "not_found"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("get", "/qr.svg", None),
        ("post", "/pickup", None),
        ("post", "/cancel", {"reason": "不发了"}),
    ],
)
def test_another_communitys_redemption_is_404(client, staff, method, path, body):
    other = make_community()
    stranger = make_volunteer(other)
    give_points(stranger, other, 100)
    theirs = reserved(stranger, make_reward_item(other))
    response = getattr(client, method)(
        f"/api/v1/redemptions/{theirs.id}{path}", json=body, headers=bearer(staff)
    )
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.status is RedemptionStatus.RESERVED


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/v1/rewards", "new_item"),
        ("get", "/api/v1/rewards/summary?community_id={c}", None),
        ("get", "/api/v1/rewards/wallet?community_id={c}", None),
        ("get", "/api/v1/communities/{c}/supermarket-staff", None),
        ("post", "/api/v1/communities/{c}/supermarket-staff", {"user_id": 1}),
        ("put", "/api/v1/communities/{c}/pickup-days", {"pickup_days": 7}),
    ],
)
def test_another_communitys_supermarket_is_404(client, secretary, method, path, body):
    other = make_community()
    if body == "new_item":
        body = new_item(other)
    response = getattr(client, method)(
        path.format(c=other.id), json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


def test_another_communitys_staff_grant_is_404(client, secretary):
    theirs = make_supermarket_staff(make_community()).grants[0]
    response = client.delete(f"/api/v1/supermarket-staff/{theirs.id}", headers=bearer(secretary))
    assert response.status_code == 404


@pytest.mark.parametrize("method, path, body", [p for p in ITEM_PATHS if p[0] != "get"][:-1])
def test_a_volunteer_cannot_stock_the_shelf(client, volunteer, item, method, path, body):
    response = _send(client, method, f"/api/v1/rewards/{item.id}{path}", body, bearer(volunteer))
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert response.json["message"] == "您没有权限执行此操作。"
    db.session.refresh(item)
    assert (item.cost, item.stock, item.status) == (50, 10, ItemStatus.ON_SHELF)
    assert queries.picture_of(item.id) is None


SECRETARY_ONLY = [
    ("get", "/api/v1/communities/{c}/supermarket-staff", None),
    ("post", "/api/v1/communities/{c}/supermarket-staff", {"user_id": "{u}"}),
    ("put", "/api/v1/communities/{c}/pickup-days", {"pickup_days": 7}),
    ("delete", "/api/v1/supermarket-staff/{g}", None),
]


def _community_request(client, community, user, method, path, body):
    """Send ``path`` about the community; a grant and a person of it fill {g} and {u}."""
    grant = make_supermarket_staff(community).grants[0]
    person = make_volunteer(community)
    if body == "new_item":
        body = new_item(community)
    elif body is not None:
        body = {k: person.id if v == "{u}" else v for k, v in body.items()}
    path = path.format(c=community.id, g=grant.id)
    return getattr(client, method)(path, json=body, headers=bearer(user))


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/v1/rewards", "new_item"),
        ("get", "/api/v1/rewards/summary?community_id={c}", None),
        *SECRETARY_ONLY,
    ],
)
def test_a_volunteer_cannot_run_the_supermarket(client, community, volunteer, method, path, body):
    response = _community_request(client, community, volunteer, method, path, body)
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert _items() == [] and len(stocking.staff_grants(community.id)) == 1
    db.session.refresh(community)
    assert community.pickup_days == 14


@pytest.mark.parametrize("method, path, body", SECRETARY_ONLY)
def test_supermarket_staff_neither_name_staff_nor_set_the_deadline(
    client, community, staff, method, path, body
):
    response = _community_request(client, community, staff, method, path, body)
    assert response.status_code == 403
    assert len(stocking.staff_grants(community.id)) == 2  # the fixture's and the helper's
    db.session.refresh(community)
    assert community.pickup_days == 14


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/rewards"),
        ("post", "/api/v1/rewards"),
        ("get", "/api/v1/rewards/1"),
        ("patch", "/api/v1/rewards/1"),
        ("put", "/api/v1/rewards/1/picture"),
        ("delete", "/api/v1/rewards/1/picture"),
        ("get", "/api/v1/rewards/wallet"),
        ("get", "/api/v1/rewards/summary"),
        ("get", "/api/v1/redemptions"),
        ("get", "/api/v1/redemptions/1"),
        ("get", "/api/v1/redemptions/1/qr.svg"),
        ("get", "/api/v1/communities/1/supermarket-staff"),
        ("post", "/api/v1/communities/1/supermarket-staff"),
        ("delete", "/api/v1/supermarket-staff/1"),
        ("put", "/api/v1/communities/1/pickup-days"),
    ]
    + [
        ("post", f"/api/v1/rewards/1/{action}")
        for action in ("restock", "delist", "relist", "redemptions")
    ]
    + [("post", f"/api/v1/redemptions/1/{action}") for action in ("pickup", "cancel")],
)
def test_the_rewards_api_needs_a_token(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401 and response.json["code"] == "unauthorized"


# --- the contract -------------------------------------------------------------------------------


def test_openapi_documents_the_rewards_api(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert {
        "/api/v1/rewards",
        "/api/v1/rewards/{item_id}",
        "/api/v1/rewards/{item_id}/restock",
        "/api/v1/rewards/{item_id}/delist",
        "/api/v1/rewards/{item_id}/relist",
        "/api/v1/rewards/{item_id}/picture",
        "/api/v1/rewards/{item_id}/redemptions",
        "/api/v1/rewards/wallet",
        "/api/v1/rewards/summary",
        "/api/v1/redemptions",
        "/api/v1/redemptions/{redemption_id}",
        "/api/v1/redemptions/{redemption_id}/qr.svg",
        "/api/v1/redemptions/{redemption_id}/pickup",
        "/api/v1/redemptions/{redemption_id}/cancel",
        "/api/v1/communities/{community_id}/supermarket-staff",
        "/api/v1/supermarket-staff/{grant_id}",
        "/api/v1/communities/{community_id}/pickup-days",
    } <= set(paths)
    reserve = paths["/api/v1/rewards/{item_id}/redemptions"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(reserve["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in reserve["parameters"])
    picture = paths["/api/v1/rewards/{item_id}/picture"]["put"]
    assert "multipart/form-data" in picture["requestBody"]["content"]
    assert {"200", "413", "422"} <= set(picture["responses"])
    assert picture["responses"]["413"]["$ref"].rsplit("/", 1)[1] in spec["components"]["responses"]
    qr = paths["/api/v1/redemptions/{redemption_id}/qr.svg"]["get"]["responses"]
    assert "image/svg+xml" in qr["200"]["content"]
    assert "204" in paths["/api/v1/supermarket-staff/{grant_id}"]["delete"]["responses"]
    item = spec["components"]["schemas"]["ItemOut"]["properties"]
    assert {"mine", "picture_url", "low_on_stock"} <= set(item)
    redemption = spec["components"]["schemas"]["RedemptionOut"]["properties"]
    assert {"code", "pickup_url", "can_pickup", "can_cancel"} <= set(redemption)
