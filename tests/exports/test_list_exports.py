"""Every list page exports what it shows: the same filters, every page of it, text kept as text,
phones masked, and the same permission as the page."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from coop.activities.models import ActivityStatus
from coop.alliance.models import UnitKind
from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.resources.models import ResourceKind
from tests.factories import (
    login,
    make_activity,
    make_community,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def sheet(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def values(response) -> tuple[tuple, list[tuple]]:
    rows = list(sheet(response).iter_rows(values_only=True))
    return rows[0], rows[1:]


def shown(client, url: str, names, **args) -> set[str]:
    """Which of ``names`` the list page shows under the filter (every row on one page)."""
    html = client.get(url, query_string={**args, "per_page": 100}).get_data(as_text=True)
    return {name for name in names if name in html}


def test_projects_export_holds_the_filtered_list(client, community, secretary):
    care = make_project(community, title="助老陪伴项目", category=Category.CARE)
    make_project(community, title="政策宣讲进楼栋", category=Category.POLICY)
    login(client, secretary)
    url = f"/communities/{community.id}/projects"
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"category": "关心关爱"}))
    assert header[:5] == ("编号", "项目名称", "类别", "认领方式", "状态")
    assert [row[1] for row in rows] == ["助老陪伴项目"]
    assert rows[0][0] == str(care.id)
    assert {row[1] for row in rows} == shown(
        client, url, {"助老陪伴项目", "政策宣讲进楼栋"}, category="关心关爱"
    )


def test_projects_export_has_every_page(client, community, secretary):
    for i in range(25):
        make_project(community, title=f"项目批量{i:02d}")
    login(client, secretary)
    _header, rows = values(
        client.get(f"/communities/{community.id}/projects/export.xlsx", query_string={"page": 1})
    )
    assert len(rows) == 25


def test_people_export_masks_phones_and_keeps_usernames_as_text(client, community, secretary):
    make_volunteer(community, display_name="李敏", username="13912345678", phone="13912345678")
    make_volunteer(community, display_name="赵强")
    login(client, secretary)
    url = f"/communities/{community.id}/people"
    response = client.get(f"{url}/export.xlsx", query_string={"q": "李"})
    header, rows = values(response)
    assert header == ("姓名", "用户名", "手机号", "身份", "状态")
    assert [row[0] for row in rows] == ["李敏"]
    assert rows[0][2] == "139****5678"
    cells = next(sheet(response).iter_rows(min_row=2))
    assert cells[1].data_type == "s" and cells[1].value == "13912345678"
    assert "13912345678" not in {row[2] for row in rows}
    assert {row[0] for row in rows} == shown(client, url, {"李敏", "赵强"}, q="李")


def test_people_export_follows_the_role_filter(client, community, secretary):
    make_volunteer(community, display_name="志愿者甲")
    login(client, secretary)
    url = f"/communities/{community.id}/people"
    _header, rows = values(client.get(f"{url}/export.xlsx", query_string={"role": "volunteer"}))
    names = {row[0] for row in rows}
    assert names == {"志愿者甲"}
    assert names == shown(client, url, {"志愿者甲", secretary.display_name}, role="volunteer") - {
        secretary.display_name
    }


def test_units_export_masks_contact_phones_and_follows_kind(client, community, secretary):
    make_unit(community, name="区卫健委", kind=UnitKind.DISTRICT, contact_phone="13700001234")
    make_unit(community, name="驻区银行", kind=UnitKind.STATIONED)
    login(client, secretary)
    url = f"/communities/{community.id}/units"
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"kind": "district"}))
    assert header[0] == "单位名称"
    assert [row[0] for row in rows] == ["区卫健委"]
    assert rows[0][4] == "137****1234"
    assert {row[0] for row in rows} == shown(client, url, {"区卫健委", "驻区银行"}, kind="district")


def test_resources_export_follows_kind(client, community, secretary):
    unit = make_unit(community)
    make_resource(unit, community, title="会议室", kind=ResourceKind.VENUE)
    make_resource(unit, community, title="志愿者十人", kind=ResourceKind.VOLUNTEERS)
    login(client, secretary)
    url = f"/communities/{community.id}/resources"
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"kind": "venue"}))
    assert header[0] == "资源名称"
    assert [row[0] for row in rows] == ["会议室"]
    assert rows[0][2] == unit.name
    assert {row[0] for row in rows} == shown(client, url, {"会议室", "志愿者十人"}, kind="venue")


def test_export_file_is_named_after_list_community_and_date(client, community, secretary):
    login(client, secretary)
    response = client.get(f"/communities/{community.id}/projects/export.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert 'filename="projects-' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert sheet(response).title == "项目清单"


def claim(project, unit, status) -> Claim:
    row = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=status,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_activities_export_holds_both_lists_of_the_page(client, community, secretary):
    make_activity(community, title="下周义诊", starts_at=utcnow() + timedelta(days=7))
    make_activity(community, title="上月清扫", starts_at=utcnow() - timedelta(days=30))
    make_activity(
        community,
        title="取消的讲座",
        starts_at=utcnow() - timedelta(days=3),
        status=ActivityStatus.CANCELLED,
    )
    make_activity(make_community(), title="别的社区活动")
    login(client, secretary)
    url = f"/communities/{community.id}/activities"
    header, rows = values(client.get(f"{url}/export.xlsx"))
    assert header[:2] == ("编号", "活动名称")
    names = {row[1] for row in rows}
    assert names == {"下周义诊", "上月清扫", "取消的讲座"}
    assert names == shown(client, url, names | {"别的社区活动"})


def test_claims_export_holds_the_queue(client, community, secretary):
    project = make_project(community, title="楼道微更新")
    waiting, approved, withdrawn = (
        make_unit(community, name=n) for n in ("甲单位", "乙单位", "丙单位")
    )
    claim(project, waiting, ClaimStatus.PENDING)
    claim(project, approved, ClaimStatus.APPROVED)
    claim(project, withdrawn, ClaimStatus.WITHDRAWN)
    login(client, secretary)
    url = f"/communities/{community.id}/claims"
    header, rows = values(client.get(f"{url}/export.xlsx"))
    assert header[:3] == ("编号", "项目", "认领方")
    names = {row[2] for row in rows}
    assert names == {"甲单位", "乙单位"}
    assert names == shown(client, url, {"甲单位", "乙单位", "丙单位"})


def test_escalations_export_follows_the_status_filter(client, community, secretary):
    from coop.escalations.models import EscalationStatus
    from tests.escalations.helpers import NOW, raise_need
    from tests.factories import make_need, make_street_admin

    open_one = raise_need(secretary, make_need(community, title="违建占用消防通道"))
    done = raise_need(secretary, make_need(community, title="路灯不亮"))
    done.status, done.closed_at, done.outcome = EscalationStatus.RESOLVED, NOW, "已修复"
    db.session.flush()
    login(client, make_street_admin(community.street))
    url = f"/streets/{community.street_id}/escalations"
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"status": "open"}))
    assert header[:3] == ("编号", "社区", "需求")
    assert [row[0] for row in rows] == [str(open_one.id)]
    titles = {row[2] for row in rows}
    assert titles == shown(client, url, {"违建占用消防通道", "路灯不亮"}, status="open")


@pytest.mark.parametrize("who", ["secretary", "volunteer"])
def test_only_the_street_admin_exports_escalations(client, community, who):
    user = make_secretary(community) if who == "secretary" else make_volunteer(community)
    login(client, user)
    url = f"/streets/{community.street_id}/escalations"
    assert client.get(f"{url}/export.xlsx").status_code == client.get(url).status_code
    assert client.get(f"{url}/export.xlsx").status_code in (403, 404)


def test_supermarket_items_export_follows_the_search(client, community):
    from tests.factories import make_reward_item, make_supermarket_staff

    make_reward_item(community, name="洗衣液")
    make_reward_item(community, name="毛巾")
    login(client, make_supermarket_staff(community))
    url = f"/communities/{community.id}/supermarket/items"
    header, rows = values(client.get(f"{url}/export.xlsx", query_string={"q": "洗衣"}))
    assert header[:2] == ("编号", "商品名称")
    assert [row[1] for row in rows] == ["洗衣液"]
    assert {row[1] for row in rows} == shown(client, url, {"洗衣液", "毛巾"}, q="洗衣")


def test_a_volunteer_cannot_export_the_supermarket_shelf(client, community):
    login(client, make_volunteer(community))
    url = f"/communities/{community.id}/supermarket/items"
    assert client.get(f"{url}/export.xlsx").status_code == client.get(url).status_code == 403


LISTS = ["projects", "people", "units", "resources", "hours", "activities", "claims"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("who", ["volunteer", "outsider"])
def test_export_has_the_permission_of_its_page(client, community, path, who):
    """A volunteer gets what the page gives her (403 for staff lists); another community's
    secretary a 404, as on the page."""
    user = make_volunteer(community) if who == "volunteer" else make_secretary(make_community())
    login(client, user)
    page = client.get(f"/communities/{community.id}/{path}").status_code
    export = client.get(f"/communities/{community.id}/{path}/export.xlsx").status_code
    assert export == page
    if who == "outsider":
        assert export == 404


def test_a_volunteer_cannot_export_the_people_list(client, community):
    login(client, make_volunteer(community))
    assert client.get(f"/communities/{community.id}/people/export.xlsx").status_code == 403


def test_bad_filter_is_422(client, community, secretary):
    login(client, secretary)
    response = client.get(
        f"/communities/{community.id}/projects/export.xlsx", query_string={"category": "无此类"}
    )
    assert response.status_code == 422


def test_list_page_links_to_its_export_with_its_filters(client, community, secretary):
    make_project(community, category=Category.CARE)
    login(client, secretary)
    html = client.get(
        f"/communities/{community.id}/projects", query_string={"category": "关心关爱", "page": 1}
    ).get_data(as_text=True)
    assert f"/communities/{community.id}/projects/export.xlsx?category=" in html
    assert "导出 Excel" in html


@pytest.mark.parametrize(
    "path", ["projects", "people", "units", "resources", "activities", "claims"]
)
def test_statements_do_not_grow_with_rows(client, community, secretary, count_queries, path):
    unit = make_unit(community)

    def add(n: int) -> None:
        for _ in range(n):
            make_project(community)
            make_volunteer(community)
            make_unit(community)
            make_resource(unit, community)
            make_activity(community)
            claim(make_project(community), make_unit(community), ClaimStatus.PENDING)

    login(client, secretary)

    def measure() -> int:
        with count_queries() as counted:
            assert client.get(f"/communities/{community.id}/{path}/export.xlsx").status_code == 200
        return counted.n

    add(2)
    few = measure()
    add(20)
    assert measure() == few
