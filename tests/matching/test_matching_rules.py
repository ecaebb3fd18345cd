"""智能匹配: who is suggested for what, why, and what acting on a suggestion does."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.categories import Category
from coop.claims.models import ClaimStatus, OrderStatus, ResourceOrder
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.matching import errors, queries, service
from coop.matching.models import (
    CandidateType,
    MatchRanking,
    Suggestion,
    SuggestionStatus,
    TargetType,
)
from coop.notices.models import Notice
from coop.projects.models import ProjectMode
from coop.resources.models import Resource, ResourceKind
from coop.states import IllegalTransition
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)

from .helpers import NOW, add_claim, carry_claims, count_rows, serve, suggestions

UNIT, RESOURCE, VOLUNTEER = CandidateType.UNIT, CandidateType.RESOURCE, CandidateType.VOLUNTEER


@pytest.fixture
def community(ctx):
    return make_community()


def fitting_unit(community, **overrides):
    """A unit with a live agreement and a listed 关心关爱 resource: it fits a care project."""
    unit = make_unit(community, **overrides)
    make_resource(unit, community, category=Category.CARE)
    return unit


def test_matching_spreads_load_to_the_unit_carrying_less(community):
    busy, free = fitting_unit(community), fitting_unit(community)
    assert busy.id < free.id  # on equal scores the lower id would win
    carry_claims(busy, community, 3)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    first, second = suggestions(project, UNIT)
    assert (first.candidate_id, second.candidate_id) == (free.id, busy.id)
    assert first.score > second.score and (first.rank, second.rank) == (1, 2)
    assert "暂无进行中的认领" in first.reasons
    assert "已有3个进行中的认领" in second.reasons


def test_a_unit_serving_the_needs_neighbourhood_ranks_first(community):
    east, west = community.neighbourhoods
    elsewhere, nearby = fitting_unit(community), fitting_unit(community)
    serve(elsewhere, community, [west])
    serve(nearby, community, [east])
    project = make_project(community, needs=[make_need(community, neighbourhood_id=east.id)])
    service.match_community(community.id, now=NOW)
    first, second = suggestions(project, UNIT)
    assert first.candidate_id == nearby.id and f"服务{east.name}" in first.reasons
    assert f"不服务{east.name}" in second.reasons


def test_a_need_in_a_neighbourhood_gets_the_unit_serving_it_without_category_fit(community):
    east, _west = community.neighbourhoods
    unit = make_unit(community)  # no resources, no history: only the 邻里单元 fits
    serve(unit, community, [east])
    need = make_need(community, neighbourhood_id=east.id)
    service.match_community(community.id, now=NOW)
    (only,) = suggestions(need, UNIT)
    assert only.candidate_id == unit.id and f"服务{east.name}" in only.reasons


def test_a_resource_whose_window_covers_the_project_ranks_above_a_partial_one(community):
    unit = make_unit(community)
    project = make_project(community)
    start = project.starts_at.astimezone(COMMUNITY_TZ).date()
    end = project.ends_at.astimezone(COMMUNITY_TZ).date()
    partly = make_resource(
        unit, community, category=Category.CARE, available_until=start + timedelta(days=3)
    )
    covering = make_resource(
        unit,
        community,
        kind=ResourceKind.VENUE,
        category=Category.CARE,
        available_from=start - timedelta(days=1),
        available_until=end + timedelta(days=1),
    )
    make_resource(unit, community, category=Category.CARE, available_until=start - timedelta(1))
    make_resource(unit, community, category=Category.POLICY)  # another category
    service.match_community(community.id, now=NOW)
    rows = suggestions(project, RESOURCE)
    assert [s.candidate_id for s in rows] == [covering.id, partly.id]
    month = f"{start.month}月" if start.month == end.month else f"{start.month}月至{end.month}月"
    assert f"{month}可提供场地" in rows[0].reasons
    assert f"{month}部分时间可提供志愿服务" in rows[1].reasons


def test_a_need_gets_resources_available_today_only(community):
    unit = make_unit(community)
    today = NOW.astimezone(COMMUNITY_TZ).date()
    now_on = make_resource(unit, community, category=Category.CARE)
    make_resource(unit, community, category=Category.CARE, available_from=today + timedelta(9))
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (only,) = suggestions(need, RESOURCE)
    assert only.candidate_id == now_on.id and "现可提供志愿服务" in only.reasons


def test_units_at_their_limit_without_agreement_or_having_claimed_are_left_out(community):
    community.max_open_claims = 2
    at_limit, _no_agreement, claimed, fine = (
        fitting_unit(community),
        fitting_unit(community, live=False),
        fitting_unit(community),
        fitting_unit(community),
    )
    carry_claims(at_limit, community, 2)
    project = make_project(community)
    add_claim(project, ClaimStatus.PENDING, unit=claimed)
    service.match_community(community.id, now=NOW)
    assert [s.candidate_id for s in suggestions(project, UNIT)] == [fine.id]
    # The same for their resources: only a unit that may still accept an order is asked.
    (resource,) = suggestions(project, RESOURCE)
    assert db.session.get(Resource, resource.candidate_id).unit_id == fine.id


def test_a_full_project_and_a_need_in_a_project_get_no_suggestions(community):
    fitting_unit(community)
    full = make_project(community, slots=1, approved_count=1)
    service.match_community(community.id, now=NOW)
    assert suggestions(full, UNIT) == []
    assert suggestions(full.needs[0], UNIT) == []


def test_volunteers_whose_skills_fit_are_suggested_for_routine_projects(community):
    nurse = make_volunteer(community)
    nurse.volunteer.skills = ["医疗护理", "心理疏导"]
    make_volunteer(community).volunteer.skills = ["摄影"]
    barber = make_volunteer(community, party=False)
    barber.volunteer.skills = ["理发"]
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    team = make_project(community)
    service.match_community(community.id, now=NOW)
    rows = suggestions(project, VOLUNTEER)
    assert [s.candidate_id for s in rows] == [nurse.id, barber.id]
    assert "擅长医疗护理、心理疏导" in rows[0].reasons and "党员" in rows[0].reasons
    assert suggestions(team, VOLUNTEER) == []


def test_a_volunteer_carrying_a_claim_ranks_below_her_equals(community):
    busy, free = (make_volunteer(community) for _ in range(2))
    busy.volunteer.skills = free.volunteer.skills = ["护理"]
    assert busy.id < free.id  # on equal scores the lower id would win
    other = make_project(community, mode=ProjectMode.ROUTINE, slots=1, approved_count=1)
    add_claim(other, ClaimStatus.APPROVED, volunteer=busy)
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    service.match_community(community.id, now=NOW)
    first, second = suggestions(project, VOLUNTEER)
    assert (first.candidate_id, second.candidate_id) == (free.id, busy.id)
    assert "已有1个进行中的认领" in second.reasons


def test_deactivated_volunteers_are_not_suggested(community):
    gone, active = (make_volunteer(community) for _ in range(2))
    gone.volunteer.skills = active.volunteer.skills = ["护理"]
    gone.is_active = False
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    assert [s.candidate_id for s in suggestions(need, VOLUNTEER)] == [active.id]


def test_each_need_gets_its_own_stored_ranking(community):
    east, _west = community.neighbourhoods
    units = [fitting_unit(community) for _ in range(2)]
    serve(units[1], community, [east])
    first, second = make_need(community, neighbourhood_id=east.id), make_need(community)
    third = make_need(community, neighbourhood_id=east.id)
    counts = service.match_community(community.id, now=NOW)
    assert counts["needs"] == 3 and counts["suggestions"] == 0
    stored = db.session.execute(
        sa.select(MatchRanking.need_id, MatchRanking.candidate_type).distinct()
    ).all()
    assert sorted(stored, key=str) == sorted(
        [(n.id, kind) for n in (first, second, third) for kind in (UNIT, RESOURCE)], key=str
    )
    assert count_rows(Suggestion) == 0  # open suggestions of needs live in their rankings
    in_east = [s.candidate_id for s in suggestions(first, UNIT)]
    assert in_east == [units[1].id, units[0].id]
    assert [s.candidate_id for s in suggestions(third, UNIT)] == in_east
    # A need without a 邻里单元 is not ruled out of any unit's reach.
    assert [s.candidate_id for s in suggestions(second, UNIT)] == [units[0].id, units[1].id]


def test_reading_a_needs_suggestions_writes_nothing(community):
    secretary = make_secretary(community)
    fitting_unit(community)
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    db.session.flush()
    before = (count_rows(Suggestion), count_rows(MatchRanking))
    found = service.target_suggestions(secretary, TargetType.NEED, need.id)
    assert found and all(s.status is SuggestionStatus.OPEN for s in found)
    assert not (db.session.new or db.session.dirty)
    assert (count_rows(Suggestion), count_rows(MatchRanking)) == before


def test_a_candidate_dismissed_for_a_need_is_skipped_for_that_need_only(community):
    secretary = make_secretary(community)
    units = [fitting_unit(community) for _ in range(2)]
    need, sibling = make_need(community), make_need(community)
    service.match_community(community.id, now=NOW)
    first, _second = suggestions(need, UNIT)
    dismissed = service.dismiss_for_need(secretary, need.id, first.ranking_id, now=NOW)
    assert dismissed.status is SuggestionStatus.DISMISSED and dismissed.acted_by_id == secretary.id
    assert (dismissed.target_type, dismissed.target_id) == (TargetType.NEED, need.id)
    assert (dismissed.candidate_id, dismissed.score) == (units[0].id, first.score)
    assert dismissed.reasons == first.reasons
    (left,) = suggestions(need, UNIT)
    assert (left.candidate_id, left.rank) == (units[1].id, 1)
    assert [s.candidate_id for s in suggestions(sibling, UNIT)] == [u.id for u in units]
    service.match_community(community.id, now=NOW)  # a rerun keeps the dismissal
    assert [s.candidate_id for s in suggestions(need, UNIT)] == [units[1].id]


def test_a_rerun_replaces_the_rankings(community):
    fitting_unit(community)
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    before = set(db.session.scalars(sa.select(MatchRanking.id)))
    newcomer = fitting_unit(community)
    service.match_community(community.id, now=NOW)
    after = set(db.session.scalars(sa.select(MatchRanking.id)))
    assert before and not before & after
    assert newcomer.id in {s.candidate_id for s in suggestions(need, UNIT)}


def test_dismissing_a_replaced_ranking_row_is_a_conflict(community):
    secretary = make_secretary(community)
    fitting_unit(community)
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (stale,) = suggestions(need, UNIT)
    service.match_community(community.id, now=NOW)
    with pytest.raises(errors.SuggestionReplaced):
        service.dismiss_for_need(secretary, need.id, stale.ranking_id, now=NOW)
    assert count_rows(Suggestion) == 0


def test_a_need_suggestion_is_dismissed_once(community):
    secretary = make_secretary(community)
    fitting_unit(community)
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (row,) = suggestions(need, UNIT)
    service.dismiss_for_need(secretary, need.id, row.ranking_id, now=NOW)
    with pytest.raises(IllegalTransition, match="已忽略"):
        service.dismiss_for_need(secretary, need.id, row.ranking_id, now=NOW)
    assert count_rows(Suggestion) == 1


@pytest.mark.parametrize("role", ["liaison", "other_secretary"])
def test_only_the_communitys_secretary_dismisses_a_needs_suggestion(community, role):
    unit = fitting_unit(community)
    need = make_need(community)
    service.match_community(community.id, now=NOW)
    (row,) = suggestions(need, UNIT)
    actor = make_liaison(unit) if role == "liaison" else make_secretary(make_community())
    with pytest.raises(Forbidden if role == "liaison" else NotFound):
        service.dismiss_for_need(actor, need.id, row.ranking_id, now=NOW)
    assert count_rows(Suggestion) == 0


def test_running_twice_gives_the_same_suggestions(community):
    for _ in range(3):
        fitting_unit(community)
    make_volunteer(community).volunteer.skills = ["护理"]
    projects = [make_project(community) for _ in range(2)] + [make_need(community)]

    def snapshot():
        return [
            (s.candidate_type, s.candidate_id, s.rank, s.score, s.reasons)
            for target in projects
            for t in CandidateType
            for s in suggestions(target, t)
        ]

    def rankings():
        columns = (MatchRanking.category, MatchRanking.neighbourhood_id)
        columns += (MatchRanking.candidate_type, MatchRanking.rank, MatchRanking.candidate_id)
        rows = db.session.execute(sa.select(*columns, MatchRanking.score, MatchRanking.reasons))
        return sorted(tuple(map(str, row)) for row in rows)

    first = service.match_community(community.id, now=NOW)
    before, ranked = snapshot(), rankings()
    second = service.match_community(community.id, now=NOW)
    assert first == second and snapshot() == before and before
    assert rankings() == ranked and ranked


def test_acted_and_dismissed_suggestions_are_kept_and_not_suggested_again(community):
    secretary = make_secretary(community)
    units = [fitting_unit(community) for _ in range(3)]
    for unit in units:
        make_liaison(unit)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    invited, dismissed, left = suggestions(project, UNIT)
    service.invite(secretary, invited.id, now=NOW)
    service.dismiss(secretary, dismissed.id, now=NOW)
    service.match_community(community.id, now=NOW)
    rows = queries.suggestions_for([(TargetType.PROJECT, project.id)], candidate_type=UNIT)
    statuses = {s.candidate_id: s.status for s in rows[(TargetType.PROJECT, project.id)]}
    assert statuses == {
        invited.candidate_id: SuggestionStatus.ACTED,
        dismissed.candidate_id: SuggestionStatus.DISMISSED,
        left.candidate_id: SuggestionStatus.OPEN,
    }


def test_invite_notifies_the_units_liaisons_with_a_link_to_claim(community):
    secretary = make_secretary(community)
    unit = fitting_unit(community)
    liaisons = [make_liaison(unit), make_liaison(unit)]
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (suggestion,) = suggestions(project, UNIT)
    service.invite(secretary, suggestion.id, now=NOW)
    notices = db.session.scalars(sa.select(Notice).order_by(Notice.user_id)).all()
    assert [n.user_id for n in notices] == [u.id for u in liaisons]
    assert notices[0].title == f"邀请认领：{project.title}"
    assert notices[0].link == f"/projects/{project.id}/claim"
    assert suggestion.status is SuggestionStatus.ACTED and suggestion.acted_by_id == secretary.id


def test_order_creates_a_resource_order_for_the_suggested_resource(community):
    secretary = make_secretary(community)
    unit = make_unit(community)
    resource = make_resource(unit, community, category=Category.CARE)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (suggestion,) = suggestions(project, RESOURCE)
    made = service.order(secretary, suggestion.id, now=NOW)
    assert (made.project_id, made.resource_id, made.unit_id) == (project.id, resource.id, unit.id)
    assert made.status is OrderStatus.REQUESTED and made.note.startswith("智能匹配推荐：")
    assert suggestion.status is SuggestionStatus.ACTED


@pytest.mark.parametrize("role", ["liaison", "volunteer", "other_secretary"])
def test_only_the_communitys_secretary_acts_on_suggestions(community, role):
    unit = fitting_unit(community)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (suggestion,) = suggestions(project, UNIT)
    actor = {
        "liaison": lambda: make_liaison(unit),
        "volunteer": lambda: make_volunteer(community),
        "other_secretary": lambda: make_secretary(make_community()),
    }[role]()
    expected = NotFound if role == "other_secretary" else Forbidden
    for act in (service.invite, service.dismiss):
        with pytest.raises(expected):
            act(actor, suggestion.id, now=NOW)
    assert suggestion.status is SuggestionStatus.OPEN


def test_a_suggestion_is_acted_on_once(community):
    secretary = make_secretary(community)
    make_liaison(fitting_unit(community))
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (suggestion,) = suggestions(project, UNIT)
    service.dismiss(secretary, suggestion.id, now=NOW)
    with pytest.raises(IllegalTransition, match="已忽略"):
        service.invite(secretary, suggestion.id, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_invite_is_for_units_and_order_for_resources(community):
    secretary = make_secretary(community)
    unit = fitting_unit(community)
    make_liaison(unit)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (unit_row,) = suggestions(project, UNIT)
    (resource_row,) = suggestions(project, RESOURCE)
    with pytest.raises(errors.NotOrderable):
        service.order(secretary, unit_row.id, now=NOW)
    with pytest.raises(errors.NotInvitable):
        service.invite(secretary, resource_row.id, now=NOW)
    assert unit_row.status is resource_row.status is SuggestionStatus.OPEN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceOrder)) == 0


def test_inviting_a_unit_without_a_liaison_is_refused_and_changes_nothing(community):
    secretary = make_secretary(community)
    fitting_unit(community)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    (suggestion,) = suggestions(project, UNIT)
    with pytest.raises(errors.NoLiaison):
        service.invite(secretary, suggestion.id, now=NOW)
    assert suggestion.status is SuggestionStatus.OPEN


def test_the_secretary_sets_the_neighbourhoods_a_unit_serves(community):
    secretary = make_secretary(community)
    unit = make_unit(community)
    membership = queries.membership_between(unit.id, community.id)
    east = community.neighbourhoods[0]
    assert service.set_served_neighbourhoods(secretary, membership.id, [east.id]) == [east.id]
    assert queries.served_ids(membership.id) == {east.id}
    assert service.set_served_neighbourhoods(secretary, membership.id, []) == []
    assert queries.served_ids(membership.id) == set()


def test_served_neighbourhoods_belong_to_the_community_and_the_secretary(community):
    unit = make_unit(community)
    membership = queries.membership_between(unit.id, community.id)
    foreign = make_community().neighbourhoods[0]
    with pytest.raises(Invalid):
        service.set_served_neighbourhoods(make_secretary(community), membership.id, [foreign.id])
    with pytest.raises(Forbidden):
        service.set_served_neighbourhoods(make_liaison(unit), membership.id, [])


def test_a_liaison_sees_the_projects_that_fit_her_unit(community):
    unit = fitting_unit(community)
    other = fitting_unit(community)
    project = make_project(community)
    service.match_community(community.id, now=NOW)
    rows = service.fitting_projects(make_liaison(unit), unit.id, now=NOW)
    assert [r.project.id for r in rows] == [project.id]
    with pytest.raises(Forbidden):
        service.fitting_projects(make_liaison(other), unit.id, now=NOW)


def test_match_all_goes_over_every_community(ctx):
    first, second = make_community(), make_community()
    for community in (first, second):
        fitting_unit(community)
        make_project(community)
    done = []
    counts = service.match_all(now=NOW, progress=done.append)
    assert counts["communities"] >= 2 and counts["suggestions"] >= 4
    assert done == list(range(1, counts["communities"] + 1))


def test_the_number_of_queries_does_not_grow_with_the_targets(community, count_queries):
    for _ in range(3):
        fitting_unit(community)
    make_volunteer(community).volunteer.skills = ["护理"]

    def run() -> int:
        with count_queries() as counted:
            service.match_community(community.id, now=NOW)
        return counted.n

    make_project(community)
    make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    make_need(community, category=Category.POLICY)
    few = run()
    for _ in range(10):
        make_project(community)
        make_project(community, mode=ProjectMode.ROUTINE, slots=1)
        make_need(community, category=Category.POLICY)
    assert run() == few
