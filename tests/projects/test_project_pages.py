from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus, ResourceOrder
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.projects.models import Project, ProjectMode, ProjectStatus
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


def _count_projects() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


def _claim(project, unit, status=ClaimStatus.PENDING) -> Claim:
    claim = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=status,
    )
    db.session.add(claim)
    if status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.flush()
    return claim


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/projects",
        "/communities/{c}/projects/new",
        "/communities/{c}/steps",
        "/projects/{p}",
        "/projects/{p}/cancel",
    ],
)
def test_another_communitys_project_pages_are_not_found(client, community, path):
    project = make_project(community)
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id, p=project.id)).status_code == 404


@pytest.mark.parametrize("path", ["/communities/{c}/projects/new", "/projects/{p}/cancel"])
@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_compiling_and_cancelling_are_forbidden_to_members(client, community, path, make):
    project = make_project(community)
    login(client, make(community))
    assert client.get(path.format(c=community.id, p=project.id)).status_code == 403


def test_only_the_secretary_sees_drafts(client, community):
    make_project(community, title="送医上门")
    make_project(community, title="还在草拟", status=ProjectStatus.DRAFT)
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/projects").get_data(as_text=True)
    assert "送医上门" in html and "还在草拟" not in html and "从需求生成项目" not in html
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/projects").get_data(as_text=True)
    assert "还在草拟" in html and "从需求生成项目" in html


def test_the_project_filter_answers_htmx_with_the_rows_only(client, community):
    from coop.categories import Category

    make_project(community, title="党史故事会", category=Category.RED_EDUCATION)
    make_project(community, title="理发进小区", category=Category.CONVENIENCE)
    login(client, make_resident(community))
    path = f"/communities/{community.id}/projects?category=红色教育"
    response = client.get(path, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "党史故事会" in html and "理发进小区" not in html
    assert "<html" in client.get(path).get_data(as_text=True)


def test_secretary_compiles_a_project_from_listed_needs(client, community):
    first, second = make_need(community, title="老人买菜"), make_need(community, title="老人理发")
    make_need(community, title="未审核的", status=NeedStatus.SUBMITTED)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/projects/new"
    html = client.get(path).get_data(as_text=True)
    assert "老人买菜" in html and "未审核的" not in html
    assert "一个认领方长期定期服务" in html  # each mode explains itself
    form = {
        "csrf_token": csrf(client, path),
        "need_ids": [str(first.id), str(second.id)],
        "title": "银龄助餐理发",
        "category": "关心关爱",
        "mode": "routine",
        "slots": "5",  # routine: the form sets one
        "schedule": "每周三上午",
        "starts_at": "2030-03-01T09:00",
        "ends_at": "2030-06-30T11:00",
        "claim_deadline": "2030-02-20T18:00",
    }
    response = client.post(path, data=form)
    project = db.session.scalars(sa.select(Project).where(Project.title == "银龄助餐理发")).one()
    assert response.location == f"/projects/{project.id}"
    assert project.status is ProjectStatus.DRAFT and project.mode is ProjectMode.ROUTINE
    assert project.slots == 1 and not project.auto_approve
    # datetime-local inputs are Beijing time
    assert project.starts_at == datetime(2030, 3, 1, 1, 0, tzinfo=UTC)
    assert {n.id for n in project.needs} == {first.id, second.id}
    db.session.refresh(first)
    assert first.status is NeedStatus.IN_PROJECT
    html = client.get(response.location).get_data(as_text=True)
    assert "2030-03-01 09:00" in html and "发布" in html and "老人理发" in html


def test_an_invalid_project_shows_errors_and_changes_nothing(client, community):
    need = make_need(community)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/projects/new"
    before = _count_projects()
    form = {
        "csrf_token": csrf(client, path),
        "title": "没有需求的项目",
        "category": "关心关爱",
        "mode": "team",
        "starts_at": "2030-03-01T09:00",
        "ends_at": "2030-03-01T08:00",
        "claim_deadline": "明天",
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请至少选择一条需求" in html and "请按 年-月-日 时:分 填写时间" in html
    assert 'value="2030-03-01T09:00"' in html
    assert _count_projects() == before
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED


def test_a_service_rule_is_shown_beside_its_field(client, community):
    need = make_need(community)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/projects/new"
    form = {
        "csrf_token": csrf(client, path),
        "need_ids": [str(need.id)],
        "title": "结束早于开始",
        "category": "关心关爱",
        "mode": "team",
        "starts_at": "2030-03-01T09:00",
        "ends_at": "2030-03-01T08:00",
        "claim_deadline": "2030-02-01T09:00",
    }
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED and need.project_id is None


def test_the_detail_offers_the_legal_moves_of_a_draft(client, community):
    project = make_project(community, status=ProjectStatus.DRAFT)
    login(client, make_secretary(community))
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "发布</button>" in html and "取消</a>" in html
    assert "开始实施" not in html and "完成</button>" not in html


def test_members_see_no_project_actions(client, community):
    project = make_project(community)
    login(client, make_resident(community))
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert project.title in html and "开始实施" not in html and "资源点单" not in html


def test_secretary_publishes_a_draft(client, community):
    project = make_project(community, status=ProjectStatus.DRAFT)
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    response = client.post(f"{path}/publish", data={"csrf_token": csrf(client, path)})
    assert response.location == path
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED and project.published_at is not None


def test_publishing_past_the_deadline_is_refused_on_the_page(client, community):
    now = utcnow()
    project = make_project(
        community,
        status=ProjectStatus.DRAFT,
        claim_deadline=now - timedelta(hours=1),
        starts_at=now + timedelta(days=1),
    )
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    response = client.post(f"{path}/publish", data={"csrf_token": csrf(client, path)})
    assert response.status_code == 422
    assert "认领截止时间已过" in response.get_data(as_text=True)
    db.session.refresh(project)
    assert project.status is ProjectStatus.DRAFT


def test_the_summary_answers_htmx_alone(client, community):
    project = make_project(community)
    login(client, make_resident(community))
    response = client.get(f"/projects/{project.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "0/2" in html and "来源需求" not in html


def test_cancelling_needs_a_reason_and_returns_the_needs(client, community):
    need = make_need(community)
    project = make_project(community, needs=[need])
    pending = _claim(project, make_unit(community))
    login(client, make_secretary(community))
    path = f"/projects/{project.id}/cancel"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "场地改造"})
    assert response.location == f"/projects/{project.id}"
    db.session.refresh(project)
    db.session.refresh(need)
    db.session.refresh(pending)
    assert project.status is ProjectStatus.CANCELLED and project.cancel_reason == "场地改造"
    assert need.status is NeedStatus.LISTED and pending.status is ClaimStatus.REJECTED


def test_the_detail_lists_claims_with_lead_and_stale_flags(client, community):
    now = utcnow()
    project = make_project(
        community,
        claim_deadline=now - timedelta(days=2),
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=5),
    )
    lead = _claim(project, make_unit(community, name="市第二医院"), ClaimStatus.APPROVED)
    project.lead_claim_id = lead.id
    _claim(project, make_unit(community, name="鑫源超市"))
    login(client, make_secretary(community))
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "市第二医院" in html and "牵头" in html and "逾期未开展" in html
    assert "鑫源超市" in html and "通过</button>" in html and "不通过</a>" in html


def test_secretary_approves_a_claim_from_the_detail_without_javascript(client, community):
    project = make_project(community)
    claim = _claim(project, make_unit(community))
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    response = client.post(
        f"/claims/{claim.id}/approve", data={"csrf_token": csrf(client, path), "next": path}
    )
    assert response.location == path
    db.session.refresh(claim)
    db.session.refresh(project)
    assert claim.status is ClaimStatus.APPROVED and project.approved_count == 1
    assert project.lead_claim_id == claim.id


def test_secretary_sets_the_lead_unit(client, community):
    project = make_project(community)
    first = _claim(project, make_unit(community), ClaimStatus.APPROVED)
    second = _claim(project, make_unit(community), ClaimStatus.APPROVED)
    project.lead_claim_id = first.id
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    assert "设为牵头单位" in client.get(path).get_data(as_text=True)
    client.post(f"{path}/lead", data={"csrf_token": csrf(client, path), "claim_id": second.id})
    db.session.refresh(project)
    assert project.lead_claim_id == second.id


def test_secretary_orders_from_the_resource_list(client, community):
    unit = make_unit(community, name="市第二医院")
    resource = make_resource(unit, community, title="义诊医生")
    project = make_project(community)
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    html = client.get(path).get_data(as_text=True)
    assert "义诊医生 · 市第二医院" in html
    response = client.post(
        f"{path}/orders",
        data={"csrf_token": csrf(client, path), "resource_id": resource.id, "note": "需要 3 人"},
    )
    assert response.location == f"{path}#orders"
    order = db.session.scalars(sa.select(ResourceOrder)).one()
    assert order.unit_id == unit.id and order.note == "需要 3 人"
    assert "待单位回复" in client.get(path).get_data(as_text=True)


def test_an_order_without_a_resource_changes_nothing(client, community):
    make_resource(make_unit(community), community)
    project = make_project(community)
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    response = client.post(f"{path}/orders", data={"csrf_token": csrf(client, path)})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ResourceOrder)).all() == []


def test_secretary_cancels_an_unanswered_order(client, community):
    from coop.claims.models import OrderStatus

    unit = make_unit(community)
    project = make_project(community)
    order = ResourceOrder(project=project, resource=make_resource(unit, community), unit_id=unit.id)
    db.session.add(order)
    db.session.flush()
    login(client, make_secretary(community))
    path = f"/projects/{project.id}"
    client.post(f"/orders/{order.id}/cancel", data={"csrf_token": csrf(client, path)})
    db.session.refresh(order)
    assert order.status is OrderStatus.CANCELLED


def test_the_steps_fragment_counts_the_lists(client, community):
    make_need(community, status=NeedStatus.SUBMITTED)
    make_need(community)
    make_project(community)  # its own need goes in_project
    login(client, make_secretary(community))
    response = client.get(f"/communities/{community.id}/steps", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "服务需求清单 <strong>1</strong>" in html and "待审核需求 <strong>1</strong>" in html
    assert "认领中的项目 <strong>1</strong>" in html


def test_the_community_page_loads_the_steps(client, community):
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert f'hx-get="/communities/{community.id}/steps"' in html
    assert f'href="/communities/{community.id}/menu"' in html  # without JavaScript too


def test_nav_shows_each_role_its_lists(client, community):
    unit = make_unit(community)
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert "需求清单</a>" in html and "项目清单</a>" in html
    login(client, make_liaison(unit))
    html = client.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "项目菜单</a>" in html and "我的认领</a>" in html
    login(client, make_resident(community))
    assert "我的需求</a>" in client.get("/me").get_data(as_text=True)
