"""The honours pages: the nomination form with the computed records, the street's decision, the
unit's and team's pages, the 先锋指数 and its weights; 403/404 and bad input."""

import sqlalchemy as sa

from coop.alliance.models import Honour, HonourKind, HonourStatus
from coop.extensions import db
from coop.honours import service
from tests.factories import csrf, login, make_community, make_secretary, make_unit, make_volunteer
from tests.honours.conftest import NOW, YEAR, fulfilled_claim, make_team


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Honour))


def test_the_form_shows_each_units_computed_record(client, secretary, community, unit):
    fulfilled_claim(unit, community)
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/nominations/new").get_data(as_text=True)
    assert "康达物业测试" in html and "先锋指数" in html and "权重 30" in html
    assert 'name="unit_id"' in html and 'name="team_id"' in html


def test_nominating_from_the_page(client, secretary, community, unit):
    login(client, secretary)
    path = f"/communities/{community.id}/nominations/new"
    response = client.post(
        f"/communities/{community.id}/nominations?year={YEAR}",
        data={
            "kind": "pioneer",
            "unit_id": unit.id,
            "year": YEAR,
            "citation": "",
            "csrf_token": csrf(client, path),
        },
    )
    honour = db.session.scalars(sa.select(Honour)).one()
    assert response.status_code == 302 and response.location.endswith(f"/honours/{honour.id}")


def test_nominating_without_a_unit_shows_the_form_again(client, secretary, community):
    login(client, secretary)
    path = f"/communities/{community.id}/nominations/new"
    response = client.post(
        f"/communities/{community.id}/nominations?year={YEAR}",
        data={"kind": "pioneer", "unit_id": "", "year": YEAR, "csrf_token": csrf(client, path)},
    )
    assert response.status_code == 422 and _count() == 0


def test_a_stranger_unit_from_the_page_is_refused(client, secretary, community):
    stranger = make_unit(make_community())
    login(client, secretary)
    path = f"/communities/{community.id}/nominations/new"
    response = client.post(
        f"/communities/{community.id}/nominations?year={YEAR}",
        data={
            "kind": "pioneer",
            "unit_id": stranger.id,
            "year": YEAR,
            "csrf_token": csrf(client, path),
        },
    )
    assert (
        response.status_code == 422
        and "不是本社区联盟的成员单位" in response.get_data(as_text=True)
        and _count() == 0
    )


def test_a_volunteer_cannot_open_the_form(client, community):
    login(client, make_volunteer(community))
    assert client.get(f"/communities/{community.id}/nominations/new").status_code == 403


def test_another_community_gets_404(client, secretary, community, unit):
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR, now=NOW
    )
    login(client, make_secretary(make_community()))
    assert client.get(f"/honours/{honour.id}").status_code == 404
    assert client.get(f"/communities/{community.id}/nominations").status_code == 404


def test_the_street_approves_from_the_page_and_it_shows_on_the_unit(
    client, secretary, admin, community, unit
):
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR, now=NOW
    )
    login(client, admin)
    html = client.get(f"/honours/{honour.id}").get_data(as_text=True)
    assert "批准授予" in html and "退回社区" in html
    response = client.post(
        f"/honours/{honour.id}/approve", data={"csrf_token": csrf(client, f"/honours/{honour.id}")}
    )
    assert response.status_code == 302 and honour.status is HonourStatus.APPROVED
    assert f"{YEAR} 年度同心共建先锋" in client.get(f"/units/{unit.id}").get_data(as_text=True)


def test_the_nominator_sees_no_approval_buttons(client, secretary, community, unit):
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR, now=NOW
    )
    login(client, secretary)
    html = client.get(f"/honours/{honour.id}").get_data(as_text=True)
    assert "批准授予" not in html and "由街道审批" in html


def test_sending_back_without_a_reason_shows_the_form_again(
    client, secretary, admin, community, unit
):
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR, now=NOW
    )
    login(client, admin)
    response = client.post(
        f"/honours/{honour.id}/return",
        data={"reason": "", "csrf_token": csrf(client, f"/honours/{honour.id}")},
    )
    assert response.status_code == 422 and honour.status is HonourStatus.NOMINATED


def test_the_street_queue_and_the_todo(client, secretary, admin, community, unit):
    service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR, now=NOW
    )
    login(client, admin)
    html = client.get(f"/streets/{community.street_id}/nominations").get_data(as_text=True)
    assert "康达物业测试" in html
    assert "项评选提名待审批" in client.get("/").get_data(as_text=True)


def test_the_team_page_shows_members_hours_and_honours(client, secretary, admin, community):
    leader = make_volunteer(community, display_name="陈队长")
    team = make_team(community, [leader, make_volunteer(community)])
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.TEAM, holder_id=team.id, year=YEAR, now=NOW
    )
    service.approve(admin, honour.id, now=NOW)
    login(client, secretary)
    html = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "陈队长" in html and "在队队员（2 人）" in html and "最美志愿服务队" in html
    assert team.name in client.get(f"/communities/{community.id}/teams").get_data(as_text=True)


def test_the_weights_form_refuses_a_bad_sum(client, secretary, community):
    login(client, secretary)
    path = f"/communities/{community.id}/pioneer-index"
    assert "权重设置" in client.get(path).get_data(as_text=True)
    response = client.post(
        f"/communities/{community.id}/pioneer-weights",
        data={
            "claims": 90,
            "hours": 20,
            "activities": 20,
            "ratings": 10,
            "resources": 10,
            "csrf_token": csrf(client, path),
        },
    )
    assert response.status_code == 422 and "合计须为 100" in response.get_data(as_text=True)


def test_the_board_shows_the_approved_honour(client, secretary, admin, community, unit):
    honour = service.nominate(
        secretary, community.id, kind=HonourKind.PIONEER, holder_id=unit.id, year=YEAR - 1, now=NOW
    )
    service.approve(admin, honour.id, now=NOW)
    response = client.get(f"/api/v1/public/communities/{community.id}/board")
    names = [(h["unit"] if "unit" in h else h.get("name")) for h in response.json["honours"]]
    assert "康达物业测试" in str(response.json["honours"]), names
