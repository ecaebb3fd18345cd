"""The projects JSON API: compiling, the project's life, the claiming menu and the lead unit."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.projects.models import Project, ProjectMode, ProjectStatus
from tests.factories import (
    bearer,
    make_community,
    make_need,
    make_project,
    make_resident,
    make_secretary,
    make_unit,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def draft(community, need_ids, **overrides) -> dict:
    return {
        "community_id": community.id,
        "title": "银龄助餐",
        "description": "为高龄独居老人送餐",
        "category": "关心关爱",
        "mode": "team",
        "need_ids": need_ids,
        "slots": 2,
        "volunteer_capacity": 10,
        "schedule": "每周二、四中午",
        "starts_at": "2030-01-10T09:00",  # no offset: Asia/Shanghai
        "ends_at": "2030-03-10T18:00:00+08:00",
        "claim_deadline": "2030-01-05T00:00:00Z",
        **overrides,
    }


def _count_projects() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


def approve(project, unit, **overrides) -> Claim:
    claim = Claim(
        **{
            "project": project,
            "claimant_type": ClaimantType.UNIT,
            "unit_id": unit.id,
            "claimant_key": f"unit:{unit.id}",
            "status": ClaimStatus.APPROVED,
            "decided_at": utcnow(),
            **overrides,
        }
    )
    db.session.add(claim)
    project.approved_count += 1
    db.session.flush()
    return claim


def test_the_secretary_compiles_a_draft_from_listed_needs(client, community, secretary):
    need = make_need(community)
    response = client.post(
        "/api/v1/projects", json=draft(community, [need.id]), headers=bearer(secretary)
    )
    assert response.status_code == 201
    project = response.json
    assert project["status"] == "draft" and project["status_label"] == "草稿"
    assert project["mode_label"] == "组团式" and project["category_label"] == "关心关爱"
    assert project["need_ids"] == [need.id]
    assert project["starts_at"] == "2030-01-10T09:00:00+08:00"
    assert project["claim_deadline"] == "2030-01-05T08:00:00+08:00"
    assert project["free_slots"] == 2 and project["claimants"] == []
    db.session.refresh(need)
    assert need.status is NeedStatus.IN_PROJECT


def test_a_project_is_published_started_and_completed(client, community, secretary):
    need = make_need(community)
    headers = bearer(secretary)
    project_id = client.post(
        "/api/v1/projects", json=draft(community, [need.id]), headers=headers
    ).json["id"]
    published = client.post(f"/api/v1/projects/{project_id}/publish", headers=headers)
    assert published.status_code == 200 and published.json["status"] == "published"
    assert published.json["published_at"]
    started = client.post(f"/api/v1/projects/{project_id}/start", headers=headers)
    assert started.json["status"] == "in_progress"
    completed = client.post(f"/api/v1/projects/{project_id}/complete", headers=headers)
    assert completed.status_code == 200 and completed.json["status"] == "completed"
    need_now = client.get(f"/api/v1/needs/{need.id}", headers=headers).json
    assert need_now["status"] == "resolved"


def test_publishing_twice_is_an_illegal_move(client, community, secretary):
    project = make_project(community)
    response = client.post(f"/api/v1/projects/{project.id}/publish", headers=bearer(secretary))
    assert response.status_code == 409 and response.json["code"] == "illegal_transition"


def test_a_draft_without_needs_cannot_be_published(client, community, secretary):
    project = make_project(community, needs=[], status=ProjectStatus.DRAFT)
    response = client.post(f"/api/v1/projects/{project.id}/publish", headers=bearer(secretary))
    assert response.status_code == 422 and "need_ids" in response.json["errors"]
    db.session.refresh(project)
    assert project.status is ProjectStatus.DRAFT


def test_cancelling_needs_a_reason_and_gives_the_needs_back(client, community, secretary):
    need = make_need(community)
    project = make_project(community, needs=[need])
    path = f"/api/v1/projects/{project.id}/cancel"
    refused = client.post(path, json={}, headers=bearer(secretary))
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    response = client.post(path, json={"reason": "场地不可用"}, headers=bearer(secretary))
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert response.json["cancel_reason"] == "场地不可用"
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED and need.project_id is None


def test_a_draft_is_edited_field_by_field(client, community, secretary):
    project = make_project(community, status=ProjectStatus.DRAFT)
    response = client.patch(
        f"/api/v1/projects/{project.id}", json={"slots": 3, "version": 1}, headers=bearer(secretary)
    )
    assert response.status_code == 200
    assert response.json["slots"] == 3 and response.json["title"] == project.title


def test_a_published_project_keeps_its_mode(client, community, secretary):
    project = make_project(community)
    response = client.patch(
        f"/api/v1/projects/{project.id}",
        json={"mode": "routine", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 409
    db.session.refresh(project)
    assert project.mode is ProjectMode.TEAM


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"category": "其他"}, "category"),
        ({"mode": "solo"}, "mode"),
        ({"slots": 0}, "slots"),
        ({"starts_at": "下周一"}, "starts_at"),
        ({"mode": "routine", "slots": 2}, "slots"),
        ({"ends_at": "2030-01-01T00:00"}, "ends_at"),
        ({"claim_deadline": "2030-02-01T00:00"}, "claim_deadline"),
        ({"title": ""}, "title"),
    ],
)
def test_a_bad_project_is_422_and_creates_nothing(client, community, secretary, overrides, field):
    need = make_need(community)
    response = client.post(
        "/api/v1/projects", json=draft(community, [need.id], **overrides), headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _count_projects() == 0
    db.session.refresh(need)
    assert need.status is NeedStatus.LISTED


def test_a_need_of_another_community_is_422(client, community, secretary):
    theirs = make_need(make_community())
    response = client.post(
        "/api/v1/projects", json=draft(community, [theirs.id]), headers=bearer(secretary)
    )
    assert response.status_code == 422 and "need_ids" in response.json["errors"]
    assert _count_projects() == 0


def test_a_resident_cannot_compile_a_project(client, community):
    need = make_need(community)
    response = client.post(
        "/api/v1/projects",
        json=draft(community, [need.id]),
        headers=bearer(make_resident(community)),
    )
    assert response.status_code == 403 and _count_projects() == 0


@pytest.mark.parametrize(
    "path, body",
    [
        ("/start", None),
        ("/cancel", {"reason": "不想做了"}),
        ("/lead", {"claim_id": 1}),
    ],
)
def test_a_resident_cannot_run_a_project(client, community, path, body):
    project = make_project(community)
    response = client.post(
        f"/api/v1/projects/{project.id}{path}", json=body, headers=bearer(make_resident(community))
    )
    assert response.status_code == 403
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED


def test_residents_do_not_see_drafts(client, community):
    published = make_project(community)
    hidden = make_project(community, status=ProjectStatus.DRAFT)
    headers = bearer(make_resident(community))
    body = client.get("/api/v1/projects", headers=headers).json
    assert [p["id"] for p in body["items"]] == [published.id]
    assert client.get(f"/api/v1/projects/{hidden.id}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("patch", "", {"title": "改名字", "version": 1}),
        ("post", "/start", None),
        ("post", "/cancel", {"reason": "取消取消"}),
    ],
)
def test_another_communitys_project_is_404(client, secretary, method, path, body):
    theirs = make_project(make_community())
    response = getattr(client, method)(
        f"/api/v1/projects/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/projects"), ("post", "/api/v1/projects"), ("get", "/api/v1/projects/menu")]
    + [("post", f"/api/v1/projects/1/{a}") for a in ("publish", "start", "cancel", "lead")],
)
def test_the_projects_api_needs_a_token(client, method, path):
    assert getattr(client, method)(path).status_code == 401


def test_projects_filter_by_category_mode_and_status(client, community, secretary):
    wanted = make_project(community, category="红色教育", title="红色故事会")
    make_project(community, category="红色教育", status=ProjectStatus.DRAFT)
    make_project(community, category="便民服务")
    response = client.get(
        "/api/v1/projects?category=红色教育&mode=team&status=published&q=故事",
        headers=bearer(secretary),
    )
    assert [p["id"] for p in response.json["items"]] == [wanted.id]


def test_the_menu_groups_open_projects_by_category_in_order(client, community):
    care = make_project(community, category="关心关爱")
    red_1 = make_project(community, category="红色教育")
    red_2 = make_project(community, category="红色教育")
    make_project(community, category="便民服务", status=ProjectStatus.DRAFT)
    make_project(community, category="政策宣讲", status=ProjectStatus.IN_PROGRESS)
    make_project(make_community(), category="社会治理")
    response = client.get(
        f"/api/v1/projects/menu?community_id={community.id}",
        headers=bearer(make_resident(community)),
    )
    assert response.status_code == 200
    menu = response.json
    assert [g["category"] for g in menu] == [
        "红色教育",
        "政策宣讲",
        "关心关爱",
        "社会治理",
        "便民服务",
    ]
    assert [g["label"] for g in menu] == [g["category"] for g in menu]  # zh labels
    grouped = {g["category"]: {p["id"] for p in g["projects"]} for g in menu}
    assert grouped == {
        "红色教育": {red_1.id, red_2.id},
        "政策宣讲": set(),
        "关心关爱": {care.id},
        "社会治理": set(),
        "便民服务": set(),
    }


def test_a_project_names_who_holds_its_slots(client, community, secretary):
    project = make_project(community, slots=3)
    first, second = make_unit(community, name="区税务局"), make_unit(community, name="区人民医院")
    approve(project, first)
    approve(project, second)
    db.session.add(
        Claim(
            project=project,
            claimant_type=ClaimantType.UNIT,
            unit_id=make_unit(community).id,
            claimant_key="unit:pending",
        )
    )
    db.session.flush()
    body = client.get(f"/api/v1/projects/{project.id}", headers=bearer(secretary)).json
    assert [c["name"] for c in body["claimants"]] == ["区税务局", "区人民医院"]
    assert body["approved_count"] == 2 and body["free_slots"] == 1


def test_the_secretary_picks_the_lead_unit(client, community, secretary):
    project = make_project(community)
    first = approve(project, make_unit(community))
    second = approve(project, make_unit(community))
    project.lead_claim_id = first.id
    path = f"/api/v1/projects/{project.id}/lead"
    response = client.post(path, json={"claim_id": second.id}, headers=bearer(secretary))
    assert response.status_code == 200 and response.json["lead_claim_id"] == second.id
    pending = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=make_unit(community).id,
        claimant_key="unit:x",
    )
    db.session.add(pending)
    db.session.flush()
    refused = client.post(path, json={"claim_id": pending.id}, headers=bearer(secretary))
    assert refused.status_code == 422 and "claim_id" in refused.json["errors"]


def test_listing_projects_costs_the_same_queries_for_3_or_12(
    client, community, secretary, count_queries
):
    headers = bearer(secretary)
    for _ in range(3):
        approve(make_project(community), make_unit(community))
    with count_queries() as few:
        client.get("/api/v1/projects", headers=headers)
    for _ in range(9):
        approve(make_project(community), make_unit(community))
    with count_queries() as many:
        assert len(client.get("/api/v1/projects", headers=headers).json["items"]) == 12
    assert many.n == few.n


def test_a_stale_deadline_blocks_publishing(client, community, secretary):
    now = utcnow()
    project = make_project(
        community,
        status=ProjectStatus.DRAFT,
        claim_deadline=now - timedelta(hours=1),
        starts_at=now + timedelta(days=1),
    )
    response = client.post(f"/api/v1/projects/{project.id}/publish", headers=bearer(secretary))
    assert response.status_code == 422 and "claim_deadline" in response.json["errors"]


def test_compiling_in_another_community_is_404(client, secretary):
    other = make_community()
    response = client.post(
        "/api/v1/projects", json=draft(other, [make_need(other).id]), headers=bearer(secretary)
    )
    assert response.status_code == 404 and _count_projects() == 0
