"""Correcting an offer: only before it is listed, by its unit or the secretary, never over
someone else's save."""

from datetime import date
from decimal import Decimal

import pytest

from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.resources import service
from coop.resources.errors import ResourceNotEditable
from coop.resources.models import ResourceKind, ResourceStatus
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_liaison,
    make_resident,
    make_resource,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

OFFERED, LISTED, RETURNED, WITHDRAWN = (
    ResourceStatus.OFFERED,
    ResourceStatus.LISTED,
    ResourceStatus.RETURNED,
    ResourceStatus.WITHDRAWN,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="区人民医院")


@pytest.fixture
def liaison(unit):
    return make_liaison(unit)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def offered(community, unit):
    return make_resource(
        unit, community, status=OFFERED, title="周末义诊", quantity=Decimal("12.5")
    )


# --- the service ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [OFFERED, RETURNED])
def test_an_offer_not_yet_listed_is_corrected_by_its_unit(community, unit, liaison, status):
    resource = make_resource(unit, community, status=status)
    edited = service.edit_resource(
        liaison,
        resource.id,
        version=1,
        title="义诊与健康讲座",
        kind=ResourceKind.EXPERTISE,
        quantity=Decimal(20),
        neighbourhood_ids=[community.neighbourhoods[1].id],
    )
    assert (edited.title, edited.kind, edited.quantity) == (
        "义诊与健康讲座",
        ResourceKind.EXPERTISE,
        Decimal(20),
    )
    assert edited.neighbourhoods == [community.neighbourhoods[1]]
    assert edited.version == 2 and edited.status is status


@pytest.mark.parametrize("status, says", [(LISTED, "请撤回后重新发布"), (WITHDRAWN, "请重新申报")])
def test_a_listed_or_withdrawn_offer_is_not_corrected(community, unit, liaison, status, says):
    resource = make_resource(unit, community, status=status, title="原来的名字")
    with pytest.raises(ResourceNotEditable) as refused:
        service.edit_resource(liaison, resource.id, version=1, title="新名字")
    assert refused.value.status == 409 and says in refused.value.message
    assert resource.title == "原来的名字" and resource.version == 1


def test_the_secretary_corrects_an_offer_for_the_unit(offered, secretary):
    assert service.edit_resource(secretary, offered.id, version=1, title="义诊").title == "义诊"


def test_a_stale_version_changes_nothing(offered, liaison):
    service.edit_resource(liaison, offered.id, version=1, title="第一次修改")
    with pytest.raises(VersionConflict):
        service.edit_resource(liaison, offered.id, version=1, title="第二个人的修改")
    assert offered.title == "第一次修改" and offered.version == 2


def test_changing_only_the_neighbourhoods_bumps_the_version(community, offered, liaison):
    service.edit_resource(
        liaison, offered.id, version=1, neighbourhood_ids=[community.neighbourhoods[0].id]
    )
    db.session.flush()
    assert offered.version == 2


def test_another_units_liaison_may_not_correct_an_offer(community, offered):
    other = make_liaison(make_unit(community))
    with pytest.raises(NotFound):  # another unit's offer is not even visible before listing
        service.edit_resource(other, offered.id, version=1, title="改掉")
    listed = make_resource(offered.unit, community, status=LISTED)
    with pytest.raises(Forbidden):
        service.edit_resource(other, listed.id, version=1, title="改掉")


def test_an_offer_moves_only_to_a_unit_of_the_alliance(community, offered, secretary):
    outsider = make_unit(make_community())
    with pytest.raises(Invalid) as refused:
        service.edit_resource(secretary, offered.id, version=1, unit_id=outsider.id)
    assert "unit_id" in refused.value.errors
    other = make_unit(community)
    assert service.edit_resource(secretary, offered.id, version=1, unit_id=other.id).unit == other


def test_a_liaison_may_not_hand_her_offer_to_another_unit(community, offered, liaison):
    with pytest.raises(Forbidden):
        service.edit_resource(liaison, offered.id, version=1, unit_id=make_unit(community).id)


def test_the_window_is_checked_against_the_stored_start(community, unit, liaison):
    resource = make_resource(unit, community, status=OFFERED, available_from=date(2026, 12, 1))
    with pytest.raises(Invalid) as refused:
        service.edit_resource(liaison, resource.id, version=1, available_until=date(2026, 11, 1))
    assert "available_until" in refused.value.errors


# --- the API -------------------------------------------------------------------------------


def test_patch_answers_the_resource_with_its_new_version(client, offered, liaison):
    response = client.patch(
        f"/api/v1/resources/{offered.id}",
        json={"version": 1, "title": "义诊与健康讲座", "quantity": "30"},
        headers=bearer(liaison),
    )
    assert response.status_code == 200
    assert response.json["title"] == "义诊与健康讲座" and response.json["quantity"] == 30
    assert response.json["version"] == 2


def test_a_stale_patch_is_409_version_conflict_and_changes_nothing(client, offered, liaison):
    offered.title = "别人刚改过"
    db.session.flush()
    response = client.patch(
        f"/api/v1/resources/{offered.id}",
        json={"version": 1, "title": "我的修改"},
        headers=bearer(liaison),
    )
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    assert response.json["message"] == "已被他人修改，请刷新后再改。"
    db.session.refresh(offered)
    assert (offered.title, offered.version) == ("别人刚改过", 2)


def test_patching_a_listed_resource_says_withdraw_and_offer_again(client, community, unit, liaison):
    resource = make_resource(unit, community, status=LISTED, title="会议室")
    response = client.patch(
        f"/api/v1/resources/{resource.id}",
        json={"version": 1, "title": "大会议室"},
        headers=bearer(liaison),
    )
    assert response.status_code == 409 and response.json["code"] == "resource_not_editable"
    assert "撤回后重新发布" in response.json["message"]
    db.session.refresh(resource)
    assert resource.title == "会议室"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 1, "quantity": "0"}, "quantity"),
        ({"version": 1, "title": " "}, "title"),
        (
            {"version": 1, "available_from": "2027-01-02", "available_until": "2027-01-01"},
            "available_until",
        ),
        ({"title": "没有版本"}, "version"),
        ({"version": 1, "colour": "red"}, "colour"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, offered, liaison, body, field):
    response = client.patch(f"/api/v1/resources/{offered.id}", json=body, headers=bearer(liaison))
    assert response.status_code == 422 and field in response.json["errors"]
    db.session.refresh(offered)
    assert (offered.title, offered.version) == ("周末义诊", 1)


@pytest.mark.parametrize(
    "who, status",
    [
        ("liaison", 200),
        ("secretary", 200),
        ("other_liaison", 404),
        ("liaison_of_a_listed_one", 403),
        ("resident", 404),
        ("volunteer", 404),
        ("street_admin", 404),
        ("other_secretary", 404),
    ],
)
def test_who_may_patch_an_offer(client, community, unit, offered, who, status):
    people = {
        "liaison": lambda: make_liaison(unit),
        "secretary": lambda: make_secretary(community),
        "other_liaison": lambda: make_liaison(make_unit(community)),
        "liaison_of_a_listed_one": lambda: make_liaison(make_unit(community)),
        "resident": lambda: make_resident(community),
        "volunteer": lambda: make_volunteer(community),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }
    resource = offered
    if who == "liaison_of_a_listed_one":  # she sees a listed resource, so 403, not 404
        resource = make_resource(unit, community, status=LISTED)
    response = client.patch(
        f"/api/v1/resources/{resource.id}",
        json={"version": 1, "title": "改名"},
        headers=bearer(people[who]()),
    )
    assert response.status_code == status


# --- the page ------------------------------------------------------------------------------


def test_the_edit_page_is_filled_in_with_the_offer_and_its_version(
    client, community, unit, liaison
):
    resource = make_resource(
        unit,
        community,
        status=RETURNED,
        title="义诊",
        description="每月一次",
        quantity=Decimal("12.5"),
        unit_of_measure="小时",
        available_from=date(2026, 12, 1),
        neighbourhoods=[community.neighbourhoods[1]],
    )
    login(client, liaison)
    html = client.get(f"/resources/{resource.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html
    assert 'value="义诊"' in html and "每月一次" in html and 'value="12.50"' in html
    assert 'value="2026-12-01"' in html and 'value="小时"' in html
    assert f'value="{community.neighbourhoods[1].id}" checked' in html
    assert 'name="form_token"' not in html


def _form(client, resource, **overrides) -> dict:
    path = f"/resources/{resource.id}/edit"
    return {
        "csrf_token": csrf(client, path),
        "version": "1",
        "unit_id": str(resource.unit_id),
        "kind": "expertise",
        "title": "义诊与健康讲座",
        "quantity": "20",
        "unit_of_measure": "小时",
        **overrides,
    }


def test_saving_the_edit_page_corrects_the_offer(client, community, offered, liaison):
    login(client, liaison)
    response = client.post(f"/resources/{offered.id}/edit", data=_form(client, offered))
    assert response.location == f"/communities/{community.id}/resources"
    db.session.refresh(offered)
    assert (offered.title, offered.quantity, offered.version) == (
        "义诊与健康讲座",
        Decimal(20),
        2,
    )


def test_a_bad_edit_comes_back_with_the_message_beside_the_field(client, offered, liaison):
    login(client, liaison)
    response = client.post(
        f"/resources/{offered.id}/edit", data=_form(client, offered, quantity="-1")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "数量应大于 0。" in html
    assert 'value="义诊与健康讲座"' in html and 'name="version" value="1"' in html
    db.session.refresh(offered)
    assert offered.title == "周末义诊"


def test_an_edit_over_someone_elses_save_comes_back_with_409(client, offered, liaison):
    login(client, liaison)
    form = _form(client, offered)
    offered.title = "别人刚改过"
    db.session.flush()
    response = client.post(f"/resources/{offered.id}/edit", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "已被他人修改，请刷新后再改。" in html
    assert 'value="义诊与健康讲座"' in html
    db.session.refresh(offered)
    assert offered.title == "别人刚改过"


def test_the_edit_page_of_a_listed_resource_says_withdraw_first(client, community, unit, liaison):
    resource = make_resource(unit, community, status=LISTED)
    login(client, liaison)
    response = client.get(f"/resources/{resource.id}/edit")
    assert response.status_code == 409
    assert "撤回后重新发布" in response.get_data(as_text=True)


def test_the_unit_finds_the_edit_button_on_its_offers(client, community, offered, liaison):
    make_resource(offered.unit, community, status=LISTED, title="已列入的会议室")
    login(client, liaison)
    html = client.get(f"/communities/{community.id}/resources").get_data(as_text=True)
    assert html.count("/edit") == 1 and f"/resources/{offered.id}/edit" in html
