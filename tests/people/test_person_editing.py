"""Correcting a person's details: the secretary of her community, or she herself her name,
phone and skills; the phone one person's only; her user row's version guards it all."""

import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.auth.models import Role, RoleGrant
from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.people import editing
from coop.people.models import ResidentProfile
from coop.uow import unit_of_work
from coop.versioning import touch
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_liaison,
    make_resident,
    make_secretary,
    make_street_admin,
    make_supermarket_staff,
    make_unit,
    make_user,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def volunteer(community):
    person = make_volunteer(community, display_name="王小明", phone="13800001111")
    person.volunteer.skills = ["理发"]
    db.session.flush()
    return person


@pytest.fixture
def resident(community):
    person = make_resident(community, display_name="刘桂兰", phone="13700002222")
    db.session.add(
        ResidentProfile(
            user=person,
            community_id=community.id,
            neighbourhood_id=community.neighbourhoods[0].id,
            address="阳光苑3号楼2单元",
        )
    )
    db.session.flush()
    return person


# --- the service ---------------------------------------------------------------------------


def test_the_secretary_corrects_a_volunteers_details(community, secretary, volunteer):
    unit = make_unit(community)
    editing.edit_person(
        secretary,
        volunteer.id,
        version=1,
        display_name="王晓明",
        phone="13800009999",
        skills=["理发", "维修家电"],
        is_party_member=False,
        work_unit_id=unit.id,
    )
    db.session.flush()
    profile = volunteer.volunteer
    assert (volunteer.display_name, volunteer.phone, volunteer.version) == (
        "王晓明",
        "13800009999",
        2,
    )
    assert (profile.skills, profile.is_party_member, profile.work_unit_id) == (
        ["理发", "维修家电"],
        False,
        unit.id,
    )


def test_the_secretary_corrects_a_residents_neighbourhood_and_address(
    community, secretary, resident
):
    second = community.neighbourhoods[1]
    editing.edit_person(
        secretary, resident.id, version=1, neighbourhood_id=second.id, address="阳光苑5号楼"
    )
    assert (resident.resident.neighbourhood_id, resident.resident.address) == (
        second.id,
        "阳光苑5号楼",
    )


def test_a_neighbourhood_of_another_community_is_refused(secretary, resident):
    elsewhere = make_community().neighbourhoods[0]
    with pytest.raises(Invalid) as refused:
        editing.edit_person(secretary, resident.id, version=1, neighbourhood_id=elsewhere.id)
    assert "neighbourhood_id" in refused.value.errors


def test_a_secretary_of_a_community_the_unit_serves_corrects_its_liaison(community, secretary):
    liaison = make_liaison(make_unit(community), display_name="张联络")
    editing.edit_person(secretary, liaison.id, version=1, display_name="张立")
    assert liaison.display_name == "张立"


def test_skills_alone_bump_her_version(secretary, volunteer):
    """Her skills live on her volunteer profile; her user row's version still guards them."""
    editing.edit_person(secretary, volunteer.id, version=1, skills=["书法"])
    db.session.flush()
    assert volunteer.version == 2
    with pytest.raises(VersionConflict):
        editing.edit_person(secretary, volunteer.id, version=1, skills=["绘画"])
    assert volunteer.volunteer.skills == ["书法"]


def test_she_corrects_her_own_name_phone_and_skills(volunteer):
    editing.edit_person(
        volunteer, volunteer.id, version=1, display_name="王晓明", phone="", skills=["摄影"]
    )
    assert (volunteer.display_name, volunteer.phone, volunteer.volunteer.skills) == (
        "王晓明",
        None,
        ["摄影"],
    )


@pytest.mark.parametrize("change", [{"is_party_member": False}, {"work_unit_id": None}])
def test_her_party_membership_is_the_communitys_record(volunteer, change):
    with pytest.raises(Forbidden):
        editing.edit_person(volunteer, volunteer.id, version=1, **change)
    assert volunteer.volunteer.is_party_member is True and volunteer.version == 1


@pytest.mark.parametrize(
    "who, change", [("resident", {"skills": ["理发"]}), ("volunteer", {"address": "某处"})]
)
def test_a_detail_she_does_not_have_is_refused_by_name(secretary, volunteer, resident, who, change):
    person = resident if who == "resident" else volunteer
    with pytest.raises(Invalid) as refused:
        editing.edit_person(secretary, person.id, version=1, **change)
    assert list(refused.value.errors) == list(change)


def test_a_phone_belongs_to_one_person(community, secretary, volunteer, resident):
    with pytest.raises(Invalid) as refused:
        editing.edit_person(secretary, resident.id, version=1, phone="13800001111")
    assert "phone" in refused.value.errors and resident.phone == "13700002222"
    # keeping her own phone is no clash
    editing.edit_person(secretary, volunteer.id, version=1, phone="13800001111")


def test_a_stale_version_changes_nothing(secretary, volunteer):
    editing.edit_person(secretary, volunteer.id, version=1, display_name="第一次")
    db.session.flush()
    with pytest.raises(VersionConflict):
        editing.edit_person(volunteer, volunteer.id, version=1, display_name="第二次")
    assert volunteer.display_name == "第一次"


@pytest.mark.parametrize(
    "who, error",
    [
        ("street_admin", Forbidden),
        ("other_secretary", NotFound),
        ("other_volunteer", NotFound),
        ("liaison", NotFound),
    ],
)
def test_others_may_not_correct_her(community, volunteer, who, error):
    actor = {
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
        "other_volunteer": lambda: make_volunteer(community),
        "liaison": lambda: make_liaison(make_unit(community)),
    }[who]()
    with pytest.raises(error):
        editing.edit_person(actor, volunteer.id, version=1, display_name="改掉")
    assert volunteer.display_name == "王小明"


def test_a_secretary_does_not_rename_her_colleague(community, secretary):
    colleague = make_secretary(community, display_name="赵书记")
    with pytest.raises(Forbidden):
        editing.edit_person(secretary, colleague.id, version=1, display_name="赵")
    assert editing.edit_person(colleague, colleague.id, version=1, display_name="赵敏")


def test_supermarket_staff_are_her_communitys_people(community, secretary):
    staff = make_supermarket_staff(community)
    assert editing.edit_person(secretary, staff.id, version=1, phone="13600003333")


def test_an_edit_is_audited_with_the_phone_masked(secretary, volunteer):
    with unit_of_work(secretary):
        editing.edit_person(secretary, volunteer.id, version=1, phone="13900002222")
    row = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.object_type == "users",
            AuditLog.object_id == str(volunteer.id),
            AuditLog.action == "update",
        )
    ).one()
    assert row.actor_id == secretary.id
    assert (row.before["phone"], row.after["phone"]) == ("138****1111", "139****2222")


# --- the API -------------------------------------------------------------------------------


def test_patch_answers_her_with_the_new_version_and_a_masked_phone(client, secretary, volunteer):
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "display_name": "王晓明", "phone": "13800009999"},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    body = response.json
    assert (body["display_name"], body["phone"], body["version"]) == ("王晓明", "138****9999", 2)


def test_she_reads_her_own_version_and_patches_herself(client, volunteer):
    headers = bearer(volunteer)
    read = client.get(f"/api/v1/people/{volunteer.id}", headers=headers)
    assert read.status_code == 200 and read.json["skills"] == ["理发"]
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": read.json["version"], "skills": ["理发", "摄影"]},
        headers=headers,
    )
    assert response.status_code == 200 and response.json["skills"] == ["理发", "摄影"]
    assert response.json["version"] == read.json["version"] + 1


def test_she_patches_herself_in_a_request_that_found_her_with_her_grants(client, volunteer):
    """Her row is locked alone: the request loaded her with her grants joined, and PostgreSQL
    will not lock an outer join's nullable side."""
    headers, version = bearer(volunteer), volunteer.version
    db.session.expunge_all()  # the request finds her as a fresh one does
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": version, "skills": ["理发", "摄影"]},
        headers=headers,
    )
    assert response.status_code == 200 and response.json["skills"] == ["理发", "摄影"]


def test_a_stale_patch_is_409_version_conflict_and_changes_nothing(client, secretary, volunteer):
    volunteer.display_name = "别人刚改过"
    db.session.flush()
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "display_name": "我的修改"},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    db.session.refresh(volunteer)
    assert (volunteer.display_name, volunteer.version) == ("别人刚改过", 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 1, "phone": "12345"}, "phone"),
        ({"version": 1, "phone": "13700002222"}, "phone"),  # the resident's
        ({"version": 1, "display_name": "  "}, "display_name"),
        ({"version": 1, "skills": [""]}, "skills"),
        ({"version": 1, "username": "newname"}, "username"),
        ({"version": 1, "password": "another-password"}, "password"),
        ({"display_name": "没有版本"}, "version"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, secretary, volunteer, resident, body, field):
    response = client.patch(f"/api/v1/people/{volunteer.id}", json=body, headers=bearer(secretary))
    assert response.status_code == 422 and field in response.json["errors"]
    db.session.refresh(volunteer)
    assert (volunteer.display_name, volunteer.phone, volunteer.version) == (
        "王小明",
        "13800001111",
        1,
    )


@pytest.mark.parametrize(
    "who, status",
    [
        ("herself", 200),
        ("secretary", 200),
        ("street_admin", 403),
        ("other_volunteer", 404),
        ("other_secretary", 404),
        ("liaison", 404),
    ],
)
def test_who_may_patch_a_person(client, community, volunteer, who, status):
    actor = {
        "herself": lambda: volunteer,
        "secretary": lambda: make_secretary(community),
        "street_admin": lambda: make_street_admin(community.street),
        "other_volunteer": lambda: make_volunteer(community),
        "other_secretary": lambda: make_secretary(make_community()),
        "liaison": lambda: make_liaison(make_unit(community)),
    }[who]()
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "display_name": "王晓明"},
        headers=bearer(actor),
    )
    assert response.status_code == status


def test_she_may_not_patch_her_party_membership(client, volunteer):
    response = client.patch(
        f"/api/v1/people/{volunteer.id}",
        json={"version": 1, "is_party_member": False},
        headers=bearer(volunteer),
    )
    assert response.status_code == 403
    db.session.refresh(volunteer.volunteer)
    assert volunteer.volunteer.is_party_member is True


# --- the pages -----------------------------------------------------------------------------


def test_the_people_list_offers_editing_but_keeps_phones_masked(
    client, community, secretary, volunteer
):
    colleague = make_secretary(community)
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/people").get_data(as_text=True)
    assert f"/people/{volunteer.id}/edit" in html and "138****1111" in html
    assert "13800001111" not in html
    assert f"/people/{colleague.id}/edit" not in html


def test_the_edit_page_is_filled_in_with_her_details_and_version(
    client, community, secretary, volunteer
):
    unit = make_unit(community, name="区人民医院")
    volunteer.volunteer.work_unit_id = unit.id
    db.session.flush()
    login(client, secretary)
    html = client.get(f"/people/{volunteer.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html and 'value="王小明"' in html
    assert 'value="13800001111"' in html  # her editor sees the phone she corrects
    assert (
        'value="理发"' in html
        and 'name="is_party_member" type="checkbox" value="y" checked' in html
    )
    assert f'value="{unit.id}" selected' in html
    assert "neighbourhood_id" not in html


def test_the_street_admin_sees_neither_the_form_nor_the_phone(client, community, volunteer):
    login(client, make_street_admin(community.street))
    response = client.get(f"/people/{volunteer.id}/edit")
    assert response.status_code == 403 and "13800001111" not in response.get_data(as_text=True)


def _form(client, person, **overrides) -> dict:
    return {
        "csrf_token": csrf(client, f"/people/{person.id}/edit"),
        "version": "1",
        "display_name": "王晓明",
        "phone": "13800009999",
        "skills": "理发，维修家电",
        "is_party_member": "y",
        **overrides,
    }


def test_saving_the_edit_page_corrects_her_and_returns_to_the_list(
    client, community, secretary, volunteer
):
    login(client, secretary)
    response = client.post(f"/people/{volunteer.id}/edit", data=_form(client, volunteer))
    assert response.location == f"/communities/{community.id}/people"
    db.session.refresh(volunteer)
    assert (volunteer.display_name, volunteer.phone, volunteer.version) == (
        "王晓明",
        "13800009999",
        2,
    )
    assert volunteer.volunteer.skills == ["理发", "维修家电"]


def test_a_bad_phone_comes_back_beside_the_field(client, secretary, volunteer):
    login(client, secretary)
    response = client.post(
        f"/people/{volunteer.id}/edit", data=_form(client, volunteer, phone="1380000")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请填写 11 位手机号或带区号的座机号。" in html
    assert 'value="王晓明"' in html and 'name="version" value="1"' in html
    db.session.refresh(volunteer)
    assert volunteer.display_name == "王小明"


def test_an_edit_over_someone_elses_save_comes_back_with_409(client, secretary, volunteer):
    login(client, secretary)
    form = _form(client, volunteer)
    volunteer.volunteer.skills = ["书法"]
    touch(volunteer, "display_name")
    db.session.flush()
    response = client.post(f"/people/{volunteer.id}/edit", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "已被他人修改，请刷新后再改。" in html
    assert 'value="王晓明"' in html
    db.session.refresh(volunteer)
    assert volunteer.display_name == "王小明"


def test_she_edits_her_own_name_phone_and_skills_from_me(client, volunteer):
    login(client, volunteer)
    assert f"/people/{volunteer.id}/edit" in client.get("/me").get_data(as_text=True)
    html = client.get(f"/people/{volunteer.id}/edit").get_data(as_text=True)
    assert "修改我的资料" in html and "is_party_member" not in html
    assert "work_unit_id" not in html
    form = _form(client, volunteer, is_party_member="")
    del form["is_party_member"]
    response = client.post(f"/people/{volunteer.id}/edit", data=form)
    assert response.location == "/me"
    db.session.refresh(volunteer)
    assert volunteer.display_name == "王晓明" and volunteer.volunteer.is_party_member is True


def test_she_edits_herself_from_a_page_that_found_her_with_her_grants(client, volunteer):
    login(client, volunteer)
    form = _form(client, volunteer, is_party_member="")
    del form["is_party_member"]
    db.session.expunge_all()  # the request finds her as a fresh one does
    assert client.post(f"/people/{volunteer.id}/edit", data=form).location == "/me"


def test_a_residents_edit_page_asks_for_her_neighbourhood(client, community, secretary, resident):
    login(client, secretary)
    html = client.get(f"/people/{resident.id}/edit").get_data(as_text=True)
    assert f'value="{community.neighbourhoods[0].id}" selected' in html
    assert 'value="阳光苑3号楼2单元"' in html and 'name="skills"' not in html


def test_a_liaison_has_only_a_name_and_phone(client, community, secretary):
    liaison = make_user(RoleGrant(role=Role.UNIT_LIAISON, unit_id=make_unit(community).id))
    login(client, secretary)
    html = client.get(f"/people/{liaison.id}/edit").get_data(as_text=True)
    assert 'name="display_name"' in html and 'name="skills"' not in html
