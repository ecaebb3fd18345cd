"""A need her low rating reopened reads as open again on every page: her need's page, 我的需求,
the 公示栏 and its JSON, and the board's figure of needs solved this month."""

import re
from datetime import timedelta

import pytest

from coop.dbtypes import utcnow
from coop.needs.models import NeedStatus
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_need,
    make_project,
    make_resident,
    make_secretary,
)

SOLVED_ON = re.compile(r"已于 <time[^>]*>[^<]*</time> 解决")


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def resident(community):
    return make_resident(community)


def _solved_through_a_project(community, resident):
    """Listed, put into a project, solved when the project was completed."""
    from coop.needs import service

    need = make_need(community, requester_id=resident.id)
    project = make_project(community, title="楼道灯更换", needs=[need])
    service.resolve_with(project)
    return need


def _rate(client, need, resident, stars=1):
    response = client.post(
        f"/api/v1/needs/{need.id}/rating",
        json={"stars": stars, "comment": "灯还是不亮"},
        headers=bearer(resident),
    )
    assert response.status_code == 201, response.json


def test_her_reopened_needs_page_reads_open_with_a_fresh_time_limit(client, community, resident):
    need = make_need(
        community,
        requester_id=resident.id,
        status=NeedStatus.RESOLVED,
        created_at=utcnow() - timedelta(days=60),  # its first time limit long gone
        resolved_at=utcnow() - timedelta(days=3),
        resolution="换了新灯泡",
    )
    login(client, resident)
    path = f"/needs/{need.id}"
    response = client.post(
        f"{path}/rating",
        data={"csrf_token": csrf(client, path), "stars": "1", "comment": "灯还是不亮"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "社区会重新处理并回访您" in html and "已列入清单" in html
    assert not SOLVED_ON.search(html)
    assert "换了新灯泡" not in html and "解决情况" not in html
    assert "已超时" not in html
    # the history: her rating of the first solution, marked as the one that reopened it
    assert "灯还是不亮" in html and "已重新打开" in html and "第 1 次解决" in html


def test_my_needs_no_longer_says_how_a_reopened_need_was_solved(client, community, resident):
    need = _solved_through_a_project(community, resident)
    _rate(client, need, resident)
    login(client, resident)
    html = client.get("/my/needs").get_data(as_text=True)
    assert need.title in html and 'aria-current="step">已列入清单' in html
    assert "已通过项目" not in html and "评价这次服务" not in html


def test_the_public_board_shows_a_reopened_need_not_yet_solved(client, community, resident):
    need = _solved_through_a_project(community, resident)
    _rate(client, need, resident)
    body = client.get(f"/api/v1/public/communities/{community.id}/board").json
    (shown,) = body["needs"]["items"]
    assert shown["id"] == need.id and shown["status"] == "listed"
    steps = {step["code"]: step for step in shown["timeline"]}
    assert steps["resolved"]["reached"] is False and steps["resolved"]["on"] is None
    assert "rated" not in steps and "in_project" not in steps


def test_the_boards_month_figure_no_longer_counts_a_reopened_need(client, community, resident):
    kept = make_need(community, status=NeedStatus.RESOLVED, resolved_at=utcnow())
    reopened = make_need(
        community, requester_id=resident.id, status=NeedStatus.RESOLVED, resolved_at=utcnow()
    )
    _rate(client, reopened, resident)
    html = client.get(f"/board/{community.id}").get_data(as_text=True)
    assert re.search(r"解决群众需求</dt><dd>(\d+)</dd>", html)[1] == "1"
    month = client.get(f"/api/v1/public/communities/{community.id}/board").json["month"]
    assert month["people_served"] == 1
    assert kept.status is NeedStatus.RESOLVED


def test_the_secretary_sees_the_reopened_need_open_with_its_callback(client, community, resident):
    need = _solved_through_a_project(community, resident)
    _rate(client, need, resident)
    secretary = make_secretary(community)
    login(client, secretary)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "回访：居民评价 1 星，需求已重新打开" in html
    assert not SOLVED_ON.search(html) and "已通过项目" not in html
    assert f'action="/needs/{need.id}/resolve"' in html  # she can solve it again from here
