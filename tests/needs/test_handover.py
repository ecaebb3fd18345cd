"""首问负责: every need has its owner; a handover is recorded and the new owner told."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.errors import Forbidden
from coop.extensions import db
from coop.needs import service
from coop.needs.models import NeedHandover, NeedStatus
from coop.notices.models import Notice
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_need,
    make_resident,
    make_secretary,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community, display_name="王建华")


@pytest.fixture
def colleague(community):
    return make_secretary(community, display_name="张敏")


def _handovers() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(NeedHandover))


def _notices(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notice.title).where(Notice.user_id == user.id)))


def _recorded(secretary, community):
    return service.record_need(
        secretary,
        community.id,
        title="楼道灯不亮",
        category="便民服务",
        source="hall",
        beneficiary_group="residents",
    )


def test_whoever_records_a_need_owns_it(community, secretary):
    assert _recorded(secretary, community).owner_id == secretary.id


def test_a_residents_need_is_owned_by_whoever_answers_it_first(community, secretary, colleague):
    resident = make_resident(community)
    need = service.submit_need(resident, community.id, title="想学用智能手机", category="便民服务")
    assert need.owner_id is None
    service.list_need(colleague, need.id)
    assert need.owner_id == colleague.id


def test_a_handover_changes_the_owner_is_recorded_and_tells_the_new_owner(
    community, secretary, colleague
):
    need = _recorded(secretary, community)
    handover = service.hand_over_need(secretary, need.id, to_id=colleague.id, reason="我下周休假")
    assert need.owner_id == colleague.id
    assert (handover.from_id, handover.to_id, handover.reason) == (
        secretary.id,
        colleague.id,
        "我下周休假",
    )
    assert _notices(colleague) == ["您成为需求负责人：楼道灯不亮"]


@pytest.mark.parametrize("who", ["another_community", "resident"])
def test_a_handover_to_anyone_but_the_communitys_staff_is_refused_and_changes_nothing(
    client, community, secretary, who
):
    need = _recorded(secretary, community)
    to = (
        make_secretary(make_community()) if who == "another_community" else make_resident(community)
    )
    response = client.post(
        f"/api/v1/needs/{need.id}/handover",
        json={"to_id": to.id, "reason": "换人"},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"to_id": ["请选择本社区的工作人员。"]}
    db.session.refresh(need)
    assert need.owner_id == secretary.id and _handovers() == 0 and _notices(to) == []


def test_a_finished_need_is_not_handed_over(client, community, secretary, colleague):
    need = make_need(community, status=NeedStatus.RESOLVED, owner_id=secretary.id)
    response = client.post(
        f"/api/v1/needs/{need.id}/handover",
        json={"to_id": colleague.id, "reason": "换人"},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "need_finished"
    assert _handovers() == 0


def test_a_resident_may_not_hand_a_need_over(community, secretary, colleague):
    need = _recorded(secretary, community)
    with pytest.raises(Forbidden):
        service.hand_over_need(make_resident(community), need.id, to_id=colleague.id, reason="x1")


def test_api_hands_over_and_shows_the_owner_and_history(client, community, secretary, colleague):
    need = _recorded(secretary, community)
    response = client.post(
        f"/api/v1/needs/{need.id}/handover",
        json={"to_id": colleague.id, "reason": "熟悉这栋楼"},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["owner_id"] == colleague.id and response.json["owner_name"] == "张敏"
    history = client.get(f"/api/v1/needs/{need.id}/handovers", headers=bearer(secretary)).json
    assert [(h["from_name"], h["to_name"], h["reason"]) for h in history] == [
        ("王建华", "张敏", "熟悉这栋楼")
    ]


def test_a_blank_reason_is_422(client, community, secretary, colleague):
    need = _recorded(secretary, community)
    response = client.post(
        f"/api/v1/needs/{need.id}/handover",
        json={"to_id": colleague.id, "reason": " "},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "reason" in response.json["errors"]
    assert _handovers() == 0


def test_the_need_page_shows_owner_deadlines_and_hands_over(
    client, community, secretary, colleague
):
    need = _recorded(secretary, community)
    login(client, secretary)
    path = f"/needs/{need.id}"
    page = client.get(path).get_data(as_text=True)
    assert "负责人" in page and "王建华" in page and "办结时限" in page and "答复时限" in page
    response = client.post(
        f"/needs/{need.id}/handover",
        data={"to_id": str(colleague.id), "reason": "我下周休假", "csrf_token": csrf(client, path)},
    )
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "王建华 移交给 张敏" in page and "我下周休假" in page


def test_the_need_page_redraws_a_handover_to_a_stranger_with_its_message(
    client, community, secretary
):
    need = _recorded(secretary, community)
    stranger = make_secretary(make_community())
    login(client, secretary)
    path = f"/needs/{need.id}"
    response = client.post(
        f"/needs/{need.id}/handover",
        data={"to_id": str(stranger.id), "reason": "换人", "csrf_token": csrf(client, path)},
    )
    assert response.status_code == 422
    assert "请选择本社区的工作人员。" in response.get_data(as_text=True)
    assert _handovers() == 0


def test_the_list_shows_overdue_needs_first_with_a_red_label(client, community, secretary):
    now = utcnow()
    fresh = make_need(community, title="新登记的需求", created_at=now)
    late = make_need(
        community,
        title="已超时的需求",
        created_at=now - timedelta(days=40),
        owner_id=secretary.id,
    )
    login(client, secretary)
    page = client.get(f"/communities/{community.id}/needs").get_data(as_text=True)
    assert page.index(late.title) < page.index(fresh.title)
    assert page.count("已超时</span>") == 1
    assert "办结时限" in page and "负责人 王建华" in page


def test_the_api_flags_an_overdue_need(client, community, secretary):
    need = make_need(community, created_at=utcnow() - timedelta(days=40))
    body = client.get(f"/api/v1/needs/{need.id}", headers=bearer(secretary)).json
    assert body["overdue"] is True
    assert body["resolve_by"].endswith("+08:00") and body["respond_by"]
