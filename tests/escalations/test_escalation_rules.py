"""街道吹哨 rules: what may be raised, by whom, and how the street handles it."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.errors import Forbidden, Invalid, NotFound
from coop.escalations import service
from coop.escalations.errors import AlreadyEscalated, NeedNotEscalatable
from coop.escalations.models import Escalation, EscalationEntry, EscalationStatus
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.notices.models import Notice
from coop.states import IllegalTransition
from coop.uow import unit_of_work
from tests.escalations.helpers import NEXT_WEEK, NOW, TODAY, department, raise_need
from tests.factories import (
    make_community,
    make_need,
    make_secretary,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def need(community, resident):
    return make_need(community, requester_id=resident.id)


def _escalations() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Escalation))


def _titles(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notice.title).where(Notice.user_id == user.id)))


def _assign(admin, escalation, *names, deadline=NEXT_WEEK):
    street = escalation.community.street
    ids = [department(street, n).id for n in names]
    with unit_of_work(admin):
        return service.assign(admin, escalation.id, department_ids=ids, deadline=deadline, now=NOW)


# --- raising ----------------------------------------------------------------------------------


def test_secretary_raises_an_open_need_and_the_street_admins_are_told(
    community, secretary, admin, need, resident
):
    escalation = raise_need(secretary, need)
    assert escalation.status is EscalationStatus.OPEN
    assert escalation.community_id == community.id and escalation.raised_at == NOW
    assert _titles(admin) == [f"{community.name}吹哨：{need.title}"]
    assert _titles(resident) == ["您的需求已上报街道"]


@pytest.mark.parametrize("status", [NeedStatus.RESOLVED, NeedStatus.CLOSED, NeedStatus.REJECTED])
def test_a_solved_closed_or_rejected_need_cannot_be_raised(community, secretary, status):
    need = make_need(community, status=status)
    with pytest.raises(NeedNotEscalatable) as refused:
        raise_need(secretary, need)
    assert refused.value.status == 409 and status.label in refused.value.message
    assert _escalations() == 0 and need.status is status


def test_a_need_waiting_for_review_is_listed_by_raising_it(community, secretary):
    need = make_need(community, status=NeedStatus.SUBMITTED)
    raise_need(secretary, need)
    assert need.status is NeedStatus.LISTED and need.listed_at is not None


def test_one_open_escalation_per_need(secretary, need):
    raise_need(secretary, need)
    with pytest.raises(AlreadyEscalated) as refused:
        raise_need(secretary, need, reason="再报一次")
    assert refused.value.status == 409 and _escalations() == 1


def test_the_database_refuses_a_second_open_escalation(community, secretary, need):
    raise_need(secretary, need)
    db.session.add(Escalation(need_id=need.id, community_id=community.id, reason="绕过服务"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_a_returned_need_may_be_raised_again(secretary, admin, need):
    first = raise_need(secretary, need)
    with unit_of_work(admin):
        service.return_to_community(admin, first.id, reason="属于物业职责", now=NOW)
    second = raise_need(secretary, need, reason="物业拒绝处理，再次上报")
    assert second.id != first.id and _escalations() == 2


def test_a_volunteer_cannot_raise_a_need(community, need):
    volunteer = make_volunteer(community)
    with pytest.raises(Forbidden):
        raise_need(volunteer, need)
    assert _escalations() == 0


def test_another_communitys_secretary_does_not_see_the_need(community, need):
    stranger = make_secretary(make_community(community.street))
    with pytest.raises(NotFound):
        raise_need(stranger, need)
    assert _escalations() == 0


# --- assigning --------------------------------------------------------------------------------


def test_street_admin_assigns_departments_with_a_deadline_and_the_community_is_told(
    secretary, admin, need, resident
):
    escalation = raise_need(secretary, need)
    _assign(admin, escalation, "城管", "综治")
    assert escalation.status is EscalationStatus.ASSIGNED and escalation.deadline == NEXT_WEEK
    assert {d.name for d in escalation.departments} == {"城管", "综治"}
    assert escalation.assigned_at == NOW
    assert f"街道已分派：{need.title}" in _titles(secretary)
    assert f"街道已分派：{need.title}" in _titles(resident)


def test_a_department_of_another_street_is_refused_and_nothing_changes(
    community, secretary, admin, need
):
    escalation = raise_need(secretary, need)
    foreign = department(make_community().street, "城管")
    with pytest.raises(Invalid) as refused, unit_of_work(admin):
        service.assign(
            admin, escalation.id, department_ids=[foreign.id], deadline=NEXT_WEEK, now=NOW
        )
    assert refused.value.status == 422 and "department_ids" in refused.value.errors
    db.session.refresh(escalation)
    assert escalation.status is EscalationStatus.OPEN and escalation.departments == []


def test_a_deactivated_department_is_not_offered(community, secretary, admin, need):
    escalation = raise_need(secretary, need)
    gone = department(community.street, "信访")
    with unit_of_work(admin):
        service.update_department(admin, gone.id, active=False)
    with pytest.raises(Invalid), unit_of_work(admin):
        service.assign(admin, escalation.id, department_ids=[gone.id], deadline=NEXT_WEEK, now=NOW)


def test_a_deadline_before_today_is_refused(secretary, admin, need):
    escalation = raise_need(secretary, need)
    with pytest.raises(Invalid) as refused:
        _assign(admin, escalation, "城管", deadline=TODAY - timedelta(days=1))
    assert "deadline" in refused.value.errors


def test_only_the_streets_admin_assigns(community, secretary, need):
    escalation = raise_need(secretary, need)
    with pytest.raises(Forbidden):
        _assign(secretary, escalation, "城管")
    other_admin = make_street_admin(make_community().street)
    with pytest.raises(NotFound):
        _assign(other_admin, escalation, "城管")


def test_assigning_again_adds_departments_and_moves_the_deadline(secretary, admin, need):
    escalation = raise_need(secretary, need)
    _assign(admin, escalation, "城管")
    _assign(admin, escalation, "城管", "应急管理", deadline=NEXT_WEEK + timedelta(days=3))
    assert [d.name for d in escalation.departments] == ["城管", "应急管理"]
    assert escalation.deadline == NEXT_WEEK + timedelta(days=3)


# --- recording, resolving, returning ------------------------------------------------------------


def test_records_are_dated_and_only_for_assigned_departments(community, secretary, admin, need):
    escalation = raise_need(secretary, need)
    _assign(admin, escalation, "城管")
    cg = department(community.street, "城管")
    with unit_of_work(admin):
        service.record(
            admin, escalation.id, department_id=cg.id, on=TODAY, text="现场勘查", now=NOW
        )
    assert [(e.department.name, e.on, e.text) for e in escalation.entries] == [
        ("城管", TODAY, "现场勘查")
    ]
    mz = department(community.street, "民政")
    for department_id, on in ((mz.id, TODAY), (cg.id, TODAY + timedelta(days=1))):
        with pytest.raises(Invalid), unit_of_work(admin):
            service.record(
                admin, escalation.id, department_id=department_id, on=on, text="x" * 3, now=NOW
            )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationEntry)) == 1


def test_resolving_solves_the_need_and_stamps_resolved_at(secretary, admin, need, resident):
    escalation = raise_need(secretary, need)
    _assign(admin, escalation, "城管")
    with unit_of_work(admin):
        service.resolve(admin, escalation.id, outcome="违建已拆除", now=NOW)
    assert escalation.status is EscalationStatus.RESOLVED and escalation.outcome == "违建已拆除"
    assert need.status is NeedStatus.RESOLVED and need.resolved_at is not None
    assert "违建已拆除" in need.resolution
    assert "您的需求已解决" in _titles(resident)
    assert f"街道已办结：{need.title}" in _titles(secretary)


def test_an_unassigned_escalation_cannot_be_resolved(secretary, admin, need):
    escalation = raise_need(secretary, need)
    with pytest.raises(IllegalTransition), unit_of_work(admin):
        service.resolve(admin, escalation.id, outcome="已处理", now=NOW)
    assert need.status is NeedStatus.LISTED


def test_returning_leaves_the_need_open_with_the_community(secretary, admin, need, resident):
    escalation = raise_need(secretary, need)
    _assign(admin, escalation, "民政")
    with unit_of_work(admin):
        service.return_to_community(admin, escalation.id, reason="属于社区自治事项", now=NOW)
    assert escalation.status is EscalationStatus.RETURNED
    assert escalation.return_reason == "属于社区自治事项"
    assert need.status is NeedStatus.LISTED and need.resolved_at is None
    assert f"街道已退回：{need.title}" in _titles(secretary)
    with pytest.raises(IllegalTransition), unit_of_work(admin):
        service.resolve(admin, escalation.id, outcome="已处理", now=NOW)


# --- departments ------------------------------------------------------------------------------


def test_a_new_street_starts_with_the_usual_departments(community):
    names = [d.name for d in service.seed_departments(community.street)]
    assert names == ["综治", "民政", "城管", "信访", "应急管理"]
    assert service.seed_departments(community.street) == []  # once


def test_departments_are_added_renamed_and_deactivated_by_the_streets_admin(community, admin):
    street = community.street
    with unit_of_work(admin):
        added = service.add_department(admin, street.id, name="市场监管")
    with pytest.raises(Invalid), unit_of_work(admin):
        service.add_department(admin, street.id, name="市场监管")
    with unit_of_work(admin):
        service.update_department(admin, added.id, name="市场监管所", active=False)
    assert (added.name, added.active) == ("市场监管所", False)
    other = make_street_admin(make_community().street)
    with pytest.raises(NotFound), unit_of_work(other):
        service.update_department(other, added.id, name="别人的")
    with pytest.raises(NotFound), unit_of_work(other):
        service.add_department(other, street.id, name="别人的部门")


def test_a_street_the_first_run_founds_has_the_usual_departments(ctx):
    from coop.escalations import queries
    from coop.setup import first_run

    admin = first_run.found_street(
        street_name="新设街道",
        username="new-street-admin",
        display_name="新街道管理员",
        phone="",
        password="a-long-enough-passphrase",
    )
    street_id = admin.grants[0].street_id
    assert [d.name for d in queries.departments(street_id)] == [
        "综治",
        "民政",
        "城管",
        "信访",
        "应急管理",
    ]
