"""Correcting a unit's details: its liaison or a secretary of a community it serves, the name
still unique, never over someone else's save."""

from datetime import date

import pytest

from coop.alliance import errors, service
from coop.alliance.models import UnitKind
from coop.errors import Forbidden, NotFound, VersionConflict
from coop.extensions import db
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_liaison,
    make_resident,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(
        community,
        name="康达物业",
        kind=UnitKind.STATIONED,
        contact_name="王经理",
        contact_phone="13900001111",
        address="兴旺路 8 号",
    )


# --- the service ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison", "secretary"])
def test_the_liaison_and_the_secretary_correct_a_units_details(community, unit, who):
    actor = make_liaison(unit) if who == "liaison" else make_secretary(community)
    service.edit_unit(
        actor,
        unit.id,
        version=1,
        name="康达物业服务有限公司",
        kind=UnitKind.SOCIAL,
        address="兴旺路 10 号",
        contact_name="李经理",
        contact_phone="0477-1234567",
        description="小区物业",
    )
    db.session.flush()
    assert (unit.name, unit.kind, unit.contact_name, unit.version) == (
        "康达物业服务有限公司",
        UnitKind.SOCIAL,
        "李经理",
        2,
    )


def test_the_secretary_of_any_community_the_unit_serves_may_correct_it(unit):
    second = make_community()
    secretary = make_secretary(second)
    service.link_unit(secretary, second.id, unit.id, joined_on=date(2026, 1, 1))
    db.session.expire(unit)  # as a new request would load it
    assert service.edit_unit(secretary, unit.id, version=1, address="新址").address == "新址"


def test_a_unit_name_stays_unique(community, unit):
    make_unit(community, name="区人民医院")
    with pytest.raises(errors.UnitNameTaken) as refused:
        service.edit_unit(make_liaison(unit), unit.id, version=1, name="区人民医院")
    assert "name" in refused.value.errors and unit.name == "康达物业"


def test_keeping_its_own_name_is_not_a_clash(unit):
    edited = service.edit_unit(make_liaison(unit), unit.id, version=1, name="康达物业")
    assert edited.name == "康达物业"


def test_a_stale_version_changes_nothing(community, unit):
    secretary = make_secretary(community)
    service.edit_unit(secretary, unit.id, version=1, address="新地址")
    db.session.flush()
    with pytest.raises(VersionConflict):
        service.edit_unit(make_liaison(unit), unit.id, version=1, address="另一个地址")
    assert unit.address == "新地址" and unit.version == 2


@pytest.mark.parametrize(
    "who, error",
    [
        ("other_liaison", Forbidden),
        ("volunteer", Forbidden),
        ("street_admin", Forbidden),
        ("other_secretary", NotFound),
    ],
)
def test_others_may_not_correct_a_unit(community, unit, who, error):
    actor = {
        "other_liaison": lambda: make_liaison(make_unit(community)),
        "volunteer": lambda: make_volunteer(community),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    with pytest.raises(error):
        service.edit_unit(actor, unit.id, version=1, name="改掉")
    assert unit.name == "康达物业"


# --- the API -------------------------------------------------------------------------------


def test_patch_answers_the_unit_with_its_new_version(client, community, unit):
    response = client.patch(
        f"/api/v1/units/{unit.id}",
        json={"version": 1, "description": "提供物业维修"},
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 200
    assert response.json["description"] == "提供物业维修" and response.json["version"] == 2


def test_a_stale_patch_is_409_version_conflict_and_changes_nothing(client, community, unit):
    unit.address = "别人刚改的地址"
    db.session.flush()
    response = client.patch(
        f"/api/v1/units/{unit.id}",
        json={"version": 1, "address": "我的地址"},
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    db.session.refresh(unit)
    assert (unit.address, unit.version) == ("别人刚改的地址", 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 1, "name": "区"}, "name"),
        ({"version": 1, "kind": "army"}, "kind"),
        ({"version": 1, "contact_phone": "call me"}, "contact_phone"),
        ({"version": 1, "joined_on": "2026-01-01"}, "joined_on"),
        ({"name": "没有版本的单位"}, "version"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, unit, body, field):
    response = client.patch(
        f"/api/v1/units/{unit.id}", json=body, headers=bearer(make_liaison(unit))
    )
    assert response.status_code == 422 and field in response.json["errors"]
    db.session.refresh(unit)
    assert (unit.name, unit.version) == ("康达物业", 1)


def test_a_taken_name_is_422_naming_the_name(client, community, unit):
    make_unit(community, name="区人民医院")
    response = client.patch(
        f"/api/v1/units/{unit.id}",
        json={"version": 1, "name": "区人民医院"},
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 422 and response.json["code"] == "unit_name_taken"
    assert "name" in response.json["errors"]


@pytest.mark.parametrize(
    "who, status",
    [
        ("liaison", 200),
        ("secretary", 200),
        ("other_liaison", 403),
        ("resident", 403),
        ("street_admin", 403),
        ("other_secretary", 404),
    ],
)
def test_who_may_patch_a_unit(client, community, unit, who, status):
    actor = {
        "liaison": lambda: make_liaison(unit),
        "secretary": lambda: make_secretary(community),
        "other_liaison": lambda: make_liaison(make_unit(community)),
        "resident": lambda: make_resident(community),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    response = client.patch(
        f"/api/v1/units/{unit.id}", json={"version": 1, "address": "改"}, headers=bearer(actor)
    )
    assert response.status_code == status


# --- the page ------------------------------------------------------------------------------


def test_the_unit_page_offers_editing_to_its_editors_only(client, community, unit):
    login(client, make_liaison(unit))
    assert f"/units/{unit.id}/edit" in client.get(f"/units/{unit.id}").get_data(as_text=True)
    login(client, make_volunteer(community))
    html = client.get(f"/units/{unit.id}").get_data(as_text=True)
    assert f"/units/{unit.id}/edit" not in html
    assert client.get(f"/units/{unit.id}/edit").status_code == 403


def test_the_edit_page_is_filled_in_with_the_unit_and_its_version(client, community, unit):
    login(client, make_secretary(community))
    html = client.get(f"/units/{unit.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html and 'value="康达物业"' in html
    assert 'value="王经理"' in html and 'value="13900001111"' in html
    assert 'value="stationed" selected' in html and "joined_on" not in html


def _form(client, unit, **overrides) -> dict:
    return {
        "csrf_token": csrf(client, f"/units/{unit.id}/edit"),
        "version": "1",
        "name": "康达物业服务有限公司",
        "kind": "stationed",
        "contact_name": "王经理",
        **overrides,
    }


def test_saving_the_edit_page_corrects_the_unit(client, community, unit):
    login(client, make_secretary(community))
    response = client.post(f"/units/{unit.id}/edit", data=_form(client, unit))
    assert response.location == f"/units/{unit.id}"
    db.session.refresh(unit)
    # a field left blank is cleared, as on the creation form
    assert (unit.name, unit.address, unit.version) == ("康达物业服务有限公司", "", 2)


def test_a_bad_edit_comes_back_with_the_message_beside_the_field(client, community, unit):
    make_unit(community, name="区人民医院")
    login(client, make_liaison(unit))
    response = client.post(f"/units/{unit.id}/edit", data=_form(client, unit, name="区人民医院"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "已有同名的联盟单位。" in html and 'name="version" value="1"' in html
    db.session.refresh(unit)
    assert unit.name == "康达物业"


def test_an_edit_over_someone_elses_save_comes_back_with_409(client, community, unit):
    login(client, make_liaison(unit))
    form = _form(client, unit)
    unit.description = "别人刚改过"
    db.session.flush()
    response = client.post(f"/units/{unit.id}/edit", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "已被他人修改，请刷新后再改。" in html and 'value="康达物业服务有限公司"' in html
    db.session.refresh(unit)
    assert unit.name == "康达物业"
