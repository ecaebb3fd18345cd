"""The people import: units with their liaisons, volunteers and residents from one workbook, all
or none, matched by phone and by unit name, each new person with an invitation."""

import io
import re
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from coop import importing, xlsx
from coop.alliance.models import Membership, Unit, UnitKind
from coop.auth import invitations
from coop.auth.models import Invitation, Role, RoleGrant, User
from coop.dbtypes import utcnow
from coop.errors import Forbidden
from coop.extensions import db
from coop.importing import ImportStatus
from coop.people import excel, imports
from coop.people.imports import PeopleImportJob
from coop.people.models import ResidentProfile, VolunteerProfile
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)
from tests.needs import hostile_xlsx as hostile

UNITS, VOLUNTEERS, RESIDENTS = (spec.name for spec in excel.SHEETS)


def volunteer(n: int, **cells) -> dict:
    return {"姓名": f"志愿者{n}", "手机号": f"139{n:08d}", "是否党员": "是", **cells}


def resident(n: int, **cells) -> dict:
    return {"姓名": f"居民{n}", "手机号": f"137{n:08d}", "住址": f"阳光苑{n}号楼", **cells}


def unit(n: int, **cells) -> dict:
    return {
        "单位名称": f"导入单位{n}",
        "单位类别": "驻区单位企业",
        "联络员姓名": f"联络员{n}",
        "联络员手机号": f"136{n:08d}",
        **cells,
    }


def book(units=(), volunteers=(), residents=(), *, community=None) -> bytes:
    """The community's own template with these rows from row 3 on (row 2 is the example)."""
    data = excel.build_template(
        [n.name for n in community.neighbourhoods] if community else [],
        sorted(imports.alliance_units(community.id)) if community else [],
    )
    workbook = load_workbook(io.BytesIO(data))
    for spec, rows in zip(excel.SHEETS, (units, volunteers, residents), strict=True):
        sheet = workbook[spec.name]
        where = {c.header: i for i, c in enumerate(spec.columns, 1)}
        for number, row in enumerate(rows, 3):
            for header, value in row.items():
                sheet.cell(row=number, column=where[header], value=value)
    return xlsx.saved(workbook)


def run(app, community, secretary, data: bytes) -> PeopleImportJob:
    rows = excel.read_workbook(data)
    with unit_of_work(secretary):
        job = imports.create_import_job(
            secretary, community.id, filename="人员.xlsx", total_rows=sum(map(len, rows.values()))
        )
        importing.queue_job(job, data, locale="zh")  # run once this commits (QUEUE_IMMEDIATE)
    db.session.expire_all()
    return db.session.get(PeopleImportJob, job.id)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def people_of(community) -> int:
    return count(
        User,
        User.id.in_(sa.select(RoleGrant.user_id).where(RoleGrant.community_id == community.id)),
    )


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    user = make_secretary(community)
    db.session.commit()
    return user


# --- the service ------------------------------------------------------------------------------


def test_a_workbook_imports_units_liaisons_volunteers_and_residents(app, community, secretary):
    neighbourhood = community.neighbourhoods[0]
    data = book(
        [unit(1, 单位地址="兴旺路 1 号")],
        [volunteer(1, 工作单位="导入单位1", 技能特长="理发，摄影", 加入日期="2024-03-05"),
         volunteer(2, 是否党员="否")],
        [resident(1, 邻里单元=neighbourhood.name)],
        community=community,
    )  # fmt: skip
    job = run(app, community, secretary, data)
    assert job.status is ImportStatus.DONE, job.error_rows or job.message
    assert job.counts == {
        "people_new": 4,
        "people_existing": 0,
        "people_given_roles": 0,
        "units_new": 1,
        "units_linked": 0,
        "units_existing": 0,
    }
    new_unit = db.session.scalar(sa.select(Unit).where(Unit.name == "导入单位1"))
    assert new_unit.kind is UnitKind.STATIONED and new_unit.address == "兴旺路 1 号"
    assert new_unit.contact_name == "联络员1"
    assert count(Membership, Membership.unit_id == new_unit.id) == 1
    liaison = db.session.scalar(sa.select(User).where(User.phone == "13600000001"))
    assert liaison.grants[0].role is Role.UNIT_LIAISON and liaison.grants[0].unit_id == new_unit.id
    first = db.session.scalar(sa.select(User).where(User.phone == "13900000001"))
    assert first.username == "13900000001" and first.display_name == "志愿者1"
    profile = first.volunteer
    assert profile.is_party_member and profile.work_unit_id == new_unit.id
    assert profile.skills == ["理发", "摄影"] and str(profile.joined_on) == "2024-03-05"
    assert not db.session.get(VolunteerProfile, job.created_user_ids[2]).is_party_member
    lives = db.session.scalar(sa.select(User).where(User.phone == "13700000001")).resident
    assert lives.neighbourhood_id == neighbourhood.id and lives.address == "阳光苑1号楼"


def test_every_new_person_gets_an_invitation_and_no_password(app, community, secretary):
    job = run(app, community, secretary, book([unit(1)], [volunteer(1), volunteer(2)]))
    created = db.session.scalars(sa.select(User).where(User.id.in_(job.created_user_ids))).all()
    assert len(created) == 3
    assert not any(invitations.has_password(person) for person in created)
    pending = invitations.pending_invitations(job.created_user_ids, now=utcnow())
    assert set(pending) == set(job.created_user_ids)
    assert {i.created_by_id for i in pending.values()} == {secretary.id}


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(app, community, secretary):
    long_kind = "不存在的单位类别" * 6
    data = book(
        [unit(1), unit(2, 单位类别=long_kind)],
        [volunteer(1), volunteer(2, 手机号="1390000"), volunteer(3), volunteer(4, 加入日期="2999-01-01")],
        [resident(1, 邻里单元="别的社区的网格"), resident(2, 姓名=None)],
    )  # fmt: skip
    users, units = count(User), count(Unit)
    job = run(app, community, secretary, data)
    assert job.status is ImportStatus.FAILED
    assert [(bad["sheet"], bad["row"]) for bad in job.error_rows] == [
        (UNITS, 4),
        (VOLUNTEERS, 4),
        (VOLUNTEERS, 6),
        (RESIDENTS, 3),
        (RESIDENTS, 4),
    ]
    reasons = [" ".join(bad["errors"]) for bad in job.error_rows]
    assert f"“单位类别”不能填“{long_kind[:30]}…”，请从下拉列表中选择。" in reasons[0]
    assert "“手机号”应为 11 位手机号或带区号的座机号，不能填“1390000”" in reasons[1]
    assert "“加入日期”应为不晚于今天的日期" in reasons[2]
    assert "“别的社区的网格”不是本社区的邻里单元" in reasons[3]
    assert "“姓名”必填" in reasons[4]
    assert (count(User), count(Unit)) == (users, units)
    assert count(Invitation) == 0 and job.created_user_ids == []


def test_duplicate_phones_within_a_sheet_are_row_errors(app, community, secretary):
    data = book([], [volunteer(1), volunteer(2), volunteer(3, 手机号="13900000001")])
    job = run(app, community, secretary, data)
    assert job.status is ImportStatus.FAILED
    assert job.error_rows == [{"sheet": VOLUNTEERS, "row": 5, "errors": ["手机号与第 3 行重复。"]}]
    assert people_of(community) == 1  # the secretary


def test_the_same_phone_on_two_sheets_is_one_person_with_both_roles(app, community, secretary):
    job = run(
        app,
        community,
        secretary,
        book([unit(1, 联络员手机号="13900000001", 联络员姓名="志愿者1")], [volunteer(1)]),
    )
    assert job.counts["people_new"] == 1
    person = db.session.get(User, job.created_user_ids[0])
    assert set(person.roles) == {Role.UNIT_LIAISON, Role.VOLUNTEER}


def test_the_same_phone_under_another_name_is_a_row_error(app, community, secretary):
    job = run(
        app, community, secretary, book([], [volunteer(1)], [resident(1, 手机号="13900000001")])
    )
    assert job.status is ImportStatus.FAILED
    [bad] = job.error_rows
    assert (bad["sheet"], bad["row"]) == (RESIDENTS, 3)
    assert "手机号与“志愿者”表第 3 行的“志愿者1”相同" in bad["errors"][0]


def test_reimporting_the_same_sheet_adds_nobody_twice(app, community, secretary):
    data = book([unit(1)], [volunteer(n) for n in range(1, 6)], [resident(1)])
    first = run(app, community, secretary, data)
    users, units, grants = count(User), count(Unit), count(RoleGrant)
    codes = count(Invitation)
    again = run(app, community, secretary, data)
    assert again.status is ImportStatus.DONE
    assert again.counts == {
        "people_new": 0,
        "people_existing": 7,
        "people_given_roles": 0,
        "units_new": 0,
        "units_linked": 0,
        "units_existing": 1,
    }
    assert (count(User), count(Unit), count(RoleGrant)) == (users, units, grants)
    assert count(Invitation) == codes and again.created_user_ids == []
    assert first.counts["people_new"] == 7


def test_a_person_already_there_only_gets_the_role_she_lacks(app, community, secretary):
    there = make_resident(community, display_name="老名字", phone="13900000001")
    db.session.add(ResidentProfile(user=there, community_id=community.id, address="旧地址"))
    there.set_password("her-own-password")
    db.session.commit()
    job = run(app, community, secretary, book([], [volunteer(1, 姓名="老名字")], [resident(9, 手机号="13900000001", 姓名="老名字")]))  # fmt: skip
    assert job.status is ImportStatus.DONE, job.error_rows
    assert job.counts["people_new"] == 0 and job.counts["people_existing"] == 1
    assert job.counts["people_given_roles"] == 1
    db.session.refresh(there)
    assert set(there.roles) == {Role.RESIDENT, Role.VOLUNTEER}
    assert there.display_name == "老名字" and there.resident.address == "旧地址"
    assert there.check_password("her-own-password") and there.volunteer.is_party_member
    assert count(Invitation, Invitation.user_id == there.id) == 0


def test_a_unit_already_there_is_linked_not_duplicated(app, community, secretary):
    other = make_community()
    existing = make_unit(other, name="已有单位")
    db.session.commit()
    job = run(app, community, secretary, book([unit(1, 单位名称="已有单位", 单位类别="社会组织")]))
    assert job.status is ImportStatus.DONE, job.error_rows
    assert job.counts["units_new"] == 0 and job.counts["units_linked"] == 1
    assert count(Unit, Unit.name == "已有单位") == 1
    assert {m.community_id for m in existing.memberships} == {other.id, community.id}
    assert existing.kind is UnitKind.STATIONED  # nothing else of hers changed


def test_a_unit_serving_three_communities_is_a_row_error(app, community, secretary):
    busy = make_unit(make_community(), name="忙碌单位")
    for _n in range(2):
        db.session.add(Membership(unit=busy, community=make_community(), joined_on=utcnow().date()))
    db.session.commit()
    job = run(app, community, secretary, book([unit(1, 单位名称="忙碌单位")], [volunteer(1)]))
    assert job.status is ImportStatus.FAILED
    [bad] = job.error_rows
    assert (bad["sheet"], bad["row"]) == (UNITS, 3)
    assert "已服务 3 个社区" in bad["errors"][0]
    assert count(User, User.phone == "13900000001") == 0


def test_a_work_unit_must_be_of_the_alliance_or_the_sheet(app, community, secretary):
    make_unit(make_community(), name="别处的单位")
    make_unit(community, name="本联盟单位")
    db.session.commit()
    rows = [volunteer(1, 工作单位="本联盟单位"), volunteer(2, 工作单位="别处的单位")]
    job = run(app, community, secretary, book([], rows))
    [bad] = job.error_rows
    assert bad["row"] == 4 and bad["errors"][0].startswith("“别处的单位”不是本社区联盟的单位")


def test_only_the_secretary_imports_people(app, community):
    volunteer_user = make_volunteer(community)
    with pytest.raises(Forbidden):
        imports.create_import_job(volunteer_user, community.id, filename="a.xlsx", total_rows=1)


def test_a_job_whose_uploader_lost_her_role_fails_and_imports_nothing(app, community, secretary):
    with unit_of_work(secretary):
        job = imports.create_import_job(secretary, community.id, filename="a.xlsx", total_rows=1)
        job.upload = book([], [volunteer(1)])
    secretary.grants.clear()
    db.session.commit()
    importing.run_import(PeopleImportJob.__tablename__, job.id)
    db.session.expire_all()
    job = db.session.get(PeopleImportJob, job.id)
    assert job.status is ImportStatus.FAILED and "无权" in job.message
    assert count(User, User.phone == "13900000001") == 0


def test_the_template_alone_has_nothing_to_import(community):
    with pytest.raises(xlsx.SheetRejected, match="没有要导入的数据"):
        excel.read_workbook(book())


def test_more_than_5000_rows_in_all_are_refused(community):
    data = book([], [volunteer(n) for n in range(3000)], [resident(n) for n in range(2001)])
    with pytest.raises(xlsx.SheetRejected, match="每次最多导入 5000 行"):
        excel.read_workbook(data)


def test_a_thousand_volunteers_import_in_a_few_queries(app, community, secretary):
    started = time.perf_counter()
    job = run(app, community, secretary, book([], [volunteer(n) for n in range(1000)]))
    elapsed = time.perf_counter() - started
    assert job.counts["people_new"] == 1000
    print(f"\n1000-person import: {elapsed:.2f}s")
    assert elapsed < 60


# --- pages --------------------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, community, secretary):
    login(client, secretary)
    return secretary


def upload(client, community, data: bytes, filename: str = "人员.xlsx"):
    path = f"/communities/{community.id}/people/import"
    form = {"csrf_token": csrf(client, path), "file": (io.BytesIO(data), filename)}
    return client.post(path, data=form, content_type="multipart/form-data")


def test_the_template_downloads_with_its_sheets_and_dropdowns(client, community, signed_in):
    make_unit(community, name="模板里的单位")
    response = client.get(f"/communities/{community.id}/people/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == xlsx.XLSX_MIMETYPE
    assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [UNITS, VOLUNTEERS, RESIDENTS, "填写说明", "选项"]
    assert workbook["选项"].sheet_state == "hidden"
    options = {
        workbook["选项"].cell(row=1, column=c).value: [
            workbook["选项"].cell(row=r, column=c).value for r in range(2, 20)
        ]
        for c in range(1, 5)
    }
    assert "市直结对共建单位" in options["单位类别"] and options["是否党员"][:2] == ["是", "否"]
    assert options["工作单位"][0] == "模板里的单位"
    assert options["邻里单元"][0] == community.neighbourhoods[0].name

    def dropdowns(sheet) -> dict[str, str]:
        headers = {c.column_letter: str(c.value).rstrip("*") for c in workbook[sheet][1]}
        return {
            headers[str(v.sqref).split(":")[0].rstrip("0123456789")]: v.formula1
            for v in workbook[sheet].data_validations.dataValidation
        }

    assert set(dropdowns(UNITS)) == {"单位类别"}
    assert set(dropdowns(VOLUNTEERS)) == {"是否党员", "工作单位"}
    assert set(dropdowns(RESIDENTS)) == {"邻里单元"}
    assert workbook[VOLUNTEERS]["A1"].value == "姓名*" and workbook[VOLUNTEERS][
        "A2"
    ].value.startswith("示例")


def test_the_upload_page_shows_the_steps_and_recent_imports(client, community, signed_in, app):
    run(app, community, signed_in, book([], [volunteer(1)]))
    html = client.get(f"/communities/{community.id}/people/import").get_data(as_text=True)
    assert "下载 Excel 模板" in html and "新增 1 人" in html


def test_an_upload_becomes_a_job_whose_page_shows_the_result(client, community, signed_in):
    response = upload(client, community, book([unit(1)], [volunteer(1), volunteer(2)]))
    assert response.status_code == 303
    job_path = response.location
    assert re.search(r"/people/imports/\d+$", job_path)
    html = client.get(job_path).get_data(as_text=True)
    assert "<html" in html and "导入完成：新增 3 人，已有 0 人" in html and "打印邀请单" in html
    fragment = client.get(job_path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="import-job"' in fragment
    assert "hx-trigger" not in fragment  # finished: it stops polling


def test_a_running_job_polls_its_own_fragment(client, community, signed_in):
    with unit_of_work(signed_in):
        job = imports.create_import_job(signed_in, community.id, filename="a.xlsx", total_rows=9)
    fragment = client.get(f"/people/imports/{job.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in html and "排队中" in html


def test_the_job_page_lists_bad_rows_with_sheet_and_row(client, community, signed_in):
    response = upload(client, community, book([], [volunteer(1), volunteer(2, 手机号="12")]))
    html = client.get(response.location).get_data(as_text=True)
    assert "共 2 行，其中 1 行有误，没有导入任何人员" in html
    assert '<td class="sheet">志愿者</td><th scope="row">第 4 行</th>' in html
    assert count(User, User.phone == "13900000001") == 0


def test_a_file_that_is_not_a_workbook_is_refused_and_changes_nothing(client, community, signed_in):
    response = upload(client, community, b"not a workbook", "people.xlsx")
    assert response.status_code == 422
    assert "无法读取该文件" in response.get_data(as_text=True)
    assert count(PeopleImportJob) == 0


def test_an_upload_over_the_budget_is_refused_before_it_is_parsed(
    client, community, signed_in, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("parsed an upload over the budget")

    monkeypatch.setattr(xlsx, "ExcelReader", never)
    response = upload(client, community, b"\0" * (excel.MAX_BYTES + 1))
    assert response.status_code == 422 and "文件超过 5 MB" in response.get_data(as_text=True)
    bomb = hostile.workbook(
        hostile.sheet_xml("<row/>"), declared={hostile.SHEET_PATH: 60 * 1024 * 1024}
    )
    response = upload(client, community, bomb)
    assert response.status_code == 422
    assert "文件解压后超过 50 MB" in response.get_data(as_text=True)
    assert count(PeopleImportJob) == 0 and people_of(community) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/people/import",
        "/communities/{c}/people/import/template.xlsx",
        "/people/imports/{job}",
    ],
)
def test_import_pages_are_the_secretarys(client, community, secretary, path):
    with unit_of_work(secretary):
        job = imports.create_import_job(secretary, community.id, filename="a.xlsx", total_rows=1)
    login(client, make_volunteer(community))
    assert client.get(path.format(c=community.id, job=job.id)).status_code == 403
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, job=job.id)).status_code == 404


# --- the API ------------------------------------------------------------------------------------


def api_upload(client, community, data: bytes, headers):
    return client.post(
        f"/api/v1/communities/{community.id}/people/import",
        data={"file": (io.BytesIO(data), "people.xlsx")},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_the_api_takes_a_workbook_and_answers_202_with_the_job(client, community, secretary):
    headers = bearer(secretary)
    response = api_upload(client, community, book([unit(1)], [volunteer(1)]), headers)
    assert response.status_code == 202
    job = response.json
    assert job["community_id"] == community.id and job["total_rows"] == 2
    polled = client.get(f"/api/v1/people/imports/{job['id']}", headers=headers)
    assert polled.status_code == 200 and polled.json["status"] == "done"
    assert polled.json["counts"]["people_new"] == 2 and polled.json["counts"]["units_new"] == 1
    assert len(polled.json["created_user_ids"]) == 2


def test_the_api_reports_bad_rows(client, community, secretary):
    headers = bearer(secretary)
    response = api_upload(client, community, book([], [volunteer(1, 是否党员="也许")]), headers)
    polled = client.get(f"/api/v1/people/imports/{response.json['id']}", headers=headers).json
    assert polled["status"] == "failed"
    assert polled["error_rows"] == [
        {"sheet": "志愿者", "row": 3, "errors": ["“是否党员”不能填“也许”，请从下拉列表中选择。"]}
    ]


def test_the_api_refuses_a_bad_file_with_422_and_changes_nothing(client, community, secretary):
    response = api_upload(client, community, b"garbage", bearer(secretary))
    assert response.status_code == 422 and response.json["code"] == "sheet_rejected"
    assert "file" in response.json["errors"] and count(PeopleImportJob) == 0


def test_the_api_import_is_the_secretarys_own(client, community, secretary):
    data = book([], [volunteer(1)])
    assert api_upload(client, community, data, bearer(make_volunteer(community))).status_code == 403
    stranger = make_secretary(make_community())
    assert api_upload(client, community, data, bearer(stranger)).status_code == 404
    job = api_upload(client, community, data, bearer(secretary)).json
    assert (
        client.get(f"/api/v1/people/imports/{job['id']}", headers=bearer(stranger)).status_code
        == 404
    )
    assert client.get("/api/v1/people/imports/999999", headers=bearer(secretary)).status_code == 404
    assert count(PeopleImportJob) == 1


def test_the_api_refuses_others_before_reading_their_file(client, community, secretary):
    garbage = b"not a workbook at all"
    response = api_upload(client, community, garbage, bearer(make_volunteer(community)))
    assert response.status_code == 403
    stranger = bearer(make_secretary(make_community()))
    assert api_upload(client, community, garbage, stranger).status_code == 404
