import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.extensions import db
from coop.needs.models import Need, NeedSource, NeedStatus
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


def _count_needs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Need))


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/needs",
        "/communities/{c}/needs/new",
        "/communities/{c}/needs/submit",
        "/needs/{n}",
        "/needs/{n}/reveal",
        "/needs/{n}/reject",
    ],
)
def test_another_communitys_need_pages_are_not_found(client, community, path):
    need = make_need(community)
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, n=need.id)).status_code == 404


@pytest.mark.parametrize("path", ["/communities/{c}/needs", "/communities/{c}/needs/new"])
@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_the_demand_list_is_forbidden_to_members(client, community, path, make):
    login(client, make(community))
    assert client.get(path.format(c=community.id)).status_code == 403


def test_the_demand_list_is_forbidden_to_a_liaison(client, community):
    login(client, make_liaison(make_unit(community)))
    assert client.get(f"/communities/{community.id}/needs").status_code == 403


def test_a_secretary_does_not_submit_as_a_resident(client, community):
    login(client, make_secretary(community))
    assert client.get(f"/communities/{community.id}/needs/submit").status_code == 403


def test_the_list_masks_the_requesters_phone(client, community):
    make_need(community, title="独居老人买菜", requester_phone="13812341234")
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/needs").get_data(as_text=True)
    assert "独居老人买菜" in html and "138****1234" in html
    assert "13812341234" not in html and "阳光苑3号楼2单元" not in html
    assert "查看完整联系方式" in html


def test_the_list_counts_needs_by_status(client, community):
    make_need(community, status=NeedStatus.SUBMITTED)
    make_need(community, status=NeedStatus.SUBMITTED)
    make_need(community)
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/needs").get_data(as_text=True)
    assert "待审核 <strong>2</strong>" in html and "已列入清单 <strong>1</strong>" in html
    assert "全部 <strong>3</strong>" in html


def test_the_filter_answers_htmx_with_the_rows_only(client, community):
    from coop.categories import Category

    make_need(community, title="楼道灯坏了", category=Category.GOVERNANCE)
    make_need(community, title="陪老人看病", category=Category.CARE)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/needs?category=社会治理"
    response = client.get(path, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "楼道灯坏了" in html and "陪老人看病" not in html
    full = client.get(path).get_data(as_text=True)
    assert "<html" in full and "楼道灯坏了" in full and "陪老人看病" not in full


def test_the_filter_searches_and_pages(client, community):
    for n in range(3):
        make_need(community, title=f"维修水管{n}")
    make_need(community, title="理发")
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/needs?q=水管&per_page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in html and "理发" not in html
    assert "q=%E6%B0%B4%E7%AE%A1" in html  # the pager keeps the search


def test_the_unfiltered_pager_counts_this_communitys_needs_only(client, community):
    for _ in range(3):
        make_need(community, status=NeedStatus.SUBMITTED)
    make_need(make_community())  # another community's need counts nowhere here
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/needs?per_page=2").get_data(as_text=True)
    assert "第 1 / 2 页，共 3 条" in html and "全部 <strong>3</strong>" in html


def test_her_own_need_in_another_community_is_not_on_this_communitys_list(client, community):
    """Her own needs are hers to see, but a community's list is that community's."""
    secretary = make_secretary(community)
    make_need(community, status=NeedStatus.SUBMITTED, title="本社区的需求")
    make_need(make_community(), requester_id=secretary.id, title="她在别的社区提的需求")
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/needs").get_data(as_text=True)
    assert "本社区的需求" in html and "她在别的社区提的需求" not in html
    assert "全部 <strong>1</strong>" in html


def test_an_unknown_filter_value_is_refused(client, community):
    login(client, make_secretary(community))
    assert client.get(f"/communities/{community.id}/needs?status=lost").status_code == 422


def test_an_empty_list_says_so(client, community):
    login(client, make_secretary(community))
    assert "还没有需求。" in client.get(f"/communities/{community.id}/needs").get_data(as_text=True)


def test_the_list_links_to_excel_when_it_is_installed(client, community, app):
    make_need(community)
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/needs?urgency=normal").get_data(as_text=True)
    if "needs_excel.export" in app.view_functions:
        assert "export.xlsx?urgency=normal" in html
    else:
        assert "Excel" not in html


def test_secretary_records_a_need_onto_the_list(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/needs/new"
    form = {
        "csrf_token": csrf(client, path),
        "title": "独居老人每周买菜",
        "category": "关心关爱",
        "source": "visit",
        "beneficiary_group": "elderly",
        "urgency": "soon",
        "neighbourhood_id": str(community.neighbourhoods[0].id),
        "requester_name": "刘桂兰",
        "requester_phone": "13900001111",
    }
    response = client.post(path, data=form)
    need = db.session.scalars(sa.select(Need).where(Need.title == "独居老人每周买菜")).one()
    assert response.location == f"/needs/{need.id}"
    assert need.status is NeedStatus.LISTED and need.source is NeedSource.VISIT
    html = client.get(response.location).get_data(as_text=True)
    assert "已列入清单" in html and "139****1111" in html


def test_an_invalid_need_shows_errors_and_changes_nothing(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/needs/new"
    before = _count_needs()
    form = {"csrf_token": csrf(client, path), "title": " ", "category": "游泳", "source": "visit"}
    response = client.post(path, data={**form, "requester_phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and "此项必填" in html
    assert "请从给定的选项中选择" in html and "11 位手机号" in html
    assert 'value="12"' in html  # what she typed stays
    assert _count_needs() == before


def test_a_neighbourhood_of_another_community_is_refused_beside_its_field(client, community):
    other = make_community()
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/needs/new"
    form = {
        "csrf_token": csrf(client, path),
        "title": "借用别人的邻里单元",
        "category": "便民服务",
        "source": "hall",
        "beneficiary_group": "residents",
        "neighbourhood_id": str(other.neighbourhoods[0].id),
    }
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "请选择本社区的邻里单元" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("status", "shown", "hidden"),
    [
        (NeedStatus.SUBMITTED, ["列入清单", "不予受理"], ["标记为已解决", ">关闭<"]),
        (NeedStatus.LISTED, ["不予受理", "标记为已解决"], ["列入清单</button>", ">关闭<"]),
        (NeedStatus.RESOLVED, [">关闭<"], ["不予受理", "标记为已解决"]),
    ],
)
def test_the_detail_offers_only_the_legal_moves(client, community, status, shown, hidden):
    need = make_need(community, status=status)
    login(client, make_secretary(community))
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    for label in shown:
        assert label in html
    for label in hidden:
        assert label not in html


def test_secretary_lists_a_submitted_need(client, community):
    need = make_need(community, status=NeedStatus.SUBMITTED)
    login(client, make_secretary(community))
    path = f"/needs/{need.id}"
    response = client.post(f"{path}/list", data={"csrf_token": csrf(client, path)})
    assert response.location == path
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED


def test_an_illegal_move_is_refused_on_the_detail_page(client, community):
    need = make_need(community)
    login(client, make_secretary(community))
    path = f"/needs/{need.id}"
    response = client.post(f"{path}/close", data={"csrf_token": csrf(client, path)})
    assert response.status_code == 409
    assert "不能关闭" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED


def test_a_resident_cannot_move_a_need(client, community):
    resident = make_resident(community)
    need = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    login(client, resident)
    token = csrf(client, f"/needs/{need.id}")
    assert client.post(f"/needs/{need.id}/list", data={"csrf_token": token}).status_code == 403


def test_rejecting_needs_a_reason(client, community):
    need = make_need(community, status=NeedStatus.SUBMITTED)
    login(client, make_secretary(community))
    path = f"/needs/{need.id}/reject"
    assert "确认不予受理" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status is NeedStatus.SUBMITTED
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "reason": "属物业维修范围，已转物业"}
    )
    assert response.location == f"/needs/{need.id}"
    db.session.refresh(need)
    assert need.status is NeedStatus.REJECTED and need.reject_reason == "属物业维修范围，已转物业"


def test_revealing_the_requester_asks_for_a_reason_and_logs_it(client, community):
    need = make_need(community, requester_phone="13812341234")
    login(client, make_secretary(community))
    path = f"/needs/{need.id}/reveal"
    html = client.get(path).get_data(as_text=True)
    assert "138****1234" in html and "13812341234" not in html

    def reveals() -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "reveal", AuditLog.object_id == str(need.id))
        )

    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422 and "13812341234" not in response.get_data(as_text=True)
    assert reveals() == 0

    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "电话回访"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "13812341234" in html and "阳光苑3号楼2单元" in html
    log = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "reveal")).one()
    assert log.after["reason"] == "电话回访"


def test_street_admin_reads_the_list_but_may_not_reveal(client, community):
    from tests.factories import make_street_admin

    need = make_need(community)
    login(client, make_street_admin(community.street))
    html = client.get(f"/communities/{community.id}/needs").get_data(as_text=True)
    assert need.title in html and "查看完整联系方式" not in html
    assert client.get(f"/needs/{need.id}/reveal").status_code == 403


def test_resident_submits_a_need_from_her_phone(client, community):
    resident = make_resident(community, phone="13700002222")
    login(client, resident)
    path = f"/communities/{community.id}/needs/submit"
    html = client.get(path).get_data(as_text=True)
    assert "我要提需求" in html and 'type="radio"' in html
    form = {
        "csrf_token": csrf(client, path),
        "title": "楼道灯坏了",
        "category": "便民服务",
        "urgency": "urgent",
    }
    response = client.post(path, data=form)
    assert response.location == "/my/needs"
    need = db.session.scalars(sa.select(Need).where(Need.title == "楼道灯坏了")).one()
    assert need.status is NeedStatus.SUBMITTED and need.requester_id == resident.id
    assert need.source is NeedSource.RESIDENT and need.requester_phone == "13700002222"
    html = client.get("/my/needs").get_data(as_text=True)
    assert "楼道灯坏了" in html and 'aria-current="step">待审核' in html


def test_a_resident_submission_without_a_title_changes_nothing(client, community):
    login(client, make_resident(community))
    path = f"/communities/{community.id}/needs/submit"
    before = _count_needs()
    response = client.post(path, data={"csrf_token": csrf(client, path), "category": "便民服务"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "此项必填" in html
    assert 'value="便民服务" checked' in html  # her choice stays ticked
    assert _count_needs() == before


def test_resident_sees_her_progress_and_the_reject_reason(client, community):
    resident = make_resident(community)
    make_need(community, title="加装电梯", requester_id=resident.id, status=NeedStatus.IN_PROJECT)
    make_need(
        community,
        title="占用消防通道",
        requester_id=resident.id,
        status=NeedStatus.REJECTED,
        reject_reason="请联系物业处理",
    )
    make_need(community, title="邻居的需求", status=NeedStatus.SUBMITTED)
    login(client, resident)
    html = client.get("/my/needs").get_data(as_text=True)
    assert "加装电梯" in html and 'aria-current="step">已纳入项目' in html
    assert "社区未受理：请联系物业处理" in html
    assert "邻居的需求" not in html


def test_resident_sees_her_own_need_but_not_a_neighbours_submission(client, community):
    resident = make_resident(community)
    own = make_need(community, requester_id=resident.id, status=NeedStatus.SUBMITTED)
    other = make_need(community, status=NeedStatus.SUBMITTED)
    login(client, resident)
    assert client.get(f"/needs/{own.id}").status_code == 200
    assert client.get(f"/needs/{other.id}").status_code == 404


def test_my_needs_is_empty_at_first(client, community):
    login(client, make_resident(community))
    html = client.get("/my/needs").get_data(as_text=True)
    assert "您还没有提过需求。" in html
    assert f"/communities/{community.id}/needs/submit" in html


def test_the_demand_list_queries_do_not_grow_with_needs(client, community, count_queries):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/needs"

    def add(n):
        for i in range(n):
            make_need(community, neighbourhood_id=community.neighbourhoods[i % 2].id)

    add(3)
    with count_queries() as few:
        client.get(path)
    add(9)
    with count_queries() as many:
        client.get(path)
    assert many.n == few.n
