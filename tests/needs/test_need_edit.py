"""Editing a need within the rules of its state: the service, PATCH /needs/{id} and its page."""

import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.categories import Category
from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.needs import service
from coop.needs.errors import NeedNotEditable
from coop.needs.models import Beneficiary, Need, NeedStatus, Urgency
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

S = NeedStatus


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _stored(need_id: int) -> Need:
    db.session.expire_all()
    return db.session.scalar(sa.select(Need).where(Need.id == need_id))


# --- The rules (service) -------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.SUBMITTED, S.LISTED])
def test_staff_change_every_field_of_an_open_need(community, secretary, status):
    need = make_need(community, status=status)
    edited = service.edit_need(
        secretary,
        need.id,
        version=1,
        title="阳光苑 3 号楼独居老人买菜",
        description="每周两次",
        category=Category.CONVENIENCE,
        beneficiary_group=Beneficiary.DISABLED,
        urgency=Urgency.URGENT,
        neighbourhood_id=community.neighbourhoods[1].id,
        requester_name="王秀英",
        requester_phone="13900002222",
        notes="已电话回访",
    )
    assert (edited.title, edited.category, edited.urgency) == (
        "阳光苑 3 号楼独居老人买菜",
        Category.CONVENIENCE,
        Urgency.URGENT,
    )
    assert edited.requester_phone == "13900002222" and edited.notes == "已电话回访"
    assert edited.version == 2 and edited.status is status


@pytest.mark.parametrize("status", [S.IN_PROJECT, S.RESOLVED])
def test_a_need_past_the_list_changes_only_its_notes(community, secretary, status):
    need = make_need(community, status=status, title="原标题")
    service.edit_need(secretary, need.id, version=1, notes="项目第二次服务已完成")
    assert need.notes == "项目第二次服务已完成" and need.version == 2
    with pytest.raises(NeedNotEditable) as refused:
        service.edit_need(secretary, need.id, version=2, title="新标题", notes="再补充")
    assert refused.value.status == 409
    assert status.label in refused.value.message and "只能修改备注" in refused.value.message
    assert _stored(need.id).title == "原标题"


@pytest.mark.parametrize("status", [S.REJECTED, S.CLOSED])
def test_a_rejected_or_closed_need_changes_nothing(community, secretary, status):
    need = make_need(community, status=status)
    with pytest.raises(NeedNotEditable) as refused:
        service.edit_need(secretary, need.id, version=1, notes="补记")
    assert f"需求当前为“{status.label}”，不能再修改。" == refused.value.message
    assert _stored(need.id).notes == ""


def test_a_stale_version_changes_nothing(community, secretary):
    need = make_need(community, title="原标题")
    service.edit_need(secretary, need.id, version=1, urgency=Urgency.SOON)
    with pytest.raises(VersionConflict):
        service.edit_need(secretary, need.id, version=1, title="晚到的修改")
    stored = _stored(need.id)
    assert (stored.title, stored.version) == ("原标题", 2)


def test_an_edit_is_audited_by_who_made_it(community, secretary):
    need = make_need(community, title="原标题")
    with unit_of_work(secretary):
        service.edit_need(secretary, need.id, version=1, title="新标题")
    [row] = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.object_type == "needs",
            AuditLog.object_id == str(need.id),
            AuditLog.action == "update",
        )
    )
    assert row.actor_id == secretary.id
    assert (row.before["title"], row.after["title"]) == ("原标题", "新标题")


def test_nothing_changed_keeps_the_version(community, secretary):
    need = make_need(community, title="原标题")
    service.edit_need(secretary, need.id, version=1, title="原标题")
    db.session.flush()
    assert _stored(need.id).version == 1


def test_a_resident_edits_her_own_need_while_it_waits(community):
    resident = make_resident(community)
    need = make_need(community, status=S.SUBMITTED, requester_id=resident.id)
    service.edit_need(resident, need.id, version=1, title="楼道灯坏了三天", urgency=Urgency.SOON)
    assert need.title == "楼道灯坏了三天" and need.urgency is Urgency.SOON


def test_a_resident_does_not_reclassify_her_need(community):
    resident = make_resident(community)
    need = make_need(community, status=S.SUBMITTED, requester_id=resident.id)
    with pytest.raises(Invalid) as refused:
        service.edit_need(
            resident, need.id, version=1, beneficiary_group=Beneficiary.NEEDY, notes="x"
        )
    assert set(refused.value.errors) == {"beneficiary_group", "notes"}
    assert _stored(need.id).beneficiary_group is Beneficiary.ELDERLY


def test_once_listed_the_resident_asks_staff_to_change_it(community):
    resident = make_resident(community)
    need = make_need(community, status=S.LISTED, requester_id=resident.id)
    with pytest.raises(NeedNotEditable) as refused:
        service.edit_need(resident, need.id, version=1, title="想改一下")
    assert "已列入清单" in refused.value.message and "联系社区工作人员" in refused.value.message


def test_staff_keep_the_source_and_requester_of_a_residents_own_need(community, secretary):
    resident = make_resident(community)
    need = make_need(community, status=S.SUBMITTED, requester_id=resident.id)
    with pytest.raises(Invalid) as refused:
        service.edit_need(secretary, need.id, version=1, requester_name="别人")
    assert "requester_name" in refused.value.errors
    service.edit_need(secretary, need.id, version=1, beneficiary_group=Beneficiary.ELDERLY)


def test_a_neighbourhood_of_another_community_is_refused(community, secretary):
    need = make_need(community)
    other = make_community()
    with pytest.raises(Invalid) as refused:
        service.edit_need(
            secretary, need.id, version=1, neighbourhood_id=other.neighbourhoods[0].id
        )
    assert "neighbourhood_id" in refused.value.errors


@pytest.mark.parametrize(
    "make",
    [
        make_volunteer,
        make_resident,
        lambda c: make_liaison(make_unit(c)),
        lambda c: make_street_admin(c.street),
    ],
    ids=["volunteer", "other_resident", "liaison", "street_admin"],
)
def test_only_staff_and_the_requester_edit(community, make):
    need = make_need(community, status=S.LISTED)
    with pytest.raises(Forbidden):
        service.edit_need(make(community), need.id, version=1, title="不该改")


def test_another_communitys_need_is_not_found(community):
    need = make_need(make_community())
    with pytest.raises(NotFound):
        service.edit_need(make_secretary(community), need.id, version=1, title="不该改")


# --- PATCH /api/v1/needs/{id} --------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_answers_the_new_version(client, community, secretary):
    need = make_need(community, title="原标题", description="原描述")
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"title": "新标题", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["version"] == 2 and response.json["title"] == "新标题"
    assert response.json["description"] == "原描述"


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, community, secretary):
    need = make_need(community, title="原标题")
    path, headers = f"/api/v1/needs/{need.id}", bearer(secretary)
    assert (
        client.patch(path, json={"urgency": "soon", "version": 1}, headers=headers).json["version"]
        == 2
    )
    response = client.patch(path, json={"title": "晚到的", "version": 1}, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    assert response.json["message"] == "已被他人修改，请刷新后再改。"
    assert (_stored(need.id).title, _stored(need.id).version) == ("原标题", 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "", "version": 1}, "title"),
        ({"category": "游泳", "version": 1}, "category"),
        ({"requester_phone": "12", "version": 1}, "requester_phone"),
        ({"title": "没有版本"}, "version"),
        ({"version": 0}, "version"),
        ({"colour": "红", "version": 1}, "colour"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, community, secretary, body, field):
    need = make_need(community, title="原标题")
    response = client.patch(f"/api/v1/needs/{need.id}", json=body, headers=bearer(secretary))
    assert response.status_code == 422 and field in response.json["errors"]
    assert (_stored(need.id).title, _stored(need.id).version) == ("原标题", 1)


def test_the_notes_are_staffs_only(client, community, secretary):
    resident = make_resident(community)
    need = make_need(community, requester_id=resident.id, notes="家属不同意上门")
    staff = client.get(f"/api/v1/needs/{need.id}", headers=bearer(secretary)).json
    hers = client.get(f"/api/v1/needs/{need.id}", headers=bearer(resident)).json
    assert staff["notes"] == "家属不同意上门" and "notes" not in hers


@pytest.mark.parametrize(
    "who, status",
    [
        ("secretary", 200),
        ("requester", 200),
        ("volunteer", 404),  # a need still waiting is not on the public list
        ("street_admin", 403),
        ("other_secretary", 404),
    ],
)
def test_who_may_patch_a_submitted_need(client, community, who, status):
    resident = make_resident(community)
    need = make_need(community, status=S.SUBMITTED, requester_id=resident.id)
    actor = {
        "secretary": lambda: make_secretary(community),
        "requester": lambda: resident,
        "volunteer": lambda: make_volunteer(community),
        "street_admin": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    response = client.patch(
        f"/api/v1/needs/{need.id}", json={"title": "新标题", "version": 1}, headers=bearer(actor)
    )
    assert response.status_code == status
    assert (_stored(need.id).title == "新标题") is (status == 200)


def test_the_patch_documents_409_and_requires_only_the_version(client):
    spec = client.get("/api/v1/openapi.json").json
    patch = spec["paths"]["/api/v1/needs/{need_id}"]["patch"]
    assert {"200", "403", "404", "409", "422"} <= set(patch["responses"])
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert schema["required"] == ["version"]


# --- The 编辑 page -------------------------------------------------------------------------


def test_the_edit_page_is_filled_in_with_the_current_values(client, community, secretary):
    need = make_need(community, title="独居老人买菜", urgency=Urgency.SOON, notes="周三回访")
    login(client, secretary)
    html = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'value="独居老人买菜"' in html and "周三回访</textarea>" in html
    assert '<option value="soon" selected' in html
    assert 'name="version" value="1"' in html


def test_the_edit_page_shows_the_phone_and_address_masked_and_keeps_them_when_blank(
    client, community, secretary
):
    need = make_need(community)
    login(client, secretary)
    path = f"/needs/{need.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert "13812341234" not in html and "阳光苑3号楼2单元" not in html
    assert "现为 138****1234，不改请留空" in html and "现为 阳光苑3****" in html
    form = {
        "csrf_token": csrf(client, path),
        "version": "1",
        "title": need.title,
        "category": "关心关爱",
        "source": "visit",
        "beneficiary_group": "elderly",
        "requester_name": "刘桂兰",
        "requester_phone": "",
        "requester_address": "幸福里5号楼",
    }
    assert client.post(path, data=form).status_code == 302
    stored = _stored(need.id)
    assert (stored.requester_phone, stored.requester_address) == ("13812341234", "幸福里5号楼")


def test_saving_the_edit_page_changes_the_need(client, community, secretary):
    need = make_need(community, title="独居老人买菜", description="每周一次")
    login(client, secretary)
    path = f"/needs/{need.id}/edit"
    form = {
        "csrf_token": csrf(client, path),
        "version": "1",
        "title": "独居老人每周买菜两次",
        "category": "关心关爱",
        "source": "visit",
        "beneficiary_group": "elderly",
        "urgency": "normal",
        "requester_name": "刘桂兰",
        "requester_phone": "13812341234",
    }
    response = client.post(path, data=form)
    assert response.status_code == 302 and response.location == f"/needs/{need.id}"
    stored = _stored(need.id)
    assert (stored.title, stored.version) == ("独居老人每周买菜两次", 2)
    assert stored.description == ""  # a blank box clears, as on the record form
    assert "已保存修改" in client.get(response.location).get_data(as_text=True)


def test_a_bad_edit_is_shown_again_with_the_messages(client, community, secretary):
    need = make_need(community, title="独居老人买菜")
    login(client, secretary)
    path = f"/needs/{need.id}/edit"
    form = {"csrf_token": csrf(client, path), "version": "1", "title": " ", "category": "游泳"}
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "此项必填" in html and "请从给定的选项中选择" in html
    assert _stored(need.id).title == "独居老人买菜"


def test_a_stale_edit_is_shown_again_with_a_link_to_reload(client, community, secretary):
    need = make_need(community, title="独居老人买菜")
    login(client, secretary)
    path = f"/needs/{need.id}/edit"
    token = csrf(client, path)
    service.edit_need(secretary, need.id, version=1, notes="别人先存了")
    form = {
        "csrf_token": token,
        "version": "1",
        "title": "我的修改",
        "category": "关心关爱",
        "source": "visit",
        "beneficiary_group": "elderly",
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已被他人修改，请刷新后再改。" in html and f'href="{path}"' in html
    assert 'value="我的修改"' in html  # what she typed stays, to copy over
    assert _stored(need.id).title == "独居老人买菜"


def test_the_edit_page_of_a_need_in_a_project_offers_only_the_notes(client, community, secretary):
    need = make_need(community, status=S.IN_PROJECT)
    login(client, secretary)
    html = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'name="notes"' in html and 'name="title"' not in html
    path = f"/needs/{need.id}/edit"
    form = {"csrf_token": csrf(client, path), "version": "1", "notes": "项目已安排第一次服务"}
    assert client.post(path, data=form).status_code == 302
    assert "项目已安排第一次服务" in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_a_closed_needs_edit_page_is_409_naming_its_state(client, community, secretary):
    need = make_need(community, status=S.CLOSED)
    login(client, secretary)
    response = client.get(f"/needs/{need.id}/edit")
    assert response.status_code == 409
    assert "需求当前为“已关闭”，不能再修改。" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "status, who, shown",
    [
        (S.LISTED, "secretary", True),
        (S.IN_PROJECT, "secretary", True),
        (S.CLOSED, "secretary", False),
        (S.SUBMITTED, "requester", True),
        (S.LISTED, "requester", False),
        (S.LISTED, "street_admin", False),
    ],
)
def test_the_detail_offers_编辑_only_when_she_may_edit(client, community, status, who, shown):
    resident = make_resident(community)
    need = make_need(community, status=status, requester_id=resident.id)
    actor = {
        "secretary": lambda: make_secretary(community),
        "requester": lambda: resident,
        "street_admin": lambda: make_street_admin(community.street),
    }[who]()
    login(client, actor)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert (f'href="/needs/{need.id}/edit"' in html) is shown


def test_a_resident_edits_her_need_on_her_phone_form(client, community):
    resident = make_resident(community)
    need = make_need(community, status=S.SUBMITTED, requester_id=resident.id)
    login(client, resident)
    path = f"/needs/{need.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'name="title"' in html and 'name="requester_phone"' not in html
    assert 'name="notes"' not in html and 'name="beneficiary_group"' not in html
    form = {"csrf_token": csrf(client, path), "version": "1", "title": "楼道灯坏了"}
    response = client.post(path, data={**form, "category": "便民服务"})
    assert response.status_code == 302
    assert _stored(need.id).category is Category.CONVENIENCE
