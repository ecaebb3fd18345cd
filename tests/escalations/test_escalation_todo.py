"""The street admin's 待办: raised needs waiting to be assigned, and those past their deadline."""

from datetime import timedelta

import pytest

from coop.escalations import service
from coop.todo import service as todo
from coop.uow import unit_of_work
from tests.escalations.helpers import NEXT_WEEK, NOW, department, raise_need
from tests.factories import make_community, make_need, make_secretary, make_street_admin


@pytest.fixture
def community(ctx):
    return make_community()


def _kinds(admin, now=NOW) -> dict:
    return {item.kind: item for item in todo.items_of(todo.todo_for(admin, now))}


def test_raised_needs_wait_to_be_assigned_until_a_department_has_them(community):
    secretary, admin = make_secretary(community), make_street_admin(community.street)
    make_street_admin(make_community().street)  # another street's admin sees nothing of it
    need = make_need(community, title="违建占用消防通道")
    escalation = raise_need(secretary, need)
    item = _kinds(admin)["escalations_to_assign"]
    assert item.count == 1 and item.entries[0].link == f"/escalations/{escalation.id}"
    assert item.entries[0].text == f"{community.name} · 违建占用消防通道"
    with unit_of_work(admin):
        service.assign(
            admin,
            escalation.id,
            department_ids=[department(community.street, "城管").id],
            deadline=NEXT_WEEK,
            now=NOW,
        )
    assert "escalations_to_assign" not in _kinds(admin)


def test_assigned_needs_past_their_deadline_are_listed(community):
    secretary, admin = make_secretary(community), make_street_admin(community.street)
    escalation = raise_need(secretary, make_need(community))
    with unit_of_work(admin):
        service.assign(
            admin,
            escalation.id,
            department_ids=[department(community.street, "民政").id],
            deadline=NEXT_WEEK,
            now=NOW,
        )
    assert "escalations_overdue" not in _kinds(admin, NOW + timedelta(days=7))
    item = _kinds(admin, NOW + timedelta(days=8))["escalations_overdue"]
    assert item.count == 1 and NEXT_WEEK.isoformat() in item.entries[0].text
    with unit_of_work(admin):
        service.resolve(admin, escalation.id, outcome="已发放护理补贴", now=NOW)
    assert "escalations_overdue" not in _kinds(admin, NOW + timedelta(days=8))
