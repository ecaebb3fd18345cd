"""The demo's lists: every source, kind, category and state shown, consistent, and usable by the
demo accounts through the real services."""

from collections import Counter

import pytest
import sqlalchemy as sa

from coop import demo
from coop.alliance.models import Community
from coop.alliance.queries import live_agreement_unit_ids
from coop.auth.models import User
from coop.categories import Category
from coop.claims import queries as claim_queries
from coop.claims import service as claims
from coop.claims.models import LIVE, Claim, ClaimantType, ClaimStatus, OrderStatus
from coop.dbtypes import utcnow
from coop.demo.lists import EBIKE_SHED
from coop.extensions import db
from coop.needs import queries as need_queries
from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus
from coop.projects import queries as project_queries
from coop.projects.models import Project, ProjectMode, ProjectStatus
from coop.resources import queries as resource_queries
from coop.resources.models import Resource, ResourceKind, ResourceStatus
from coop.timeutil import local_today

OPEN = (
    ProjectStatus.DRAFT,
    ProjectStatus.PUBLISHED,
    ProjectStatus.CLAIMED,
    ProjectStatus.IN_PROGRESS,
)
DONE = (ProjectStatus.COMPLETED, ProjectStatus.EVALUATED)
HOLDING = (ClaimStatus.APPROVED, ClaimStatus.FULFILLED)


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True
    return {c.name: c for c in db.session.scalars(sa.select(Community))}


@pytest.fixture
def xingwang(loaded):
    return loaded["兴旺社区"]


def account(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def rows(model, community):
    return list(db.session.scalars(sa.select(model).where(model.community_id == community.id)))


def claims_of(project) -> list[Claim]:
    return list(db.session.scalars(sa.select(Claim).where(Claim.project_id == project.id)))


def test_needs_come_from_every_source_for_every_group_in_every_state(xingwang):
    needs = rows(Need, xingwang)
    assert 35 <= len(needs) <= 80  # 33 of them the people visited with care
    assert set(Counter(n.source for n in needs)) == set(NeedSource)
    assert set(Counter(n.beneficiary_group for n in needs)) == set(Beneficiary)
    assert set(Counter(n.status for n in needs)) == set(NeedStatus)


def test_rejected_needs_say_why_and_resolved_ones_how(xingwang):
    for need in rows(Need, xingwang):
        if need.status is NeedStatus.REJECTED:
            assert need.reject_reason
        if need.status in (NeedStatus.RESOLVED, NeedStatus.CLOSED):
            assert need.resolution or need.reject_reason


def test_the_demo_resident_follows_her_own_needs_in_several_states(xingwang):
    resident = account("resident")
    mine = list(db.session.scalars(need_queries.needs_select(resident, mine=True)))
    assert len(mine) >= 4
    assert {n.status for n in mine} >= {
        NeedStatus.SUBMITTED,
        NeedStatus.IN_PROJECT,
        NeedStatus.RESOLVED,
        NeedStatus.REJECTED,
    }
    assert all(n.source is NeedSource.RESIDENT for n in mine)


def test_resources_of_every_kind_in_offered_listed_and_returned_states(xingwang):
    resources = rows(Resource, xingwang)
    assert set(Counter(r.kind for r in resources)) == set(ResourceKind)
    assert {ResourceStatus.OFFERED, ResourceStatus.LISTED, ResourceStatus.RETURNED} <= {
        r.status for r in resources
    }
    assert all(r.return_reason for r in resources if r.status is ResourceStatus.RETURNED)


def test_six_e_bike_sheds_are_funded_by_six_units(xingwang):
    sheds = [r for r in rows(Resource, xingwang) if r.title.startswith(EBIKE_SHED)]
    assert len(sheds) == 6
    assert {r.kind for r in sheds} == {ResourceKind.FUNDS}
    assert len({r.unit_id for r in sheds}) == 6
    pledging = db.session.scalars(
        sa.select(Claim).where(Claim.resources.any(Resource.id.in_([r.id for r in sheds])))
    ).all()
    assert len(pledging) == 6 and {c.status for c in pledging} == {ClaimStatus.FULFILLED}


def test_projects_in_every_category_mode_and_state(xingwang):
    projects = rows(Project, xingwang)
    assert {p.category for p in projects} == set(Category)
    assert {p.mode for p in projects} == set(ProjectMode)
    assert {
        ProjectStatus.DRAFT,
        ProjectStatus.PUBLISHED,
        ProjectStatus.CLAIMED,
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.COMPLETED,
    } <= {p.status for p in projects}
    claim_states = {c.status for p in projects for c in claims_of(p)}
    assert {ClaimStatus.PENDING, ClaimStatus.APPROVED, ClaimStatus.FULFILLED} <= claim_states


def test_every_project_counts_its_approved_claims_and_has_a_lead(loaded):
    for project in db.session.scalars(sa.select(Project)):
        claims_ = claims_of(project)
        holding = [c for c in claims_ if c.status in HOLDING]
        assert project.approved_count == len(holding) <= project.slots, project.title
        if project.status is ProjectStatus.CLAIMED:
            assert project.free_slots == 0, project.title
        if project.status is ProjectStatus.PUBLISHED:
            assert project.free_slots > 0, project.title
        if project.mode is ProjectMode.TEAM and holding:
            assert project.lead_claim_id in {c.id for c in holding}, project.title
        if project.mode is ProjectMode.ROUTINE:
            assert project.slots == 1 and project.lead_claim_id is None
        if project.status in DONE:
            assert not [c for c in claims_ if c.status in LIVE], project.title
        if project.status is ProjectStatus.DRAFT:
            assert not claims_ and project.published_at is None


def test_needs_are_in_project_exactly_while_an_open_project_holds_them(loaded):
    for need in db.session.scalars(sa.select(Need)):
        project = db.session.get(Project, need.project_id) if need.project_id else None
        assert (need.status is NeedStatus.IN_PROJECT) == (
            project is not None and project.status in OPEN
        ), need.title
        if project is not None:
            assert project.community_id == need.community_id
            if project.status in DONE:
                assert need.status in (NeedStatus.RESOLVED, NeedStatus.CLOSED), need.title
    for project in db.session.scalars(sa.select(Project)):
        assert project.needs or project.status is ProjectStatus.CANCELLED, project.title


def test_only_units_with_a_live_agreement_claim(loaded):
    today = local_today()
    for community in loaded.values():
        live = live_agreement_unit_ids(community.id, today)
        for project in rows(Project, community):
            for claim in claims_of(project):
                if claim.claimant_type is ClaimantType.UNIT:
                    assert claim.unit_id in live, (project.title, claim.unit.name)
                    assert all(r.unit_id == claim.unit_id for r in claim.resources)
                else:
                    assert project.mode is ProjectMode.ROUTINE


def test_the_demo_unit_claims_published_team_projects(xingwang):
    liaison = account("unit")
    (unit_id,) = [g.unit_id for g in liaison.grants]
    now = utcnow()
    assert claim_queries.open_claims_of_unit(unit_id, xingwang.id) < xingwang.max_open_claims
    claimed_by_unit = {
        c.project_id for c in db.session.scalars(sa.select(Claim).where(Claim.unit_id == unit_id))
    }
    open_to_unit = [
        p
        for p in db.session.scalars(
            project_queries.projects_select(liaison, status=ProjectStatus.PUBLISHED)
        )
        if p.mode is ProjectMode.TEAM and p.id not in claimed_by_unit and p.claim_deadline > now
    ]
    assert len(open_to_unit) >= 2
    for project in open_to_unit[:2]:
        claim = claims.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=now)
        assert claim.status in LIVE and claim.unit_id == unit_id


def test_the_demo_volunteer_claims_routine_projects_one_approved_at_once(xingwang):
    volunteer = account("volunteer")
    now = utcnow()
    routine = [
        p
        for p in db.session.scalars(
            project_queries.projects_select(volunteer, status=ProjectStatus.PUBLISHED)
        )
        if p.mode is ProjectMode.ROUTINE and p.claim_deadline > now
    ]
    assert len(routine) >= 2 and any(p.auto_approve for p in routine)
    made = [
        claims.claim_project(volunteer, p.id, claimant=ClaimantType.VOLUNTEER, now=now)
        for p in routine
    ]
    assert ClaimStatus.APPROVED in {c.status for c in made}
    assert all(c.status in LIVE for c in made)


def test_a_resource_order_waits_for_the_demo_unit_and_can_be_accepted(xingwang):
    liaison = account("unit")
    waiting = list(
        db.session.scalars(claim_queries.orders_select(liaison, status=OrderStatus.REQUESTED))
    )
    assert len(waiting) == 1
    order = claims.accept_order(liaison, waiting[0].id, now=utcnow())
    assert order.status is OrderStatus.ACCEPTED
    assert order.claim.status is ClaimStatus.APPROVED


def test_each_secretary_sees_only_her_own_communitys_lists(loaded):
    for username, mine, other in (
        ("secretary", "兴旺社区", "和美社区"),
        ("secretary2", "和美社区", "兴旺社区"),
    ):
        secretary = account(username)
        for select in (
            need_queries.needs_select,
            resource_queries.resources_select,
            project_queries.projects_select,
        ):
            seen = {row.community_id for row in db.session.scalars(select(secretary))}
            assert seen == {loaded[mine].id}, (username, select.__name__)
        assert loaded[other].id not in {
            c.project.community_id
            for c in db.session.scalars(claim_queries.claims_select(secretary))
        }


def test_loading_twice_duplicates_no_list_row(loaded):
    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Need, Resource, Project, Claim)
        ]

    before = counts()
    assert demo.load() is False
    assert counts() == before
