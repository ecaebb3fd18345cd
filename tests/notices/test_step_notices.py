"""A notice for every step that concerns someone: each event tells the right people, and
only them (not the other community's secretary, not the volunteer who was not signed up)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.activities import service as activities
from coop.badges.awarding import monthly_badges
from coop.categories import Category
from coop.claims import service as claims
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import RecordStatus
from coop.needs import service as needs
from coop.needs.models import NeedStatus
from coop.notices.models import Notice
from coop.projects import service as projects
from coop.projects.models import ProjectMode, ProjectStatus
from tests.badges.conftest import NOW, PERIOD, add_hours, mark_awarded, october_activity
from tests.factories import (
    make_activity,
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


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def told(user) -> list[tuple[str, str]]:
    """(title, link) of the person's notices, oldest first."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Notice.title, Notice.link)
            .where(Notice.user_id == user.id)
            .order_by(Notice.id)
        )
    ]


def bodies(user) -> list[str]:
    return db.session.scalars(
        sa.select(Notice.body).where(Notice.user_id == user.id).order_by(Notice.id)
    ).all()


# --- Needs: the resident who raised it hears each step -------------------------------------


def submitted(community, resident):
    return needs.submit_need(
        resident, community.id, title="楼道灯坏了", category=Category.CONVENIENCE
    )


def test_the_resident_is_told_her_need_was_listed(community, secretary):
    resident, neighbour = make_resident(community), make_resident(community)
    need = submitted(community, resident)
    needs.list_need(secretary, need.id)
    assert told(resident) == [("您的需求已受理", f"/needs/{need.id}")]
    assert "楼道灯坏了" in bodies(resident)[0]
    assert told(neighbour) == [] and told(secretary) == []


def test_the_resident_is_told_why_her_need_was_rejected(community, secretary):
    resident = make_resident(community)
    need = submitted(community, resident)
    needs.reject_need(secretary, need.id, reason="属物业维修范围")
    assert told(resident) == [("您的需求未能受理", f"/needs/{need.id}")]
    assert "属物业维修范围" in bodies(resident)[0]


def test_the_resident_is_told_her_need_was_put_into_a_project(community, secretary):
    resident = make_resident(community)
    need = submitted(community, resident)
    needs.list_need(secretary, need.id)
    now = utcnow()
    project = projects.create_project(
        secretary,
        community.id,
        need_ids=[need.id, make_need(community).id],  # a need staff recorded: nobody to tell
        title="楼道照明维修",
        category=Category.CONVENIENCE,
        mode=ProjectMode.ROUTINE,
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=20),
        claim_deadline=now + timedelta(days=5),
    )
    assert told(resident)[-1] == ("您的需求已纳入服务项目", f"/needs/{need.id}")
    assert "楼道照明维修" in bodies(resident)[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 2
    assert project.needs


def test_the_resident_is_told_her_need_was_solved_directly(community, secretary):
    resident = make_resident(community)
    need = submitted(community, resident)
    needs.list_need(secretary, need.id)
    needs.resolve_need(secretary, need.id, resolution="已更换灯泡")
    assert told(resident)[-1] == ("您的需求已解决", f"/needs/{need.id}")
    assert "已更换灯泡" in bodies(resident)[-1]


def test_the_resident_is_told_when_a_completed_project_solves_her_need(community, secretary):
    resident = make_resident(community)
    need = make_need(community, requester_id=resident.id)
    project = make_project(community, needs=[need], status=ProjectStatus.IN_PROGRESS)
    projects.complete_project(secretary, project.id)
    assert need.status is NeedStatus.RESOLVED
    assert told(resident) == [("您的需求已解决", f"/needs/{need.id}")]
    assert project.title in bodies(resident)[0]


# --- Claims: the claimant (the unit's liaisons, or the volunteer) -----------------------------


def unit_claim(project, unit, status=ClaimStatus.PENDING):
    claim = Claim(
        project_id=project.id,
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


def test_the_units_liaisons_are_told_their_claim_was_approved(community, secretary):
    unit, other = make_unit(community), make_unit(community)
    first, second, elsewhere = make_liaison(unit), make_liaison(unit), make_liaison(other)
    project = make_project(community)
    claim = unit_claim(project, unit)
    claims.approve_claim(secretary, claim.id, now=utcnow())
    expected = [(f"认领已通过：{project.title}", f"/projects/{project.id}")]
    assert told(first) == expected and told(second) == expected
    assert told(elsewhere) == []


def test_the_volunteer_is_told_her_claim_was_rejected_with_the_reason(community, secretary):
    volunteer, other = make_volunteer(community), make_volunteer(community)
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    claim = claims.claim_project(
        volunteer, project.id, claimant=ClaimantType.VOLUNTEER, now=utcnow()
    )
    claims.reject_claim(secretary, claim.id, reason="时间不合适", now=utcnow())
    assert told(volunteer) == [(f"认领未通过：{project.title}", f"/projects/{project.id}")]
    assert "时间不合适" in bodies(volunteer)[0]
    assert told(other) == []


def test_the_units_liaisons_are_told_their_claim_was_released(community, secretary):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    claim = unit_claim(project, unit, ClaimStatus.APPROVED)
    claims.release_claim(secretary, claim.id, reason="迟迟未开展", now=utcnow())
    assert told(liaison) == [(f"认领已释放：{project.title}", f"/projects/{project.id}")]
    assert "迟迟未开展" in bodies(liaison)[0]


def test_claimants_are_told_when_the_project_is_cancelled(community, secretary):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    unit_claim(project, unit, ClaimStatus.APPROVED)
    projects.cancel_project(secretary, project.id, reason="经费取消")
    assert told(liaison) == [(f"项目已取消：{project.title}", f"/projects/{project.id}")]


# --- 点单: sent to the unit, answered to who sent it --------------------------------------------


def test_the_units_liaisons_are_told_of_an_order(community, secretary):
    unit, other = make_unit(community), make_unit(community)
    liaison, elsewhere = make_liaison(unit), make_liaison(other)
    project = make_project(community)
    resource = make_resource(unit, community, title="理发志愿队")
    claims.order_resource(secretary, project.id, resource.id, note="周六上午")
    assert told(liaison) == [("社区向贵单位点单", "/orders")]
    assert "理发志愿队" in bodies(liaison)[0] and "周六上午" in bodies(liaison)[0]
    assert told(elsewhere) == [] and told(secretary) == []


def test_who_sent_the_order_is_told_it_was_accepted(community, secretary):
    colleague = make_secretary(community)
    other_secretary = make_secretary(make_community())
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    order = claims.order_resource(secretary, project.id, make_resource(unit, community).id)
    claims.accept_order(liaison, order.id, now=utcnow())
    assert told(secretary) == [(f"点单已接受：{unit.name}", f"/projects/{project.id}")]
    assert told(colleague) == [] and told(other_secretary) == []


def test_who_sent_the_order_is_told_it_was_declined_and_why(community, secretary):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    project = make_project(community)
    order = claims.order_resource(secretary, project.id, make_resource(unit, community).id)
    claims.decline_order(liaison, order.id, reason="人手不足")
    assert told(secretary) == [(f"点单被婉拒：{unit.name}", f"/projects/{project.id}")]
    assert "人手不足" in bodies(secretary)[0]


def test_an_order_without_its_sender_is_answered_to_the_secretaries(community, secretary):
    other_secretary = make_secretary(make_community())
    unit = make_unit(community)
    liaison = make_liaison(unit)
    order = claims.order_resource(
        secretary, make_project(community).id, make_resource(unit, community).id
    )
    order.requested_by_id = None  # e.g. her account was removed
    db.session.flush()
    claims.decline_order(liaison, order.id, reason="人手不足")
    assert len(told(secretary)) == 1 and told(other_secretary) == []


# --- Activities: changed or cancelled, to the signed-up volunteers ------------------------------


def test_signed_up_volunteers_are_told_of_a_change_and_others_are_not(community, secretary):
    signed, outsider = make_volunteer(community), make_volunteer(community)
    activity = make_activity(community)
    activities.sign_up(signed, activity.id, now=utcnow())
    activities.edit_activity(
        secretary, activity.id, version=activity.version, place="阳光苑食堂", now=utcnow()
    )
    assert told(signed) == [(f"活动“{activity.title}”有变更", f"/activities/{activity.id}")]
    assert "阳光苑食堂" in bodies(signed)[0]
    assert told(outsider) == []


def test_signed_up_volunteers_are_told_of_a_cancellation(community, secretary):
    signed, outsider = make_volunteer(community), make_volunteer(community)
    activity = make_activity(community)
    activities.sign_up(signed, activity.id, now=utcnow())
    activities.cancel_activity(secretary, activity.id, reason="暴雨预警")
    assert told(signed) == [(f"活动“{activity.title}”已取消", f"/activities/{activity.id}")]
    assert bodies(signed) == ["暴雨预警"]
    assert told(outsider) == []


# --- Hours: the volunteer -------------------------------------------------------------------


def pending_hours(community):
    volunteer = make_volunteer(community)
    record = add_hours(volunteer, october_activity(community), 2, status=RecordStatus.PENDING)
    return volunteer, record


def test_the_volunteer_is_told_her_hours_were_verified(community, secretary):
    volunteer, record = pending_hours(community)
    other = make_volunteer(community)
    hours.verify_record(secretary, record.id, now=NOW)
    assert told(volunteer) == [("服务时长已核实：2小时，获得 20 积分", "/my/points")]
    assert told(other) == []


def test_the_volunteer_is_told_her_hours_were_rejected(community, secretary):
    volunteer, record = pending_hours(community)
    hours.reject_record(secretary, record.id, reason="未签到", now=NOW)
    assert told(volunteer) == [("服务时长未通过核实", "/my/points")]


def test_the_volunteer_is_told_her_hours_were_reversed(community, secretary):
    volunteer, record = pending_hours(community)
    hours.verify_record(secretary, record.id, now=NOW)
    hours.reverse_record(secretary, record.id, reason="签退时间有误", now=NOW)
    assert told(volunteer)[-1] == ("服务时长已更正", "/my/points")
    assert "签退时间有误" in bodies(volunteer)[-1] and "20 积分" in bodies(volunteer)[-1]


# --- Badges: the holder (volunteer, or the unit's liaisons) -------------------------------------


def test_the_monthly_run_tells_each_holder_once_naming_her_badges(community):
    busy, idle = make_volunteer(community), make_volunteer(community)
    add_hours(busy, october_activity(community, theme=True), 5)
    monthly_badges(PERIOD, now=NOW)
    assert told(busy) == [("您获得了2026年10月的徽章", "/my/badges")]
    assert set(bodies(busy)[0].split("。")[0].split("、")) == {"月月红", "月度志愿之星·铜"}
    assert told(idle) == []
    monthly_badges(PERIOD, now=NOW)  # the month again: nothing new, nobody told twice
    assert len(told(busy)) == 1


def test_the_units_liaisons_hear_of_the_unit_badge(community):
    from tests.badges.conftest import fulfilled_claim

    unit, other = make_unit(community), make_unit(community)
    liaison, elsewhere = make_liaison(unit), make_liaison(other)
    fulfilled_claim(unit, community)
    monthly_badges(PERIOD, now=NOW)
    assert told(liaison) == [
        ("贵单位获得了2026年10月的徽章", f"/communities/{community.id}/honours")
    ]
    assert bodies(liaison)[0].startswith("月度共建之星")
    assert told(elsewhere) == []


def test_a_month_re_evaluated_late_tells_of_the_new_badge(community, secretary):
    volunteer = make_volunteer(community)
    late = add_hours(volunteer, october_activity(community), 5, status=RecordStatus.PENDING)
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    hours.verify_record(secretary, late.id, now=NOW)
    assert ("获得徽章：月度志愿之星·铜", "/my/badges") in told(volunteer)


def test_a_month_re_evaluated_late_tells_of_the_revoked_badge_and_why(community, secretary):
    volunteer = make_volunteer(community)
    record = add_hours(volunteer, october_activity(community), 5, status=RecordStatus.PENDING)
    hours.verify_record(secretary, record.id, now=NOW)
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    hours.reverse_record(secretary, record.id, reason="时长有误", now=NOW)
    assert ("徽章已撤销：月度志愿之星·铜", "/my/badges") in told(volunteer)
    revoked = [b for b in bodies(volunteer) if "已撤销" in b]
    assert revoked and "不足 4 小时" in revoked[0]
