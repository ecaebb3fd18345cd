"""The 街道吹哨 pages: the secretary's 吹哨 page, the street's queue and escalation page with its
forms, the departments page, and the 街道协同处置 section the resident reads on her need page."""

import re

import pytest
import sqlalchemy as sa

from coop.escalations import service
from coop.escalations.models import Escalation, EscalationStatus
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.timeutil import local_today
from coop.uow import unit_of_work
from tests.escalations.helpers import NEXT_WEEK, NOW, department, raise_need
from tests.factories import (
    csrf,
    login,
    make_community,
    make_need,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def need(community, resident):
    return make_need(community, requester_id=resident.id, title="小区违建占用消防通道")


def _escalate(client, secretary, need, reason="违建需城管执法"):
    login(client, secretary)
    token = csrf(client, f"/needs/{need.id}/escalate")
    return client.post(f"/needs/{need.id}/escalate", data={"csrf_token": token, "reason": reason})


def _only() -> Escalation:
    return db.session.scalar(sa.select(Escalation))


def test_the_secretarys_need_page_has_the_whistle_button(client, secretary, need):
    login(client, secretary)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'href="/needs/{need.id}/escalate"' in html and "上报街道（吹哨）" in html


def test_a_volunteer_sees_no_whistle_and_may_not_open_it(client, community, need):
    volunteer = make_volunteer(community)
    login(client, volunteer)
    assert "吹哨" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert client.get(f"/needs/{need.id}/escalate").status_code == 403


def test_escalating_from_the_page_goes_back_to_the_need(client, secretary, need):
    response = _escalate(client, secretary, need)
    assert response.status_code == 302 and response.location.endswith(f"/needs/{need.id}")
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "街道协同处置" in html and "违建需城管执法" in html
    assert "上报街道（吹哨）" not in html  # one open escalation per need


def test_a_blank_reason_redraws_the_form_and_raises_nothing(client, secretary, need):
    response = _escalate(client, secretary, need, reason="")
    assert response.status_code == 422 and 'id="e-reason"' in response.get_data(as_text=True)
    assert _only() is None


def test_escalating_a_solved_need_redraws_the_page_with_the_reason(client, community, secretary):
    need = make_need(community, status=NeedStatus.RESOLVED)
    response = _escalate(client, secretary, need)
    assert response.status_code == 409 and "已解决" in response.get_data(as_text=True)
    assert _only() is None


def test_the_street_queue_lists_and_filters(client, community, secretary, admin, need):
    _escalate(client, secretary, need)
    login(client, admin)
    path = f"/streets/{community.street_id}/escalations"
    html = client.get(path).get_data(as_text=True)
    assert need.title in html and community.name in html and "待分派" in html
    assert need.title not in client.get(f"{path}?status=resolved").get_data(as_text=True)
    fragment = client.get(f"{path}?status=open&order=deadline", headers={"HX-Request": "true"})
    assert need.title in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert client.get(f"{path}?status=nonsense").status_code == 422


def test_the_menu_reaches_the_queue(client, community, admin):
    login(client, admin)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/streets/{community.street_id}/escalations"' in html


def test_another_streets_admin_gets_404(client, community, secretary, need):
    _escalate(client, secretary, need)
    login(client, make_street_admin(make_community().street))
    assert client.get(f"/streets/{community.street_id}/escalations").status_code == 404
    assert client.get(f"/escalations/{_only().id}").status_code == 404


def test_assign_record_and_resolve_from_the_page(client, community, secretary, admin, need):
    _escalate(client, secretary, need)
    escalation = _only()
    cg = department(community.street, "城管")
    login(client, admin)
    page = f"/escalations/{escalation.id}"
    token = csrf(client, page)
    assigned = client.post(
        f"{page}/assign",
        data={"csrf_token": token, "department_ids": [str(cg.id)], "deadline": NEXT_WEEK},
    )
    assert assigned.status_code == 302
    recorded = client.post(
        f"{page}/entries",
        data={
            "csrf_token": token,
            "department_id": str(cg.id),
            "on": local_today().isoformat(),
            "text": "城管中队现场勘查，下达整改通知",
        },
    )
    assert recorded.status_code == 302
    confirm = client.get(f"{page}/resolve").get_data(as_text=True)
    assert "确认办结" in confirm and 'name="outcome"' in confirm
    resolved = client.post(f"{page}/resolve", data={"csrf_token": token, "outcome": "违建已拆除"})
    assert resolved.status_code == 302
    db.session.refresh(escalation)
    assert escalation.status is EscalationStatus.RESOLVED
    assert need.status is NeedStatus.RESOLVED


def test_a_foreign_department_on_the_form_is_refused_and_nothing_changes(
    client, community, secretary, admin, need
):
    _escalate(client, secretary, need)
    escalation = _only()
    department(community.street, "城管")  # her street has its own
    foreign = department(make_community().street, "城管")
    login(client, admin)
    page = f"/escalations/{escalation.id}"
    response = client.post(
        f"{page}/assign",
        data={
            "csrf_token": csrf(client, page),
            "department_ids": [str(foreign.id)],
            "deadline": NEXT_WEEK,
        },
    )
    assert response.status_code == 422 and "请选择本街道在用的部门" in response.get_data(
        as_text=True
    )
    db.session.refresh(escalation)
    assert escalation.status is EscalationStatus.OPEN


def test_the_resident_follows_it_on_her_need_page(
    client, community, secretary, admin, resident, need
):
    _escalate(client, secretary, need)
    escalation = _only()
    cg = department(community.street, "城管")
    login(client, admin)
    page = f"/escalations/{escalation.id}"
    client.post(
        f"{page}/assign",
        data={
            "csrf_token": csrf(client, page),
            "department_ids": [str(cg.id)],
            "deadline": NEXT_WEEK,
        },
    )
    login(client, resident)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    section = html[html.index("街道协同处置") :]
    assert "城管" in section and NEXT_WEEK.isoformat() in section and "处置中" in section
    assert "上报街道（吹哨）" not in section and f"/escalations/{escalation.id}" not in section
    assert client.get(page).status_code == 404  # the street's working page is not hers


def test_return_asks_for_a_reason_first(client, secretary, admin, need):
    _escalate(client, secretary, need)
    escalation = _only()
    login(client, admin)
    page = f"/escalations/{escalation.id}"
    token = csrf(client, f"{page}/return")
    refused = client.post(f"{page}/return", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    db.session.refresh(escalation)
    assert escalation.status is EscalationStatus.OPEN
    client.post(f"{page}/return", data={"csrf_token": token, "reason": "属于物业职责"})
    db.session.refresh(escalation)
    assert escalation.status is EscalationStatus.RETURNED


def test_departments_page_adds_renames_and_deactivates(client, community, admin):
    department(community.street, "城管")
    login(client, admin)
    path = f"/streets/{community.street_id}/departments"
    token = csrf(client, path)
    assert client.post(path, data={"csrf_token": token, "name": "司法所"}).status_code == 302
    added = department(community.street, "司法所")
    client.post(
        f"/departments/{added.id}/rename", data={"csrf_token": token, "name": "司法所（调解）"}
    )
    client.post(f"/departments/{added.id}/deactivate", data={"csrf_token": token})
    html = client.get(path).get_data(as_text=True)
    assert "司法所（调解）" in html and "已停用" in html
    assert re.search(r"综治.*民政.*城管.*信访.*应急管理", html, re.S)


def test_the_queue_costs_the_same_statements_however_many_wait(
    client, community, secretary, admin, count_queries
):
    def raise_some(n):
        for _ in range(n):
            escalation = raise_need(secretary, make_need(community))
            with unit_of_work(admin):
                service.assign(
                    admin,
                    escalation.id,
                    department_ids=[department(community.street, "城管").id],
                    deadline=NEXT_WEEK,
                    now=NOW,
                )

    path = f"/streets/{community.street_id}/escalations"
    raise_some(2)
    login(client, admin)
    client.get(path)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    raise_some(8)
    client.get(path)
    with count_queries() as many:
        assert client.get(path).status_code == 200
    assert few.n == many.n, (few.n, many.n)
