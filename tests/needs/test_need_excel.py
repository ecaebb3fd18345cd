import io
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from coop import importing
from coop.audit import AuditLog
from coop.categories import Category
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.needs import excel
from coop.needs.imports import ImportJob, ImportStatus, import_needs
from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus, Urgency
from coop.uow import unit_of_work
from tests.factories import (
    csrf,
    login,
    make_community,
    make_need,
    make_resident,
    make_secretary,
    make_street_admin,
    make_volunteer,
)

HEADER = [c.header + ("*" if c.required else "") for c in excel.COLUMNS]
GOOD = {
    "title": "楼道灯不亮",
    "category": "便民服务",
    "source": "入户走访",
    "beneficiary_group": "老年人",
}


def row(**cells) -> list:
    values = {**GOOD, **cells}
    return [values.get(c.key) for c in excel.COLUMNS]


def sheet(*rows, header=HEADER) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(header)
    for values in rows:
        worksheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, community, data: bytes, filename: str = "需求清单.xlsx"):
    path = f"/communities/{community.id}/needs/import"
    form = {"csrf_token": csrf(client, path), "file": (io.BytesIO(data), filename)}
    return client.post(path, data=form, content_type="multipart/form-data")


def count_needs(community) -> int:
    query = sa.select(sa.func.count()).select_from(Need).where(Need.community_id == community.id)
    return db.session.scalar(query)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(client, community):
    user = make_secretary(community)
    login(client, user)
    return user


# --- the template ---------------------------------------------------------------------------


def test_template_offers_this_communitys_choices_and_an_example(client, community, secretary):
    response = client.get(f"/communities/{community.id}/needs/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == excel.XLSX_MIMETYPE
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[:2] == ["需求清单", "填写说明"]
    data = workbook["需求清单"]
    assert [c.value for c in data[1]] == HEADER
    assert data["A2"].value.startswith("示例") and data["A2"].font.i
    lists = {str(v.sqref)[0]: v.formula1 for v in data.data_validations.dataValidation}
    assert set(lists) == {"C", "D", "E", "F", "G"}  # 类别 来源 受益群体 紧急程度 邻里单元
    options = workbook["选项"]
    assert options.sheet_state == "hidden"
    assert [c.value for c in options["A"][1:6]] == [c.value for c in Category]
    assert [c.value for c in options["E"][1:] if c.value] == ["邻里单元1", "邻里单元2"]
    assert "填写说明" in workbook.sheetnames and workbook["填写说明"]["A3"].value


def test_the_template_alone_has_no_rows_to_import(client, community, secretary):
    data = client.get(f"/communities/{community.id}/needs/import/template.xlsx").data
    with pytest.raises(excel.SheetRejected, match="没有需求数据"):
        excel.read_sheet(data)


def test_a_filled_in_template_imports_its_rows_but_not_the_example(client, community, secretary):
    data = client.get(f"/communities/{community.id}/needs/import/template.xlsx").data
    workbook = load_workbook(io.BytesIO(data))
    workbook["需求清单"].append(row(title="助老送餐", neighbourhood="邻里单元2"))
    workbook["需求清单"].append(row(title="政策宣讲进楼栋", category="政策宣讲"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, community, buffer.getvalue())
    html = client.get(response.location).get_data(as_text=True)
    assert "已导入 2 条需求" in html
    titles = set(db.session.scalars(sa.select(Need.title).where(Need.community_id == community.id)))
    assert titles == {"助老送餐", "政策宣讲进楼栋"}


# --- importing ------------------------------------------------------------------------------


def test_a_good_sheet_imports_every_row_as_a_listed_need(client, community, secretary):
    data = sheet(
        row(title="助老送餐", neighbourhood="邻里单元1", requester_phone=13812341234),
        row(
            title="社区议事会",
            category="社会治理",
            source="grid",
            beneficiary_group="RESIDENTS",
            urgency="紧急",
            requester_phone="0477-8123456",
            requester_name="王建国",
            requester_address="幸福里5号楼",
        ),
        [None] * len(HEADER),  # a blank row in between is skipped
        row(title="红色观影", category="红色教育", source="合理化建议"),
    )
    response = upload(client, community, data)
    assert response.status_code == 303 and response.location.startswith("/needs/imports/")
    html = client.get(response.location).get_data(as_text=True)
    assert "已导入 3 条需求" in html and 'hx-trigger="every' not in html  # done: no polling
    needs = {
        n.title: n
        for n in db.session.scalars(sa.select(Need).where(Need.community_id == community.id))
    }
    assert set(needs) == {"助老送餐", "社区议事会", "红色观影"}
    assert all(
        n.status is NeedStatus.LISTED and n.created_by_id == secretary.id for n in needs.values()
    )
    meal = needs["助老送餐"]
    assert meal.neighbourhood.name == "邻里单元1" and meal.requester_phone == "13812341234"
    assert meal.urgency is Urgency.NORMAL and meal.source is NeedSource.VISIT
    council = needs["社区议事会"]
    assert council.category is Category.GOVERNANCE and council.source is NeedSource.GRID
    assert council.beneficiary_group is Beneficiary.RESIDENTS and council.urgency is Urgency.URGENT
    assert council.requester_phone == "0477-8123456" and council.requester_address == "幸福里5号楼"
    job = db.session.scalars(
        sa.select(ImportJob).where(ImportJob.community_id == community.id)
    ).one()
    assert (job.status, job.total_rows, job.processed_rows, job.imported_count) == (
        ImportStatus.DONE,
        3,
        3,
        3,
    )


def test_imported_needs_are_audited_with_the_uploader(client, community, secretary):
    upload(client, community, sheet(row(title="助老送餐")))
    need = db.session.scalars(sa.select(Need).where(Need.community_id == community.id)).one()
    audit = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.object_type == "needs", AuditLog.object_id == str(need.id)
        )
    ).one()
    assert audit.action == "create" and audit.actor_id == secretary.id


def test_two_bad_rows_are_reported_by_row_number_and_nothing_is_imported(
    client, community, secretary
):
    data = sheet(
        row(title="助老送餐"),
        row(title=""),  # row 3
        row(title="红色观影"),
        row(
            title="x" * 129, category="文体活动", requester_phone="12345", neighbourhood="邻里单元9"
        ),
    )
    response = upload(client, community, data)
    html = client.get(response.location).get_data(as_text=True)
    assert "共 4 行，其中 2 行有误，没有导入任何需求" in html
    assert "第 3 行" in html and "“标题”必填。" in html
    assert "第 5 行" in html and "“标题”最多 128 个字" in html
    assert "“类别”不能填“文体活动”" in html and "“邻里单元9”不是本社区的邻里单元" in html
    assert "“联系电话”应为 11 位手机号或带区号的座机号" in html
    assert "第 2 行" not in html and "第 4 行" not in html
    assert count_needs(community) == 0
    job = db.session.scalars(
        sa.select(ImportJob).where(ImportJob.community_id == community.id)
    ).one()
    assert job.status is ImportStatus.FAILED and [e["row"] for e in job.error_rows] == [3, 5]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"title,category\n", "needs.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "needs.xls"),  # the old binary format
        (b"PK\x03\x04 not really a zip", "needs.xlsx"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(
    client, community, secretary, data, filename
):
    response = upload(client, community, data, filename)
    assert response.status_code == 422
    assert "无法读取该文件，请上传用模板填写的 .xlsx 文件" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_a_docx_is_not_a_workbook_either(client, community, secretary):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    response = upload(client, community, buffer.getvalue(), "needs.docx")
    assert response.status_code == 422


def test_a_file_over_5_mb_is_refused(client, community, secretary):
    response = upload(client, community, b"\0" * (excel.MAX_BYTES + 1))
    assert response.status_code == 422
    assert "文件超过 5 MB" in response.get_data(as_text=True)


def test_more_than_5000_rows_are_refused(client, community, secretary):
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet()
    worksheet.append(HEADER)
    for n in range(excel.MAX_ROWS + 1):
        worksheet.append(row(title=f"需求{n}"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, community, buffer.getvalue())
    assert response.status_code == 422
    assert "每次最多导入 5000 条需求" in response.get_data(as_text=True)
    assert count_needs(community) == 0


def test_a_sheet_without_the_required_columns_is_refused(client, community, secretary):
    response = upload(client, community, sheet(["名称", "备注"], header=["名称", "备注"]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "表头缺少“标题、类别、来源、受益群体”列" in html and 'aria-invalid="true"' in html


def test_uploading_without_a_file_is_refused(client, community, secretary):
    path = f"/communities/{community.id}/needs/import"
    response = client.post(path, data={"csrf_token": csrf(client, path)})
    assert response.status_code == 422
    assert "请选择要上传的 .xlsx 文件" in response.get_data(as_text=True)


def test_a_1000_row_sheet_imports_in_one_go(client, community, secretary):
    rows = [
        row(title=f"需求{n}", neighbourhood="邻里单元1", requester_phone="13812341234")
        for n in range(1000)
    ]
    data = sheet(*rows)
    started = time.perf_counter()
    response = upload(client, community, data)
    elapsed = time.perf_counter() - started
    print(f"\n1000-row import: {elapsed:.2f}s")
    assert "已导入 1000 条需求" in client.get(response.location).get_data(as_text=True)
    assert count_needs(community) == 1000


# --- the import service ---------------------------------------------------------------------

FIELDS = {
    "title": "楼道灯不亮",
    "category": Category.CONVENIENCE,
    "source": NeedSource.GRID,
    "beneficiary_group": Beneficiary.ELDERLY,
}


def test_import_needs_records_none_when_one_row_is_refused(community):
    secretary, other = make_secretary(community), make_community()
    db.session.commit()  # the set-up survives the unit of work's rollback
    rows = [FIELDS, FIELDS, {**FIELDS, "neighbourhood_id": other.neighbourhoods[0].id}]
    with pytest.raises(Invalid), unit_of_work(secretary):
        import_needs(secretary, community.id, rows)
    assert count_needs(community) == 0


def test_a_job_whose_uploader_lost_her_role_fails_and_imports_nothing(app, community):
    secretary = make_secretary(community)
    job = _job(community, secretary, status=ImportStatus.QUEUED, processed_rows=0)
    job.upload = sheet(row())
    secretary.grants.clear()
    db.session.commit()
    importing.run_import(ImportJob.__tablename__, job.id)
    db.session.refresh(job)
    assert job.status is ImportStatus.FAILED and "无权" in job.message
    assert count_needs(community) == 0


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_only_the_secretary_imports_needs(community, make):
    with pytest.raises(Forbidden):
        import_needs(make(community), community.id, [FIELDS])


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ({"requester_phone": "138 1234 1234"}, None),
        ({"requester_phone": "04778123456"}, None),
        ({"requester_phone": 13812341234.0}, None),
        ({"requester_phone": "０４７７－８１２３４５６"}, None),  # full-width, as IMEs type it
        ({"requester_phone": "1381234123"}, "联系电话"),
        ({"category": "CARE"}, "类别"),  # the category's code is its Chinese name
        ({"source": "Visit"}, None),
        ({"urgency": "极急"}, "紧急程度"),
        ({"beneficiary_group": None}, "受益群体"),
        ({"requester_name": "名" * 65}, "求助人"),
        ({"title": "灯"}, "至少 2 个字"),
    ],
)
def test_each_cell_is_checked(ctx, cells, error):
    choices = excel.choices_for({"邻里单元1": 1})
    fields, errors = excel.validate_row({**GOOD, **cells}, choices)
    assert (error in " ".join(errors)) if error else errors == []
    assert fields.get("requester_phone", "").isascii()


# --- the progress page ----------------------------------------------------------------------


def _job(community, secretary, **overrides) -> ImportJob:
    job = ImportJob(
        community_id=community.id,
        user_id=secretary.id,
        filename="需求清单.xlsx",
        total_rows=1000,
        **{"status": ImportStatus.VALIDATING, "processed_rows": 400, **overrides},
    )
    db.session.add(job)
    db.session.flush()
    return job


def test_a_running_job_polls_its_own_fragment(client, community, secretary):
    job = _job(community, secretary)
    page = client.get(f"/needs/imports/{job.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'max="1000" value="400"' in page
    fragment = client.get(f"/needs/imports/{job.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert (
        "<html" not in html and 'hx-trigger="every 1s"' in html and "已检查 400 / 1000 行" in html
    )


def test_a_finished_job_stops_polling(client, community, secretary):
    job = _job(
        community, secretary, status=ImportStatus.DONE, processed_rows=1000, imported_count=1000
    )
    page = client.get(f"/needs/imports/{job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and 'hx-trigger="every' not in page
    assert "已导入 1000 条需求" in page


def test_a_job_left_running_by_a_dead_process_says_so(client, community, secretary):
    job = _job(community, secretary, created_at=datetime.now(UTC) - timedelta(hours=1))
    html = client.get(f"/needs/imports/{job.id}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "导入已中断" in html and "hx-trigger" not in html


# --- access ---------------------------------------------------------------------------------

PATHS = [
    "/communities/{c}/needs/import",
    "/communities/{c}/needs/import/template.xlsx",
    "/needs/imports/{j}",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_importing_is_forbidden_to_members(client, community, path, make):
    job = _job(community, make_secretary(community))
    login(client, make(community))
    assert client.get(path.format(c=community.id, j=job.id)).status_code == 403


def test_importing_is_forbidden_to_the_street(client, community):
    login(client, make_street_admin(community.street))
    assert client.get(f"/communities/{community.id}/needs/import").status_code == 403


@pytest.mark.parametrize("path", [*PATHS, "/communities/{c}/needs/export.xlsx"])
def test_another_communitys_import_and_export_are_not_found(client, community, path):
    job = _job(community, make_secretary(community))
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, j=job.id)).status_code == 404


def test_a_member_cannot_upload(client, community):
    login(client, make_resident(community))
    path = f"/communities/{community.id}/needs/import"
    form = {"csrf_token": csrf(client, "/me"), "file": (io.BytesIO(sheet(row())), "a.xlsx")}
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 403 and count_needs(community) == 0


# --- the export -----------------------------------------------------------------------------


def _exported(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.data))
    return [[c.value for c in r] for r in workbook["需求清单"].iter_rows()]


def test_export_holds_only_the_filtered_needs_with_phones_masked(client, community, secretary):
    created = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    make_need(community, title="助老送餐", category=Category.CARE, created_at=created)
    make_need(community, title="楼道灯", category=Category.CONVENIENCE)
    make_need(community, title="已解决的送餐", category=Category.CARE, status=NeedStatus.RESOLVED)
    make_need(make_community(), title="别的社区送餐", category=Category.CARE)
    response = client.get(
        f"/communities/{community.id}/needs/export.xlsx?status=listed&category=关心关爱&q=送餐"
    )
    assert response.status_code == 200 and response.mimetype == excel.XLSX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="needs-')
    assert "filename*=UTF-8''%E6%9C%8D%E5%8A%A1%E9%9C%80%E6%B1%82%E6%B8%85%E5%8D%95-" in disposition
    rows = _exported(response)
    assert rows[0][:4] == ["编号", "标题", "描述", "类别"]
    assert [r[1] for r in rows[1:]] == ["助老送餐"]
    need = rows[1]
    assert need[3:8] == ["关心关爱", "入户走访", "老年人", "一般", "已列入清单"]
    assert need[9:11] == ["刘桂兰", "138****1234"]
    assert need[11] == datetime(2026, 11, 23, 9, 30)  # Asia/Shanghai wall-clock time
    assert b"13812341234" not in response.data and "阳光苑" not in str(rows)


def test_export_gives_residents_the_public_list_without_requesters(client, community):
    make_need(community, title="公开需求")
    make_need(community, title="待审核需求", status=NeedStatus.SUBMITTED)
    login(client, make_resident(community))
    rows = _exported(client.get(f"/communities/{community.id}/needs/export.xlsx"))
    assert [r[1] for r in rows[1:]] == ["公开需求"]
    assert rows[1][9:11] == [None, None]


def test_export_writes_a_typed_formula_as_plain_text(client, community, secretary):
    make_need(community, title='=HYPERLINK("http://evil.example","点我")', description="换页\x0c符")
    response = client.get(f"/communities/{community.id}/needs/export.xlsx")
    cell = load_workbook(io.BytesIO(response.data))["需求清单"]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert _exported(response)[1][2] == "换页符"


def test_export_reads_the_same_few_times_however_many_needs(
    client, community, secretary, count_queries
):
    path = f"/communities/{community.id}/needs/export.xlsx"
    make_need(community, neighbourhood_id=community.neighbourhoods[0].id)
    with count_queries() as one:
        client.get(path)
    for n in range(5):
        make_need(community, neighbourhood_id=community.neighbourhoods[n % 2].id)
    with count_queries() as six:
        assert len(_exported(client.get(path))) == 7
    assert six.n == one.n


def test_export_refuses_an_unknown_filter_value(client, community, secretary):
    response = client.get(f"/communities/{community.id}/needs/export.xlsx?status=lost")
    assert response.status_code == 422
