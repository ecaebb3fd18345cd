"""待办 per role: an item appears while its thing waits, is gone once it is done, and another
community's (unit's, person's) things never appear."""

from datetime import UTC, datetime, time, timedelta

import pytest

from coop.activities import service as activities
from coop.activities.models import Signup, SignupStatus
from coop.auth.models import Role, RoleGrant
from coop.claims import service as claims
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.matching.models import CandidateType, Suggestion, SuggestionStatus, TargetType
from coop.needs import service as needs
from coop.needs.models import NeedStatus, Urgency
from coop.rewards import service as rewards
from coop.setup.models import GridAssignment, GridPost
from coop.terms import queries as term_queries
from coop.terms import service as terms
from coop.todo import service
from tests.factories import (
    give_points,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_resource,
    make_reward_item,
    make_secretary,
    make_street_admin,
    make_unit,
    make_user,
    make_volunteer,
)

NOW = utcnow()


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def other(community):
    """A second community of the same street, with the same kinds of things waiting."""
    return make_community(community.street)


def kinds(actor, now=NOW) -> dict[str, service.Item]:
    return {item.kind: item for item in service.items_of(service.todo_for(actor, now))}


def _claim(project, unit, status=ClaimStatus.PENDING, **extra) -> Claim:
    claim = Claim(
        project=project,
        claimant_type=ClaimantType.UNIT,
        unit_id=unit.id,
        claimant_key=f"unit:{unit.id}",
        status=status,
        **extra,
    )
    db.session.add(claim)
    if status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.flush()
    return claim


def _record(community, volunteer, **overrides) -> ServiceRecord:
    record = ServiceRecord(
        **{
            "community_id": community.id,
            "volunteer_id": volunteer.id,
            "service_date": NOW.date(),
            "hours": 2,
            "origin": RecordOrigin.ENTERED,
            **overrides,
        }
    )
    db.session.add(record)
    db.session.flush()
    return record


# --- 社区书记 -------------------------------------------------------------------------------


def test_submitted_needs_wait_for_review_until_listed(community, other):
    secretary = make_secretary(community)
    waiting = [make_need(community, status=NeedStatus.SUBMITTED) for _ in range(7)]
    make_need(other, status=NeedStatus.SUBMITTED, title="别的社区的需求")
    item = kinds(secretary)["needs_to_review"]
    assert item.count == 7 and item.title == "7 条需求待审核"
    assert len(item.entries) == service.SHOWN
    assert item.link == f"/communities/{community.id}/needs?status=submitted"
    assert item.entries[0].link == f"/needs/{waiting[0].id}"
    assert "别的社区的需求" not in [e.text for e in item.entries]
    for need in waiting:
        needs.list_need(secretary, need.id)
    assert "needs_to_review" not in kinds(secretary)


def test_pending_claims_wait_for_approval_until_decided(community, other):
    secretary = make_secretary(community)
    unit = make_unit(community, name="康达物业")
    claim = _claim(make_project(community, title="助老理发"), unit)
    _claim(make_project(other), make_unit(other))
    item = kinds(secretary)["claims_to_approve"]
    assert item.count == 1
    assert item.entries[0].text == "康达物业 认领“助老理发”"
    assert item.entries[0].link == f"/communities/{community.id}/claims#claim-{claim.id}"
    claims.approve_claim(secretary, claim.id, now=NOW)
    assert "claims_to_approve" not in kinds(secretary)


def test_hours_to_verify_leave_out_her_own_and_her_own_entries(community, other):
    secretary = make_secretary(community)
    volunteer = make_volunteer(community)
    waiting = _record(community, volunteer, origin=RecordOrigin.CHECKIN)
    _record(community, make_volunteer(community), entered_by_id=secretary.id)  # her 补录
    secretary.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=community.id))
    db.session.flush()
    _record(community, secretary, origin=RecordOrigin.CHECKIN)  # her own hours
    _record(other, make_volunteer(other), origin=RecordOrigin.CHECKIN)
    item = kinds(secretary)["hours_to_verify"]
    assert item.count == 1 and volunteer.display_name in item.entries[0].text
    hours.verify_record(secretary, waiting.id, now=NOW)
    assert "hours_to_verify" not in kinds(secretary)


def test_a_declined_order_waits_until_she_orders_again(community, other):
    secretary = make_secretary(community)
    unit = make_unit(community, name="鑫源超市")
    project = make_project(community)
    first = claims.order_resource(secretary, project.id, make_resource(unit, community).id)
    assert "orders_declined" not in kinds(secretary)
    claims.decline_order(make_liaison(unit), first.id, reason="本月人手不足")
    item = kinds(secretary)["orders_declined"]
    assert item.count == 1 and "鑫源超市" in item.entries[0].text
    assert item.entries[0].link == f"/projects/{project.id}"
    another = make_unit(community)
    claims.order_resource(secretary, project.id, make_resource(another, community).id)
    assert "orders_declined" not in kinds(secretary)


def test_needs_past_their_time_limit_until_solved(community, other):
    secretary = make_secretary(community)
    late = make_need(community, urgency=Urgency.URGENT, created_at=NOW - timedelta(days=4))
    make_need(community, urgency=Urgency.URGENT, created_at=NOW - timedelta(days=2))
    make_need(other, urgency=Urgency.URGENT, created_at=NOW - timedelta(days=4))
    item = kinds(secretary)["needs_overdue"]
    assert item.count == 1 and item.entries[0].link == f"/needs/{late.id}"
    late.status = NeedStatus.RESOLVED
    db.session.flush()
    assert "needs_overdue" not in kinds(secretary)


def test_items_low_on_stock_until_restocked(community, other):
    secretary = make_secretary(community)
    item_low = make_reward_item(community, name="洗衣液", stock=2)
    make_reward_item(community, stock=4)
    make_reward_item(community, stock=5, low_stock_at=5, name="抽纸")  # its own mark
    make_reward_item(other, stock=0)
    item = kinds(secretary)["items_low_on_stock"]
    assert item.count == 2
    assert [e.text for e in item.entries] == ["洗衣液（剩 2 件）", "抽纸（剩 5 件）"]
    assert item.entries[0].link == f"/supermarket/items/{item_low.id}/restock"
    item_low.stock = 20
    db.session.query(type(item_low)).filter_by(name="抽纸").update({"stock": 30})
    db.session.flush()
    assert "items_low_on_stock" not in kinds(secretary)


def test_open_six_items_near_the_end_of_the_term(community, other):
    secretary = make_secretary(community)
    period = term_queries.half_year_of(term_queries.local_day(NOW))
    for alliance in (community.alliance, other.alliance):
        terms.open_term_for(alliance.id, period, now=NOW)
    term = term_queries.term_at(community.alliance.id, term_queries.local_day(NOW))
    early = datetime.combine(term.ends_on - timedelta(days=45), time(4), UTC)
    near = datetime.combine(term.ends_on - timedelta(days=10), time(4), UTC)
    assert "term_items_open" not in kinds(secretary, early)
    item = kinds(secretary, near)["term_items_open"]
    assert item.count == 6 and item.link == f"/communities/{community.id}/term"
    for plan_item in term_queries.require_plan(term.id).items:
        plan_item.done_at = NOW
    db.session.flush()
    assert "term_items_open" not in kinds(secretary, near)


def test_nothing_waiting_leaves_an_empty_section(community):
    sections = service.todo_for(make_secretary(community), NOW)
    assert [(s.role, s.items) for s in sections] == [(Role.SECRETARY, [])]


# --- 单位联络员 -----------------------------------------------------------------------------


def test_orders_to_answer_until_accepted(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community, title="楼道清洁")
    order = claims.order_resource(
        make_secretary(community), project.id, make_resource(unit, community, title="保洁队").id
    )
    other_unit = make_unit(community)
    claims.order_resource(
        make_secretary(community),
        make_project(community).id,
        make_resource(other_unit, community).id,
    )
    item = kinds(liaison)["orders_to_answer"]
    assert item.count == 1 and item.link == "/orders"
    assert item.entries[0].text == "“楼道清洁”点单：保洁队"
    claims.accept_order(liaison, order.id, now=NOW)
    assert "orders_to_answer" not in kinds(liaison)


def test_an_invitation_waits_until_the_unit_claims(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    for candidate in (unit, make_unit(community)):
        db.session.add(
            Suggestion(
                community_id=community.id,
                target_type=TargetType.PROJECT,
                target_id=project.id,
                candidate_type=CandidateType.UNIT,
                candidate_id=candidate.id,
                score=1,
                rank=1,
                status=SuggestionStatus.ACTED,
            )
        )
    db.session.flush()
    item = kinds(liaison)["invitations_to_answer"]
    assert item.count == 1 and item.entries[0].link == f"/projects/{project.id}/claim"
    claims.claim_project(liaison, project.id, now=NOW, claimant=ClaimantType.UNIT)
    assert "invitations_to_answer" not in kinds(liaison)


def test_claims_decided_in_the_last_week(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    _claim(make_project(community), unit, ClaimStatus.APPROVED, decided_at=NOW - timedelta(days=2))
    _claim(make_project(community), unit, ClaimStatus.REJECTED, decided_at=NOW - timedelta(days=9))
    _claim(make_project(community), make_unit(community), ClaimStatus.APPROVED, decided_at=NOW)
    item = kinds(liaison)["claims_decided"]
    assert item.count == 1 and item.entries[0].text.endswith("已认领")
    assert "claims_decided" not in kinds(liaison, NOW + timedelta(days=6))


def test_activities_of_her_claims_short_of_people(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    _claim(project, unit, ClaimStatus.APPROVED)
    activity = make_activity(community, project_id=project.id, capacity=2)
    make_activity(community, project_id=project.id, starts_at=NOW + timedelta(days=10))
    make_activity(community, project_id=make_project(community).id)  # not her unit's
    item = kinds(liaison)["activities_to_staff"]
    assert item.count == 1 and item.entries[0].link == f"/activities/{activity.id}"
    assert "（已报名 0/2）" in item.entries[0].text
    for _ in range(2):
        activities.sign_up(make_volunteer(community), activity.id, now=NOW)
    assert "activities_to_staff" not in kinds(liaison)


# --- 志愿者 ---------------------------------------------------------------------------------


def test_next_signups_offer_check_in_half_an_hour_before(community):
    volunteer = make_volunteer(community)
    activity = make_activity(community, starts_at=NOW + timedelta(minutes=20))
    later = make_activity(community, starts_at=NOW + timedelta(days=2))
    make_activity(community, starts_at=NOW + timedelta(days=2, hours=5))  # not signed up
    for a in (activity, later):
        activities.sign_up(volunteer, a.id, now=NOW)
    item = kinds(volunteer)["next_signups"]
    assert item.count == 2
    soon, after = item.entries
    assert soon.action == "去签到" and soon.action_link == f"/activities/{activity.id}/checkin"
    assert after.action == "" and after.link == f"/activities/{later.id}"
    activities.check_in(volunteer, activity.id, code=activity.checkin_code, now=NOW)
    assert kinds(volunteer)["next_signups"].entries[0].action == ""
    db.session.query(Signup).filter_by(volunteer_id=volunteer.id).update(
        {"status": SignupStatus.CANCELLED}
    )
    assert "next_signups" not in kinds(volunteer)


def test_pickups_about_to_expire_until_picked_up(community):
    community.pickup_days = 2
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 500)
    item_ = make_reward_item(community, name="毛巾")
    redemption = rewards.reserve(volunteer, item_.id, now=NOW)
    other = make_volunteer(community)
    give_points(other, community, 500)
    rewards.reserve(other, item_.id, now=NOW)
    item = kinds(volunteer)["pickups_expiring"]
    assert item.count == 1 and item.entries[0].link == f"/supermarket/redemptions/{redemption.id}"
    rewards.pickup(make_secretary(community), redemption.id, now=NOW)
    assert "pickups_expiring" not in kinds(volunteer)


def test_hours_verified_or_rejected_in_the_last_week(community):
    volunteer = make_volunteer(community)
    secretary = make_secretary(community)
    record = _record(community, volunteer, origin=RecordOrigin.CHECKIN)
    assert "hours_decided" not in kinds(volunteer)
    hours.reject_record(secretary, record.id, reason="未到场", now=NOW)
    _record(make_community(), make_volunteer(community), status=RecordStatus.VERIFIED)
    item = kinds(volunteer)["hours_decided"]
    assert item.count == 1 and item.entries[0].text.endswith("未通过")
    assert "hours_decided" not in kinds(volunteer, NOW + timedelta(days=8))


# --- 居民 -----------------------------------------------------------------------------------


def test_her_needs_progress_and_the_ones_solved_this_week(community):
    resident = make_resident(community)
    mine = make_need(community, requester_id=resident.id, status=NeedStatus.SUBMITTED)
    make_need(community, requester_id=make_resident(community).id)
    make_need(community, requester_id=resident.id, status=NeedStatus.CLOSED)
    item = kinds(resident)["my_needs"]
    assert item.count == 1 and item.entries[0].text == f"{mine.title} · 待审核"
    mine.status = NeedStatus.RESOLVED
    db.session.flush()
    assert kinds(resident)["my_needs"].entries[0].text == f"{mine.title} · 已解决"
    assert "my_needs" not in kinds(resident, NOW + timedelta(days=8))


# --- 街道管理员 -----------------------------------------------------------------------------


def test_communities_without_a_secretary_until_appointed(community):
    admin = make_street_admin(community.street)
    make_community()  # another street's
    item = kinds(admin)["communities_without_secretary"]
    assert item.count == 1
    assert item.entries[0].link == f"/settings/communities/{community.id}/staff/new"
    make_secretary(community)
    assert "communities_without_secretary" not in kinds(admin)


def test_grids_short_of_a_leader_or_members(community):
    admin = make_street_admin(community.street)
    make_secretary(community)
    first, second = community.neighbourhoods
    first.households, second.households = 300, 0  # the first needs 2 网格员
    db.session.flush()
    item = kinds(admin)["grids_short_of_staff"]
    assert item.count == 2
    person = make_user()
    db.session.add(
        GridAssignment(neighbourhood_id=second.id, user_id=person.id, post=GridPost.LEADER)
    )
    db.session.flush()
    assert kinds(admin)["grids_short_of_staff"].count == 1
    db.session.add(
        GridAssignment(neighbourhood_id=first.id, user_id=person.id, post=GridPost.LEADER)
    )
    for _ in range(2):
        db.session.add(
            GridAssignment(neighbourhood_id=first.id, user_id=make_user().id, post=GridPost.MEMBER)
        )
    db.session.flush()
    assert "grids_short_of_staff" not in kinds(admin)


# --- Several roles, and the cost -------------------------------------------------------------


def test_each_role_she_holds_has_its_section(community):
    unit = make_unit(community)
    person = make_secretary(community)
    person.grants.append(RoleGrant(role=Role.UNIT_LIAISON, unit_id=unit.id))
    person.grants.append(RoleGrant(role=Role.RESIDENT, community_id=community.id))
    db.session.flush()
    sections = service.todo_for(person, NOW)
    assert [s.role for s in sections] == [Role.SECRETARY, Role.UNIT_LIAISON, Role.RESIDENT]
    assert sections[1].heading.endswith(unit.name)


def test_one_statement_per_kind_however_many_things_wait(community, count_queries):
    secretary = make_secretary(community)
    for _ in range(3):
        make_need(community, status=NeedStatus.SUBMITTED)
        _claim(make_project(community), make_unit(community))
    service.todo_for(secretary, NOW)
    with count_queries() as few:
        service.todo_for(secretary, NOW)
    for _ in range(10):
        make_need(community, status=NeedStatus.SUBMITTED)
        _claim(make_project(community), make_unit(community))
    with count_queries() as many:
        service.todo_for(secretary, NOW)
    assert few.n == many.n == len(service.SECRETARY_KINDS) + 1  # + her community's name
