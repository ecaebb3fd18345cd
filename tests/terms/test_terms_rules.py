"""Terms and 六个一: opened once per half year, waiting for the deputy the alliance chose; the
secretary links evidence that must fit the item, the community and the term; all six done
earns the lead unit the term badge, and unlinking takes it back with a reason."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coop.activities.models import ActivityStatus
from coop.alliance.models import AllianceOffice, OfficeRole, Term
from coop.badges.models import BadgeAward, HolderType
from coop.errors import Forbidden, NotFound
from coop.extensions import db
from coop.jobruns import periods
from coop.notices.models import Notice
from coop.terms import service
from coop.terms.errors import (
    AlreadyLinked,
    AwaitingDeputy,
    DeputyLocked,
    EvidenceNotCounted,
    EvidenceNotFound,
    NoCurrentTerm,
    NotAMember,
    WrongEvidenceType,
)
from coop.terms.models import ItemKind, PlanEvidence, PlanStatus, TermPlan
from tests.factories import (
    make_community,
    make_liaison,
    make_need,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)
from tests.terms.conftest import (
    NOW,
    PERIOD,
    fill_all_but_one,
    held_activity,
    item_of,
    link,
    plan_row,
    resolved_need,
    term_proposal,
)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _awards() -> list[BadgeAward]:
    return list(db.session.scalars(sa.select(BadgeAward).execution_options(populate_existing=True)))


# ------------------------------------------------------------------ opening


def test_a_new_term_opens_once_per_half_year_and_waits_for_the_deputy(community, secretary):
    counts = service.open_terms("2027H1", now=NOW)
    assert counts["terms"] == 1 and counts["plans"] == 1
    term = db.session.scalar(sa.select(Term).where(Term.alliance_id == community.alliance.id))
    assert (term.name, term.starts_on, term.ends_on) == (
        "2027年上半年",
        date(2027, 1, 1),
        date(2027, 6, 30),
    )
    plan = db.session.scalar(sa.select(TermPlan).where(TermPlan.term_id == term.id))
    assert plan.status is PlanStatus.AWAITING_DEPUTY
    assert plan.assembly_on == date(2027, 1, 16)  # first Saturday on or after the 15th
    assert [(i.kind, i.target) for i in plan.items] == [
        (ItemKind.VOLUNTEER_ACTIVITY, 1),
        (ItemKind.PARTY_SALON, 1),
        (ItemKind.THEMED_PARTY_DAY, 1),
        (ItemKind.CULTURAL_ACTIVITY, 1),
        (ItemKind.CONCERNS_RESOLVED, 5),
        (ItemKind.PROPOSALS_FORMED, 3),
    ]
    assert _count(AllianceOffice, AllianceOffice.role == OfficeRole.DEPUTY) == 0  # never picks


def test_running_twice_creates_nothing_new_and_sends_no_second_notice(community, secretary):
    first = service.open_terms("2027H1", now=NOW)
    again = service.open_terms("2027H1", now=NOW)
    assert first["notices"] == 1 and again == {"alliances": 1, "terms": 0, "plans": 0, "notices": 0}
    (notice,) = db.session.scalars(sa.select(Notice).where(Notice.user_id == secretary.id))
    assert notice.title == "新一届轮值副书记请在联盟大会上推选后录入"
    assert "2027-01-16" in notice.body
    assert _count(Term, Term.alliance_id == community.alliance.id) == 1


def test_an_existing_term_with_its_deputy_opens_its_plan_open_without_a_notice(
    community, secretary, unit
):
    start = periods.start(periods.Cadence.HALF_YEARLY, "2027H1").date()
    term = Term(
        alliance_id=community.alliance.id,
        name="2027年上半年",
        starts_on=start,
        ends_on=date(2027, 6, 30),
    )
    db.session.add(term)
    db.session.flush()
    db.session.add(
        AllianceOffice(
            alliance_id=community.alliance.id,
            role=OfficeRole.DEPUTY,
            holder_name="张海燕",
            unit_id=unit.id,
            term_id=term.id,
        )
    )
    counts = service.open_terms("2027H1", now=NOW)
    assert counts == {"alliances": 1, "terms": 0, "plans": 1, "notices": 0}
    plan = db.session.scalar(sa.select(TermPlan).where(TermPlan.term_id == term.id))
    assert plan.status is PlanStatus.OPEN


# ------------------------------------------------------------------ the deputy


def test_the_secretary_records_the_chosen_deputy_and_the_plan_opens(plan, secretary, unit):
    office = service.choose_deputy(secretary, plan.term_id, unit_id=unit.id, holder_name=" 张海燕 ")
    assert (office.role, office.unit_id, office.holder_name) == (
        OfficeRole.DEPUTY,
        unit.id,
        "张海燕",
    )
    assert plan_row(plan.id).status is PlanStatus.OPEN


@pytest.mark.parametrize("who", ["liaison", "volunteer", "street", "other_secretary"])
def test_only_the_secretary_records_the_deputy(plan, community, unit, who):
    actor = {
        "liaison": lambda: make_liaison(unit),
        "volunteer": lambda: make_volunteer(community),
        "street": lambda: make_street_admin(community.street),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    expected = NotFound if who == "other_secretary" else Forbidden
    with pytest.raises(expected):
        service.choose_deputy(actor, plan.term_id, unit_id=unit.id, holder_name="张海燕")
    assert _count(AllianceOffice, AllianceOffice.role == OfficeRole.DEPUTY) == 0
    assert plan_row(plan.id).status is PlanStatus.AWAITING_DEPUTY


def test_the_deputy_unit_must_serve_the_community(plan, secretary):
    stranger = make_unit(make_community())
    with pytest.raises(NotAMember):
        service.choose_deputy(secretary, plan.term_id, unit_id=stranger.id, holder_name="张海燕")
    assert plan_row(plan.id).status is PlanStatus.AWAITING_DEPUTY


def test_choosing_again_replaces_the_choice_until_evidence_is_linked(
    open_plan, community, secretary
):
    other = make_unit(community)
    office = service.choose_deputy(
        secretary, open_plan.term_id, unit_id=other.id, holder_name="李明"
    )
    assert _count(AllianceOffice, AllianceOffice.role == OfficeRole.DEPUTY) == 1
    assert office.unit_id == other.id
    link(
        secretary,
        item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY),
        "activity",
        held_activity(community).id,
    )
    with pytest.raises(DeputyLocked):
        service.choose_deputy(secretary, open_plan.term_id, unit_id=other.id, holder_name="王五")
    assert office.holder_name == "李明"


# ------------------------------------------------------------------ evidence


def test_no_evidence_before_the_deputy_is_recorded(plan, community, secretary):
    with pytest.raises(AwaitingDeputy):
        link(
            secretary,
            item_of(plan, ItemKind.VOLUNTEER_ACTIVITY),
            "activity",
            held_activity(community).id,
        )
    assert _count(PlanEvidence) == 0


def test_evidence_of_the_wrong_type_is_refused(open_plan, community, secretary):
    with pytest.raises(WrongEvidenceType, match="本届举办的活动"):
        link(
            secretary, item_of(open_plan, ItemKind.PARTY_SALON), "need", resolved_need(community).id
        )
    assert _count(PlanEvidence) == 0


@pytest.mark.parametrize("kind", ["activity", "need", "proposal"])
def test_evidence_of_another_community_is_refused(open_plan, secretary, kind):
    other = make_community()
    item, evidence_id = {
        "activity": lambda: (ItemKind.CULTURAL_ACTIVITY, held_activity(other).id),
        "need": lambda: (ItemKind.CONCERNS_RESOLVED, resolved_need(other).id),
        "proposal": lambda: (
            ItemKind.PROPOSALS_FORMED,
            term_proposal(other, open_plan).id,
        ),
    }[kind]()
    with pytest.raises(EvidenceNotFound):
        link(secretary, item_of(open_plan, item), kind, evidence_id)
    assert _count(PlanEvidence) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"starts_at": NOW - timedelta(days=400)},  # held in another term
        {"starts_at": NOW + timedelta(days=3)},  # not held yet
        {"status": ActivityStatus.CANCELLED},
    ],
    ids=["other_term", "not_held_yet", "cancelled"],
)
def test_an_activity_outside_the_term_or_not_held_is_refused(
    open_plan, community, secretary, overrides
):
    activity = held_activity(community, **overrides)
    with pytest.raises(EvidenceNotCounted):
        link(secretary, item_of(open_plan, ItemKind.PARTY_SALON), "activity", activity.id)
    assert _count(PlanEvidence) == 0


def test_a_need_not_resolved_is_refused(open_plan, community, secretary):
    need = make_need(community)  # listed
    with pytest.raises(EvidenceNotCounted, match="还没有解决"):
        link(secretary, item_of(open_plan, ItemKind.CONCERNS_RESOLVED), "need", need.id)


def test_a_need_resolved_after_the_term_is_refused(community, secretary, unit):
    previous = periods.previous(periods.Cadence.HALF_YEARLY, NOW)
    service.open_term_for(community.alliance.id, previous, now=NOW)
    term = db.session.scalar(
        sa.select(Term).where(Term.alliance_id == community.alliance.id).order_by(Term.starts_on)
    )
    service.choose_deputy(secretary, term.id, unit_id=unit.id, holder_name="张海燕")
    plan = db.session.scalar(sa.select(TermPlan).where(TermPlan.term_id == term.id))
    with pytest.raises(EvidenceNotCounted, match="不是在本届任期"):
        link(
            secretary,
            item_of(plan, ItemKind.CONCERNS_RESOLVED),
            "need",
            resolved_need(community).id,
        )


def test_a_proposal_of_another_term_is_refused(open_plan, community, secretary):
    proposal = term_proposal(community, open_plan, term_id=None)
    with pytest.raises(EvidenceNotCounted):
        link(secretary, item_of(open_plan, ItemKind.PROPOSALS_FORMED), "proposal", proposal.id)


def test_one_piece_of_evidence_counts_once_per_plan(open_plan, community, secretary):
    activity = held_activity(community)
    link(secretary, item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY), "activity", activity.id)
    with pytest.raises(AlreadyLinked):
        link(secretary, item_of(open_plan, ItemKind.CULTURAL_ACTIVITY), "activity", activity.id)
    assert _count(PlanEvidence) == 1


def test_only_the_secretary_links_evidence(open_plan, community, unit):
    with pytest.raises(Forbidden):
        link(
            make_liaison(unit),
            item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY),
            "activity",
            held_activity(community).id,
        )


def test_items_are_done_at_their_targets(open_plan, community, secretary):
    needs = item_of(open_plan, ItemKind.CONCERNS_RESOLVED)
    for n in range(needs.target):
        assert needs.done_at is None, n
        link(secretary, needs, "need", resolved_need(community).id)
    assert needs.done_at is not None
    salon = item_of(open_plan, ItemKind.PARTY_SALON)
    link(secretary, salon, "activity", held_activity(community).id)
    assert salon.done_at is not None
    assert plan_row(open_plan.id).status is PlanStatus.OPEN


def test_candidates_are_the_terms_unlinked_evidence_of_the_items_type(
    open_plan, community, secretary
):
    first, second = held_activity(community, title="甲"), held_activity(community, title="乙")
    held_activity(community, status=ActivityStatus.CANCELLED)
    held_activity(community, starts_at=NOW - timedelta(days=400))
    resolved_need(community)
    link(secretary, item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY), "activity", first.id)
    found = service.candidates(secretary, item_of(open_plan, ItemKind.PARTY_SALON).id, now=NOW)
    assert [(c.evidence_type.value, c.evidence_id) for c in found] == [("activity", second.id)]


# ------------------------------------------------------------------ the term badge


def test_all_six_done_grants_the_lead_unit_the_term_badge_once(
    open_plan, community, secretary, unit
):
    fill_all_but_one(community, open_plan, secretary)
    assert _awards() == []
    needs = item_of(open_plan, ItemKind.CONCERNS_RESOLVED)
    link(secretary, needs, "need", resolved_need(community).id)
    plan = plan_row(open_plan.id)
    assert plan.status is PlanStatus.DONE and plan.done_at is not None
    link(secretary, needs, "need", resolved_need(community).id)  # more than the target
    (award,) = _awards()
    assert (award.holder_type, award.holder_id, award.community_id, award.period) == (
        HolderType.UNIT,
        unit.id,
        community.id,
        PERIOD,
    )
    assert award.badge.code == "term_lead" and award.revoked_at is None


def test_unlinking_below_a_target_reopens_the_plan_and_revokes_the_badge_with_a_reason(
    open_plan, community, secretary
):
    fill_all_but_one(community, open_plan, secretary)
    needs = item_of(open_plan, ItemKind.CONCERNS_RESOLVED)
    last = link(secretary, needs, "need", resolved_need(community).id)
    service.unlink_evidence(secretary, last.id, now=NOW)
    plan = plan_row(open_plan.id)
    assert plan.status is PlanStatus.OPEN and plan.done_at is None
    assert item_of(plan, ItemKind.CONCERNS_RESOLVED).done_at is None
    (award,) = _awards()
    assert award.revoked_at is not None
    assert "解决一批群众急难愁盼问题" in award.revoke_reason and "4/5" in award.revoke_reason
    # Linking again restores the same award.
    link(secretary, needs, "need", resolved_need(community).id)
    (award,) = _awards()
    assert award.revoked_at is None


def test_unlinking_above_the_target_keeps_the_item_done(open_plan, community, secretary):
    needs = item_of(open_plan, ItemKind.CONCERNS_RESOLVED)
    links = [link(secretary, needs, "need", resolved_need(community).id) for _ in range(6)]
    service.unlink_evidence(secretary, links[0].id, now=NOW)
    assert needs.done_at is not None


# ------------------------------------------------------------------ proposals


def test_a_proposal_is_filed_under_the_current_term(open_plan, community, secretary, unit):
    proposal = service.add_proposal(
        secretary, community.id, title="增设助餐点", body="", unit_id=unit.id, now=NOW
    )
    assert proposal.term_id == open_plan.term_id and proposal.unit_id == unit.id


def test_no_proposal_without_a_current_term(community, secretary):
    with pytest.raises(NoCurrentTerm):
        service.add_proposal(secretary, community.id, title="增设助餐点", now=NOW)


def test_only_the_secretary_files_proposals(open_plan, community):
    with pytest.raises(Forbidden):
        service.add_proposal(make_volunteer(community), community.id, title="增设助餐点", now=NOW)
