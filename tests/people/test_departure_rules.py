"""People leave: deactivation ends what she booked as a withdrawal would, keeps what she did,
signs her out; anonymisation removes what names her, the audit snapshots included, and keeps
every total."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.activities import service as activities
from coop.activities.models import SignupStatus
from coop.audit import AuditLog
from coop.auth import service as auth
from coop.auth.errors import InvalidCredentials
from coop.auth.models import ApiToken, Role, UserSession
from coop.badges.models import Badge, BadgeAward, HolderType
from coop.claims import service as claims
from coop.claims.models import ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, Posting
from coop.notices.inbox import latest
from coop.people import departure, editing, errors
from coop.people.models import Departure, ResidentProfile
from coop.projects.models import ProjectMode
from coop.rewards import queries as reward_queries
from coop.rewards import service as rewards
from coop.rewards.models import RedemptionStatus
from coop.uow import unit_of_work
from tests.factories import (
    PASSWORD,
    give_points,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_reward_item,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

NAME, PHONE, ADDRESS = "离开的志愿者", "13912345678", "幸福里7号楼3单元502"


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def leaver(community):
    return make_volunteer(community, display_name=NAME, phone=PHONE)


def early(activity):
    return activity.starts_at - timedelta(days=1)


def deactivate(secretary, community, person, *, reason="搬离本社区", now=None):
    return departure.deactivate_person(
        secretary, community.id, person.id, reason=reason, now=now or utcnow()
    )


def anonymise(secretary, community, person):
    return departure.anonymise_person(secretary, community.id, person.id, now=utcnow())


# --- deactivation -------------------------------------------------------------------------------


def test_deactivating_cancels_her_seat_and_the_first_in_line_gets_it(community, secretary, leaver):
    activity = make_activity(community, capacity=1, created_by_id=make_secretary(community).id)
    waiting = make_volunteer(community)
    seat = activities.sign_up(leaver, activity.id, now=early(activity))
    in_line = activities.sign_up(waiting, activity.id, now=early(activity), waitlist=True)

    done = deactivate(secretary, community, leaver, now=early(activity))

    assert done.signups == [seat] and seat.status is SignupStatus.CANCELLED
    assert in_line.status is SignupStatus.CONFIRMED and activity.confirmed_count == 1
    assert "候补成功" in latest(waiting.id)[0].title
    organiser_notice = latest(activity.created_by_id)[0]
    assert "有一位志愿者退出" in organiser_notice.title and "递补" in organiser_notice.body
    assert NAME not in organiser_notice.title + organiser_notice.body


def test_deactivating_keeps_a_sign_up_she_checked_in_and_past_sessions(
    community, secretary, leaver
):
    now = utcnow()
    past = make_activity(community, starts_at=now - timedelta(days=2))
    ongoing = make_activity(community, starts_at=now - timedelta(minutes=30))
    kept = [
        activities.sign_up(leaver, a.id, now=a.starts_at - timedelta(hours=1))
        for a in (past, ongoing)
    ]
    kept[1].checked_in_at = ongoing.starts_at
    deactivate(secretary, community, leaver, now=now)
    assert [s.status for s in kept] == [SignupStatus.CONFIRMED, SignupStatus.CONFIRMED]


def test_deactivating_withdraws_her_claims_and_tells_the_secretaries(community, secretary, leaver):
    colleague = make_secretary(community)
    approved = make_project(community, mode=ProjectMode.ROUTINE, auto_approve=True, slots=1)
    pending = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    now = utcnow()
    taken = claims.claim_project(leaver, approved.id, claimant=ClaimantType.VOLUNTEER, now=now)
    asked = claims.claim_project(leaver, pending.id, claimant=ClaimantType.VOLUNTEER, now=now)
    assert approved.approved_count == 1

    done = deactivate(secretary, community, leaver)

    assert {c.id for c in done.claims} == {taken.id, asked.id}
    assert taken.status is ClaimStatus.WITHDRAWN and asked.status is ClaimStatus.WITHDRAWN
    assert approved.approved_count == 0  # the slot is free again
    titles = [n.title for n in latest(colleague.id)]
    assert len(titles) == 2 and all("志愿者认领已撤回" in t for t in titles)
    assert latest(secretary.id) == []  # she did it; she is not told


def test_a_liaisons_deactivation_keeps_her_units_claims(community, secretary):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    claim = claims.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow())
    assert (
        departure.consequences(secretary, community.id, liaison.id, now=utcnow()).unit_claims_kept
        == 1
    )
    deactivate(secretary, community, liaison)
    assert claim.status is ClaimStatus.PENDING and not liaison.is_active


def test_deactivating_cancels_her_reservations_and_returns_the_points_once(
    community, secretary, leaver
):
    give_points(leaver, community, 200)
    item = make_reward_item(community, cost=80, stock=5)
    reserved = rewards.reserve(leaver, item.id, now=utcnow())
    assert reward_queries.wallet(leaver.id, community.id).available == 120

    deactivate(secretary, community, leaver)

    db.session.refresh(item)
    assert reserved.status is RedemptionStatus.CANCELLED and item.stock == 5
    assert reward_queries.wallet(leaver.id, community.id).available == 200
    refunds = db.session.scalar(
        sa.select(sa.func.count()).where(
            Posting.source_type == "redemption",
            Posting.source_id == reserved.id,
            Posting.idempotency_key.like("%:cancel"),
        )
    )
    assert refunds == 1
    # a later expiry run finds nothing to return
    assert rewards.expire_redemptions(now=utcnow() + timedelta(days=365)) == 0
    assert ledger.check().ok


def test_deactivating_keeps_her_hours_points_and_pending_records(community, secretary, leaver):
    give_points(leaver, community, 30)
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=leaver.id,
        service_date=utcnow().date(),
        hours=Decimal("2"),
        origin=RecordOrigin.ENTERED,
        entered_by_id=secretary.id,
    )
    db.session.add(record)
    db.session.flush()
    done = deactivate(secretary, community, leaver)
    assert done.pending_records == 1 and record.status is RecordStatus.PENDING
    account = ledger.find_account(AccountType.VOLUNTEER, community.id, leaver.id)
    assert ledger.balance_of(account) == 30


def test_deactivating_signs_her_out_everywhere_and_stops_sign_in(community, secretary, leaver):
    raw_session = auth.start_session(leaver)
    raw_token, _token = auth.issue_token(leaver)
    deactivate(secretary, community, leaver)
    assert auth.session_user(raw_session) is None and auth.token_for(raw_token) is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                UserSession.user_id == leaver.id, UserSession.ended_at.is_(None)
            )
        )
        == 0
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                ApiToken.user_id == leaver.id, ApiToken.revoked_at.is_(None)
            )
        )
        == 0
    )
    with pytest.raises(InvalidCredentials):
        auth.authenticate(leaver.username, PASSWORD, address="10.0.0.9")


def test_she_is_told_why_and_what_ended(community, secretary, leaver):
    deactivate(secretary, community, leaver, reason="本人申请退出")
    notice = latest(leaver.id)[0]
    assert notice.title == "您的账号已停用" and "本人申请退出" in notice.body
    row = db.session.scalar(sa.select(Departure).where(Departure.user_id == leaver.id))
    assert row.reason == "本人申请退出" and row.deactivated_by_id == secretary.id


def test_deactivating_needs_a_reason_and_changes_nothing(community, secretary, leaver):
    activity = make_activity(community)
    seat = activities.sign_up(leaver, activity.id, now=early(activity))
    with pytest.raises(Invalid) as raised:
        deactivate(secretary, community, leaver, reason="   ")
    assert "reason" in raised.value.errors
    assert leaver.is_active and seat.status is SignupStatus.CONFIRMED


def test_deactivating_twice_is_a_conflict(community, secretary, leaver):
    deactivate(secretary, community, leaver)
    with pytest.raises(errors.AlreadyDeactivated):
        deactivate(secretary, community, leaver)


@pytest.mark.parametrize(
    "who",
    [
        lambda community, other: make_secretary(other),  # another community's secretary
        lambda community, other: make_volunteer(other),
    ],
)
def test_outsiders_do_not_find_her(community, leaver, who):
    with pytest.raises(NotFound):
        deactivate(who(community, make_community()), community, leaver)
    assert leaver.is_active


@pytest.mark.parametrize(
    "who",
    [
        lambda community: make_volunteer(community),
        lambda community: make_street_admin(community.street),
    ],
)
def test_those_who_do_not_manage_her_community_may_not(community, leaver, who):
    with pytest.raises(Forbidden):
        deactivate(who(community), community, leaver)
    assert leaver.is_active


def test_staff_are_not_deactivated_from_the_people_list(community, secretary):
    with pytest.raises(errors.StaffNotDeactivated):
        deactivate(secretary, community, make_secretary(community))
    with pytest.raises(errors.StaffNotDeactivated):
        deactivate(secretary, community, secretary)


def test_a_liaison_is_deactivated_by_a_secretary_of_a_community_her_unit_serves(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    elsewhere = make_secretary(make_community())
    with pytest.raises(NotFound):
        deactivate(elsewhere, community, liaison)
    deactivate(make_secretary(community), community, liaison)
    assert not liaison.is_active


def test_reactivation_lets_her_sign_in_but_restores_nothing(community, secretary, leaver):
    activity = make_activity(community)
    seat = activities.sign_up(leaver, activity.id, now=early(activity))
    raw = auth.start_session(leaver)
    deactivate(secretary, community, leaver)
    departure.reactivate_person(secretary, community.id, leaver.id, now=utcnow())
    assert leaver.is_active and seat.status is SignupStatus.CANCELLED
    assert auth.session_user(raw) is None  # the old session stays ended
    assert auth.authenticate(leaver.username, PASSWORD, address="10.0.0.9") == leaver
    assert latest(leaver.id)[0].title == "您的账号已恢复"
    with pytest.raises(errors.NotDeactivated):
        departure.reactivate_person(secretary, community.id, leaver.id, now=utcnow())


def test_the_community_is_found_for_the_api(community, secretary, leaver):
    assert departure.community_of(secretary, leaver.id) == community.id
    with pytest.raises(NotFound):
        departure.community_of(make_secretary(make_community()), leaver.id)


# --- anonymising --------------------------------------------------------------------------------


def departed(secretary, community, person):
    with unit_of_work(secretary):
        deactivate(secretary, community, person)
    return person


def audit_text() -> str:
    rows = db.session.execute(sa.select(AuditLog.before, AuditLog.after)).all()
    return json.dumps([list(r) for r in rows], ensure_ascii=False)


def test_anonymising_removes_her_name_phone_and_address(community, secretary):
    resident = make_resident(community, display_name=NAME, phone=PHONE)
    db.session.add(ResidentProfile(user=resident, community_id=community.id, address=ADDRESS))
    need = make_need(
        community,
        requester_id=resident.id,
        requester_name=NAME,
        requester_phone=PHONE,
        requester_address=ADDRESS,
    )
    departed(secretary, community, resident)
    with unit_of_work(secretary):
        anonymise(secretary, community, resident)
    assert resident.display_name == "已注销用户" and resident.username == f"deleted-{resident.id}"
    assert resident.phone is None and not resident.check_password(PASSWORD)
    assert resident.resident.address == ""
    assert (need.requester_name, need.requester_phone, need.requester_address) == (
        "已注销用户",
        "",
        "",
    )


def test_anonymising_clears_her_skills_and_work_unit(community, secretary, leaver):
    leaver.volunteer.skills, leaver.volunteer.work_unit_id = ["理发"], make_unit(community).id
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    assert leaver.volunteer.skills == [] and leaver.volunteer.work_unit_id is None


def test_the_audit_snapshots_keep_no_trace_of_her(community, secretary):
    with unit_of_work(secretary):
        person = make_resident(community, display_name=NAME, phone=PHONE, username="liyuan")
        db.session.add(ResidentProfile(user=person, community_id=community.id, address=ADDRESS))
        make_need(
            community,
            requester_id=person.id,
            requester_name=NAME,
            requester_phone=PHONE,
            requester_address=ADDRESS,
        )
    with unit_of_work(secretary):
        person.phone = "13700001111"  # an update: before and after both hold her values
    departed(secretary, community, person)
    text = audit_text()
    assert NAME in text and "139****5678" in text and "137****1111" in text  # masked, but hers

    with unit_of_work(secretary):
        anonymise(secretary, community, person)

    text = audit_text()
    for trace in (NAME, "139****5678", "137****1111", "liyuan", "幸福里", PHONE):
        assert trace not in text
    recorded = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "anonymise"))
    assert recorded.actor_id == secretary.id and recorded.object_id == str(person.id)


def test_anonymising_keeps_the_ledger_clean_and_the_badges_counted(community, secretary, leaver):
    give_points(leaver, community, 120)
    award = BadgeAward(
        badge_id=_a_badge().id,
        holder_type=HolderType.VOLUNTEER,
        holder_id=leaver.id,
        community_id=community.id,
        period="2026-03",
    )
    db.session.add(award)
    db.session.flush()
    badges_before = _badge_count(leaver)
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    assert ledger.check().ok
    account = ledger.find_account(AccountType.VOLUNTEER, community.id, leaver.id)
    assert ledger.balance_of(account) == 120
    assert _badge_count(leaver) == badges_before == 1


def _a_badge():
    badge = Badge(code="test-departure", name="测试徽章", holder_type=HolderType.VOLUNTEER)
    db.session.add(badge)
    db.session.flush()
    return badge


def _badge_count(person) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(BadgeAward.holder_id == person.id))


def test_anonymising_an_active_person_is_a_conflict_and_changes_nothing(
    community, secretary, leaver
):
    with pytest.raises(errors.StillActive):
        anonymise(secretary, community, leaver)
    assert leaver.display_name == NAME and leaver.phone == PHONE


def test_anonymising_twice_is_a_conflict_and_she_cannot_come_back(community, secretary, leaver):
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    with pytest.raises(errors.AlreadyAnonymised):
        anonymise(secretary, community, leaver)
    with pytest.raises(errors.AlreadyAnonymised):
        departure.reactivate_person(secretary, community.id, leaver.id, now=utcnow())


def test_an_anonymised_persons_details_cannot_be_written_back(community, secretary, leaver):
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    with pytest.raises(errors.AlreadyAnonymised):
        editing.edit_person(
            secretary, leaver.id, version=leaver.version, display_name=NAME, phone=PHONE
        )
    assert leaver.display_name == "已注销用户" and leaver.phone is None


def test_only_her_secretary_anonymises(community, secretary, leaver):
    departed(secretary, community, leaver)
    with pytest.raises(NotFound):
        anonymise(make_secretary(make_community()), community, leaver)
    with pytest.raises(Forbidden):
        anonymise(make_street_admin(community.street), community, leaver)
    assert leaver.display_name == NAME


def test_a_username_someone_already_has_is_not_reused(community, secretary, leaver):
    make_volunteer(community, username=f"deleted-{leaver.id}")
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    assert leaver.username.startswith(f"deleted-{leaver.id}-")


def test_roles_stay_so_her_history_still_counts(community, secretary, leaver):
    departed(secretary, community, leaver)
    anonymise(secretary, community, leaver)
    assert leaver.roles == [Role.VOLUNTEER]
