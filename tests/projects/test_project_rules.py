from datetime import timedelta

import pytest

from coop.categories import Category
from coop.dbtypes import utcnow
from coop.errors import Conflict, Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.projects import queries, service
from coop.projects.models import ProjectMode, ProjectStatus
from coop.states import IllegalTransition
from tests.factories import (
    make_community,
    make_need,
    make_project,
    make_resident,
    make_secretary,
)

NOW = utcnow()


def fields(**overrides):
    return {
        "title": "独居老人助餐",
        "category": Category.CARE,
        "mode": ProjectMode.TEAM,
        "slots": 3,
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=70),
        "claim_deadline": NOW + timedelta(days=7),
        **overrides,
    }


def test_secretary_compiles_a_project_from_listed_needs(ctx):
    community = make_community()
    needs = [make_need(community), make_need(community)]
    project = service.create_project(
        make_secretary(community), community.id, need_ids=[n.id for n in needs], **fields()
    )
    assert project.status is ProjectStatus.DRAFT
    assert {n.status for n in needs} == {NeedStatus.IN_PROJECT}
    assert sorted(n.id for n in project.needs) == sorted(n.id for n in needs)


def test_only_listed_needs_of_the_community_can_be_compiled(ctx):
    community = make_community()
    secretary = make_secretary(community)
    submitted = make_need(community, status=NeedStatus.SUBMITTED)
    foreign = make_need(make_community())
    for need in (submitted, foreign):
        with pytest.raises(Invalid):
            service.create_project(secretary, community.id, need_ids=[need.id], **fields())
    assert submitted.status is NeedStatus.SUBMITTED and submitted.project_id is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mode": ProjectMode.ROUTINE, "slots": 2}, "slots"),
        ({"ends_at": NOW + timedelta(days=5)}, "ends_at"),
        ({"claim_deadline": NOW + timedelta(days=11)}, "claim_deadline"),
    ],
)
def test_a_badly_shaped_project_is_refused(ctx, overrides, field):
    community = make_community()
    need = make_need(community)
    with pytest.raises(Invalid) as raised:
        service.create_project(
            make_secretary(community), community.id, need_ids=[need.id], **fields(**overrides)
        )
    assert field in raised.value.errors
    assert need.status is NeedStatus.LISTED


def test_a_resident_cannot_compile_projects(ctx):
    community = make_community()
    with pytest.raises(Forbidden):
        service.create_project(
            make_resident(community), community.id, need_ids=[make_need(community).id], **fields()
        )


def test_publish_start_complete_resolves_the_needs(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = make_need(community)
    project = service.create_project(secretary, community.id, need_ids=[need.id], **fields())
    service.publish_project(secretary, project.id, now=NOW)
    service.start_project(secretary, project.id)
    service.complete_project(secretary, project.id)
    assert project.status is ProjectStatus.COMPLETED
    assert need.status is NeedStatus.RESOLVED and "独居老人助餐" in need.resolution


def test_a_project_past_its_claim_deadline_cannot_be_published(ctx):
    community = make_community()
    secretary = make_secretary(community)
    project = service.create_project(
        secretary, community.id, need_ids=[make_need(community).id], **fields()
    )
    with pytest.raises(Invalid):
        service.publish_project(secretary, project.id, now=NOW + timedelta(days=8))
    db.session.refresh(project)
    assert project.status is ProjectStatus.DRAFT


def test_cancelling_gives_the_needs_back_to_the_list(ctx):
    community = make_community()
    project = make_project(community)
    need = project.needs[0]
    service.cancel_project(make_secretary(community), project.id, reason="场地无法落实")
    assert project.status is ProjectStatus.CANCELLED and project.cancel_reason == "场地无法落实"
    assert need.status is NeedStatus.LISTED and need.project_id is None


def test_a_completed_project_cannot_be_cancelled(ctx):
    community = make_community()
    project = make_project(community, status=ProjectStatus.COMPLETED)
    with pytest.raises(IllegalTransition):
        service.cancel_project(make_secretary(community), project.id, reason="x")
    assert project.status is ProjectStatus.COMPLETED


def test_drafts_are_the_secretarys_only(ctx):
    community = make_community()
    draft = make_project(community, status=ProjectStatus.DRAFT)
    assert queries.get_project(make_secretary(community), draft.id) == draft
    with pytest.raises(NotFound):
        queries.get_project(make_resident(community), draft.id)


def test_a_published_project_keeps_its_needs(ctx):
    community = make_community()
    project = make_project(community)
    with pytest.raises(Conflict):
        service.edit_project(make_secretary(community), project.id, version=1, now=NOW, need_ids=[])


def test_slots_never_drop_below_approved_claims(ctx):
    community = make_community()
    project = make_project(community, slots=3, approved_count=2)
    secretary = make_secretary(community)
    with pytest.raises(Invalid) as refused:
        service.edit_project(secretary, project.id, version=1, now=NOW, slots=1)
    assert "2" in refused.value.errors["slots"][0]
    service.edit_project(secretary, project.id, version=1, now=NOW, slots=2)
    assert project.status is ProjectStatus.CLAIMED  # every slot taken now
