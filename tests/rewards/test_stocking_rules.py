"""Stocking the shelf: who may, what a supplier may be, stock changes in one statement, and
pictures are checked for what they really are and re-encoded."""

import io

import pytest
from PIL import Image

from coop import pictures
from coop.auth.models import Role
from coop.errors import Forbidden, Invalid, NotFound
from coop.rewards import errors, stocking
from coop.rewards.models import ItemStatus
from coop.states import IllegalTransition
from tests.factories import (
    make_community,
    make_reward_item,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def staff(community):
    return make_supermarket_staff(community)


def png(width=1600, height=1200, mode="RGBA", colour=(200, 30, 30, 128)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, "PNG")
    return out.getvalue()


def test_staff_put_a_unit_supplied_item_on_the_shelf(community, staff):
    unit = make_unit(community)
    item = stocking.add_item(
        staff, community.id, name="家电清洗券", cost=120, stock=5, supplier_unit_id=unit.id
    )
    assert item.status is ItemStatus.ON_SHELF and item.supplier is unit
    assert item.created_by_id == staff.id


def test_a_supplier_must_be_in_the_communitys_alliance(community, staff):
    with pytest.raises(Invalid) as refused:
        stocking.add_item(
            staff,
            community.id,
            name="外单位物品",
            cost=10,
            stock=1,
            supplier_unit_id=make_unit(make_community()).id,
        )
    assert "supplier_unit_id" in refused.value.errors


@pytest.mark.parametrize("who", ["volunteer", "secretary_elsewhere"])
def test_only_the_communitys_staff_stock_the_shelf(community, who):
    actor = make_volunteer(community) if who == "volunteer" else make_secretary(make_community())
    with pytest.raises(Forbidden if who == "volunteer" else NotFound):
        stocking.add_item(actor, community.id, name="大米", cost=10, stock=1)


def test_the_secretary_stocks_the_shelf_too(community):
    item = stocking.add_item(make_secretary(community), community.id, name="大米", cost=10, stock=1)
    assert item.id


def test_restocking_adds_and_reporting_a_loss_takes_off(community, staff):
    item = make_reward_item(community, stock=4)
    assert stocking.restock(staff, item.id, quantity=6).stock == 10
    assert stocking.restock(staff, item.id, quantity=-3).stock == 7


@pytest.mark.parametrize("quantity", [0, -8, stocking.MAX_STOCK])
def test_a_restock_that_makes_no_sense_changes_nothing(community, staff, quantity):
    item = make_reward_item(community, stock=7)
    with pytest.raises(Invalid) as refused:
        stocking.restock(staff, item.id, quantity=quantity)
    assert refused.value.errors["quantity"]
    assert item.stock == 7


def test_delisting_twice_is_an_illegal_transition(community, staff):
    item = make_reward_item(community)
    stocking.delist(staff, item.id)
    with pytest.raises(IllegalTransition):
        stocking.delist(staff, item.id)
    assert stocking.relist(staff, item.id).status is ItemStatus.ON_SHELF


def test_a_picture_is_resized_to_a_jpeg_on_white(community, staff):
    item = make_reward_item(community)
    picture = stocking.set_picture(staff, item.id, png())
    assert (picture.width, picture.height) == (800, 600)
    assert picture.content_type == "image/jpeg"
    decoded = Image.open(io.BytesIO(picture.data))
    assert decoded.format == "JPEG" and decoded.mode == "RGB"
    _red, green, _blue = decoded.getpixel((10, 10))
    assert green > 100  # half-transparent red on white is pink, not dark red on black


def test_a_new_picture_replaces_the_old_one(community, staff):
    item = make_reward_item(community)
    first = stocking.set_picture(staff, item.id, png(colour=(0, 0, 255, 255)))
    etag = first.etag
    second = stocking.set_picture(staff, item.id, png(colour=(0, 255, 0, 255)))
    assert second.item_id == item.id and second.etag != etag


def test_a_phone_photo_is_turned_upright_and_loses_its_exif(community, staff):
    photo = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif)
    picture = stocking.set_picture(staff, make_reward_item(community).id, out.getvalue())
    assert (picture.width, picture.height) == (200, 400)
    assert not Image.open(io.BytesIO(picture.data)).getexif()


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (b"", "请选择"),
        (b"not a picture at all", "无法识别"),
        (b"GIF89a" + b"\0" * 100, "无法识别"),
        (b"\xff" * (pictures.MAX_UPLOAD_BYTES + 1), "5 MB"),
    ],
    ids=["empty", "text", "broken_gif", "too_big"],
)
def test_an_upload_that_is_not_a_usable_picture_is_refused(community, staff, upload, says):
    item = make_reward_item(community)
    with pytest.raises(errors.BadPicture) as refused:
        stocking.set_picture(staff, item.id, upload)
    assert says in refused.value.errors["picture"][0]
    assert item.picture is None


def test_a_gif_is_refused_by_what_it_is(community, staff):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(errors.BadPicture) as refused:
        stocking.set_picture(staff, make_reward_item(community).id, out.getvalue())
    assert "JPG、PNG 或 WebP" in refused.value.errors["picture"][0]


def test_a_huge_canvas_is_refused_before_it_is_decoded(community, staff, monkeypatch):
    monkeypatch.setattr(pictures, "MAX_PIXELS", 100 * 100)
    with pytest.raises(errors.BadPicture) as refused:
        stocking.set_picture(staff, make_reward_item(community).id, png(200, 200))
    assert "尺寸过大" in refused.value.errors["picture"][0]


def test_the_secretary_names_and_removes_supermarket_staff(community):
    secretary = make_secretary(community)
    volunteer = make_volunteer(community)
    grant = stocking.grant_staff(secretary, community.id, volunteer.id)
    assert volunteer.has_role(Role.SUPERMARKET_STAFF)
    assert stocking.staff_grants(community.id) == [grant]
    with pytest.raises(Invalid):
        stocking.grant_staff(secretary, community.id, volunteer.id)
    stocking.revoke_staff(secretary, grant.id)
    assert not volunteer.has_role(Role.SUPERMARKET_STAFF)


def test_staff_cannot_name_more_staff(community, staff):
    with pytest.raises(Forbidden):
        stocking.grant_staff(staff, community.id, make_volunteer(community).id)


def test_only_people_of_the_community_become_its_staff(community):
    with pytest.raises(Invalid):
        stocking.grant_staff(
            make_secretary(community), community.id, make_volunteer(make_community()).id
        )


def test_the_pickup_deadline_is_set_by_the_secretary(community, staff):
    stocking.set_pickup_days(make_secretary(community), community.id, 7)
    assert community.pickup_days == 7
    with pytest.raises(Forbidden):
        stocking.set_pickup_days(staff, community.id, 30)
