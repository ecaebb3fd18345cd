from datetime import timedelta

import pytest

from coop.claims import errors, queries, service
from coop.claims.models import ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.projects.models import ProjectMode, ProjectStatus
from coop.states import IllegalTransition
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    make_agreement,
    make_community,
    make_liaison,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)

NOW = utcnow()
UNIT = ClaimantType.UNIT


@pytest.fixture
def community(ctx):
    return make_community()


def liaison_of_new_unit(community, **unit_overrides):
    return make_liaison(make_unit(community, **unit_overrides))


def claim(actor, project, claimant=UNIT, **kwargs):
    return service.claim_project(actor, project.id, claimant=claimant, now=NOW, **kwargs)


def test_a_claim_waits_for_the_secretary(community):
    project = make_project(community)
    made = claim(liaison_of_new_unit(community), project, note="可派 5 名志愿者")
    assert made.status is ClaimStatus.PENDING and project.approved_count == 0


def test_auto_approve_takes_a_slot_at_once_and_the_first_unit_leads(community):
    project = make_project(community, auto_approve=True)
    first = claim(liaison_of_new_unit(community), project)
    second = claim(liaison_of_new_unit(community), project)
    assert first.status is second.status is ClaimStatus.APPROVED
    assert project.approved_count == 2 and project.lead_claim_id == first.id
    assert project.status is ProjectStatus.CLAIMED


def test_a_full_project_refuses_more_claims(community):
    project = make_project(community, auto_approve=True, slots=1)
    claim(liaison_of_new_unit(community), project)
    with pytest.raises(errors.ProjectFull):
        claim(liaison_of_new_unit(community), project)


def test_one_live_claim_per_claimant_and_project(community):
    liaison = liaison_of_new_unit(community)
    project = make_project(community)
    claim(liaison, project)
    with pytest.raises(errors.AlreadyClaimed):
        claim(liaison, project)


def test_after_withdrawing_a_unit_may_claim_again(community):
    liaison = liaison_of_new_unit(community)
    project = make_project(community)
    first = claim(liaison, project)
    service.withdraw_claim(liaison, first.id, now=NOW)
    assert claim(liaison, project).status is ClaimStatus.PENDING


def test_a_unit_without_a_live_agreement_cannot_claim(community):
    project = make_project(community)
    with pytest.raises(errors.NoLiveAgreement):
        claim(liaison_of_new_unit(community, live=False), project)


def test_a_unit_that_ended_its_agreement_cannot_claim(community):
    unit = make_unit(community, live=False)
    make_agreement(
        unit,
        community,
        ended_on=NOW.date() - timedelta(days=1),
        end_reason="撤并",
        starts_on=NOW.date() - timedelta(days=60),
    )
    with pytest.raises(errors.NoLiveAgreement):
        claim(make_liaison(unit), make_project(community))


def test_a_unit_from_another_community_cannot_claim(community):
    other_liaison = liaison_of_new_unit(make_community())
    project = make_project(community)
    with pytest.raises(NotFound):  # not her community's project: it does not exist for her
        claim(other_liaison, project)


def test_a_draft_is_not_found_even_by_a_unit_serving_its_community(community):
    """Her unit serving the community shows she belongs to it, not that she sees its drafts."""
    draft = make_project(community, status=ProjectStatus.DRAFT)
    with pytest.raises(NotFound):
        claim(liaison_of_new_unit(community), draft)


def test_a_unit_with_too_many_open_claims_delivers_first(community):
    community.max_open_claims = 2
    liaison = liaison_of_new_unit(community)
    for _ in range(2):
        claim(liaison, make_project(community, auto_approve=True))
    with pytest.raises(errors.TooManyOpenClaims) as raised:
        claim(liaison, make_project(community))
    assert "2" in raised.value.message


def test_fulfilled_claims_no_longer_count_as_open(community):
    community.max_open_claims = 1
    liaison = liaison_of_new_unit(community)
    done = claim(liaison, make_project(community, auto_approve=True))
    service.fulfil_claim(make_secretary(community), done.id, now=NOW)
    assert claim(liaison, make_project(community)).status is ClaimStatus.PENDING


def test_a_volunteer_claims_a_routine_project_for_herself(community):
    volunteer = make_volunteer(community)
    routine = make_project(community, mode=ProjectMode.ROUTINE, slots=1, auto_approve=True)
    made = claim(volunteer, routine, ClaimantType.VOLUNTEER)
    assert made.status is ClaimStatus.APPROVED and made.volunteer_id == volunteer.id
    assert routine.lead_claim_id is None  # routine projects have no lead


def test_a_volunteer_cannot_claim_a_team_project(community):
    with pytest.raises(errors.NotClaimable):
        claim(make_volunteer(community), make_project(community), ClaimantType.VOLUNTEER)


def test_claims_close_at_the_deadline(community):
    project = make_project(community, claim_deadline=NOW - timedelta(minutes=1))
    with pytest.raises(errors.NotClaimable):
        claim(liaison_of_new_unit(community), project)


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (ProjectStatus.DRAFT, NotFound),  # drafts are the secretary's alone
        (ProjectStatus.IN_PROGRESS, errors.NotClaimable),
        (ProjectStatus.CANCELLED, errors.NotClaimable),
    ],
)
def test_only_published_projects_are_claimable(community, status, refusal):
    with pytest.raises(refusal):
        claim(liaison_of_new_unit(community), make_project(community, status=status))


def test_a_unit_pledges_its_own_listed_resources_only(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    own = make_resource(unit, community)
    foreign = make_resource(make_unit(community), community)
    with pytest.raises(Invalid):
        claim(liaison, make_project(community), resource_ids=[foreign.id])
    made = claim(liaison, make_project(community), resource_ids=[own.id])
    assert made.resources == [own]


def test_secretary_approves_up_to_the_slots(community):
    secretary = make_secretary(community)
    project = make_project(community, slots=1)
    first = claim(liaison_of_new_unit(community), project)
    second = claim(liaison_of_new_unit(community), project)
    service.approve_claim(secretary, first.id, now=NOW)
    with pytest.raises(errors.ProjectFull):
        service.approve_claim(secretary, second.id, now=NOW)
    assert second.status is ClaimStatus.PENDING and project.approved_count == 1


def test_approving_twice_is_an_illegal_move(community):
    secretary = make_secretary(community)
    made = claim(liaison_of_new_unit(community), make_project(community))
    service.approve_claim(secretary, made.id, now=NOW)
    with pytest.raises(IllegalTransition):
        service.approve_claim(secretary, made.id, now=NOW)


def test_a_claimant_cannot_approve_her_own_claim(community):
    liaison = liaison_of_new_unit(community)
    made = claim(liaison, make_project(community))
    with pytest.raises(Forbidden):
        service.approve_claim(liaison, made.id, now=NOW)


def test_releasing_frees_the_slot_and_passes_the_lead_on(community):
    secretary = make_secretary(community)
    project = make_project(community, auto_approve=True)
    lead = claim(liaison_of_new_unit(community), project)
    other = claim(liaison_of_new_unit(community), project)
    service.release_claim(secretary, lead.id, reason="未按时开展", now=NOW)
    assert project.approved_count == 1 and project.lead_claim_id == other.id
    assert project.status is ProjectStatus.PUBLISHED  # a slot is open again


def test_the_secretary_picks_another_lead(community):
    secretary = make_secretary(community)
    project = make_project(community, auto_approve=True)
    claim(liaison_of_new_unit(community), project)
    second = claim(liaison_of_new_unit(community), project)
    service.set_lead(secretary, project.id, second.id)
    assert project.lead_claim_id == second.id


def test_only_the_claimant_withdraws(community):
    made = claim(liaison_of_new_unit(community), make_project(community))
    with pytest.raises(Forbidden):
        service.withdraw_claim(liaison_of_new_unit(community), made.id, now=NOW)


def test_an_approved_claim_past_the_start_with_nothing_done_is_stale(community):
    project = make_project(community, auto_approve=True)
    made = claim(liaison_of_new_unit(community), project)
    assert not queries.is_stale(made, NOW)
    assert queries.is_stale(made, project.starts_at + timedelta(hours=1))
    project.status = ProjectStatus.IN_PROGRESS
    assert not queries.is_stale(made, project.starts_at + timedelta(hours=1))


def test_a_resource_order_accepted_becomes_an_approved_claim(community):
    unit = make_unit(community)
    resource = make_resource(unit, community)
    project = make_project(community)
    order = service.order_resource(
        make_secretary(community), project.id, resource.id, note="借用会议室"
    )
    accepted = service.accept_order(make_liaison(unit), order.id, now=NOW)
    assert accepted.claim.status is ClaimStatus.APPROVED and accepted.claim.resources == [resource]
    assert project.approved_count == 1


def test_an_order_is_answered_by_its_unit_only(community):
    unit = make_unit(community)
    order = service.order_resource(
        make_secretary(community), make_project(community).id, make_resource(unit, community).id
    )
    with pytest.raises(NotFound):
        service.accept_order(liaison_of_new_unit(community), order.id, now=NOW)


def test_the_same_order_twice_waits_for_the_first(community):
    secretary = make_secretary(community)
    project = make_project(community)
    resource = make_resource(make_unit(community), community)
    service.order_resource(secretary, project.id, resource.id)
    with pytest.raises(errors.OrderTaken):
        service.order_resource(secretary, project.id, resource.id)


def test_an_order_to_a_unit_that_claimed_the_project_is_refused_naming_its_claim(community):
    unit = make_unit(community, name="区人民医院")
    resource = make_resource(unit, community, title="义诊医生")
    project = make_project(community)
    claim(make_liaison(unit), project)
    with pytest.raises(errors.UnitHasClaimed) as refused:
        service.order_resource(make_secretary(community), project.id, resource.id)
    message = refused.value.message
    assert refused.value.status == 409 and "区人民医院" in message and "待审核" in message
    assert "义诊医生" in message and NOW.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%d") in message
    from coop.claims.models import ResourceOrder
    from coop.extensions import db

    assert db.session.query(ResourceOrder).count() == 0


@pytest.mark.parametrize("auto_approve", [False, True])
def test_an_order_accepted_after_the_unit_claimed_pledges_on_that_claim(community, auto_approve):
    unit = make_unit(community)
    ordered, pledged = make_resource(unit, community), make_resource(unit, community)
    project = make_project(community, auto_approve=auto_approve, slots=1)
    liaison = make_liaison(unit)
    order = service.order_resource(make_secretary(community), project.id, ordered.id)
    own = claim(liaison, project, resource_ids=[pledged.id])  # meanwhile, the unit claims
    accepted = service.accept_order(liaison, order.id, now=NOW)
    assert accepted.status.value == "accepted" and accepted.claim is own
    assert set(own.resources) == {ordered, pledged}
    assert own.status is (ClaimStatus.APPROVED if auto_approve else ClaimStatus.PENDING)
    assert project.approved_count == (1 if auto_approve else 0)


def test_cancelling_a_project_ends_its_claims(community):
    from coop.projects import service as projects

    project = make_project(community, slots=3)
    approved = claim(liaison_of_new_unit(community), project)
    pending = claim(liaison_of_new_unit(community), project)
    service.approve_claim(make_secretary(community), approved.id, now=NOW)
    projects.cancel_project(make_secretary(community), project.id, reason="取消")
    assert approved.status is ClaimStatus.RELEASED and pending.status is ClaimStatus.REJECTED
    assert project.approved_count == 0


def test_approving_checks_the_units_open_claims_again(community):
    community.max_open_claims = 1
    liaison = liaison_of_new_unit(community)
    waiting = claim(liaison, make_project(community))
    claim(liaison, make_project(community, auto_approve=True))
    with pytest.raises(errors.TooManyOpenClaims):
        service.approve_claim(make_secretary(community), waiting.id, now=NOW)
    assert waiting.status is ClaimStatus.PENDING
