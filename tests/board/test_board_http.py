"""The 公示栏 over HTTP: anyone reads it, it caches, it shows only what is public, and staff
keep a need off it with one switch."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import Beneficiary, NeedStatus
from coop.public import queries
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_need,
    make_project,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)


def board_json(client, community, **params):
    response = client.get(f"/api/v1/public/communities/{community.id}/board", query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def page_text(client, community, path="", **params):
    response = client.get(f"/board/{community.id}{path}", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def community():
    return make_community()


def test_anyone_reads_the_board_without_signing_in(client, community):
    make_need(community, title="阳光苑3号楼刘阿姨家灯坏了")
    html = page_text(client, community)
    assert community.name in html and "关心关爱" in html
    assert board_json(client, community)["needs"]["total"] == 1


def test_the_board_shows_no_title_requester_or_description(client, community):
    make_need(
        community,
        title="阳光苑3号楼刘阿姨家灯坏了",
        description="刘阿姨 13812341234",
        requester_name="刘桂兰",
        requester_phone="13812341234",
        requester_address="阳光苑3号楼2单元301",
    )
    for text in (
        page_text(client, community),
        page_text(client, community, "/print"),
        str(board_json(client, community)),
    ):
        for private in ("刘阿姨", "刘桂兰", "1381234", "3号楼2单元", "灯坏了"):
            assert private not in text


def test_the_board_is_public_for_a_minute_with_an_etag(client, community):
    make_need(community)
    for path in (
        f"/board/{community.id}",
        f"/board/{community.id}/print",
        f"/api/v1/public/communities/{community.id}/board",
    ):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "public, max-age=60"
        etag = response.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""


def test_the_board_sets_no_cookie_even_for_a_signed_in_reader(client, community):
    make_need(community)
    login(client, make_secretary(community))
    for path in (
        f"/board/{community.id}",
        f"/board/{community.id}/print",
        f"/api/v1/public/communities/{community.id}/board",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
        # The same page for everyone: no menu, no sign-out, no CSRF token.
        assert "csrf" not in response.get_data(as_text=True).lower()


def test_the_json_needs_no_token_and_is_documented_without_one(client, community):
    assert board_json(client, community)["community_name"] == community.name
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/public/communities/{community_id}/board"]["get"]
    assert operation["security"] == []
    assert "401" not in operation["responses"]
    assert {"200", "404", "422"} <= set(operation["responses"])


def test_an_unknown_community_is_404_everywhere(client):
    for path in ("/board/999999", "/board/999999/print", "/api/v1/public/communities/999999/board"):
        assert client.get(path).status_code == 404


def test_a_board_shows_only_its_own_communitys_needs(client, community):
    other = make_community(street=community.street)
    make_need(other, category="便民服务")
    assert board_json(client, community)["needs"]["total"] == 0
    assert board_json(client, other)["needs"]["total"] == 1


def test_a_community_just_created_in_the_street_has_an_empty_board(client, community):
    admin = make_street_admin(community.street)
    created = client.post("/api/v1/communities", json={"name": "新建社区"}, headers=bearer(admin))
    assert created.status_code == 201, created.json
    bare = SimpleNamespace(id=created.json["id"])
    html = page_text(client, bare)
    assert "新建社区公示栏" in html
    assert "没有符合条件的公开需求" in html and "还没有公开的服务项目" in html
    data = board_json(client, bare)
    assert data["needs"]["items"] == [] and data["projects"] == [] and data["honours"] == []
    assert data["month"]["activities"] == 0


def test_needs_waiting_or_turned_down_are_not_on_the_board(client, community):
    make_need(community, status=NeedStatus.SUBMITTED)
    make_need(community, status=NeedStatus.REJECTED, reject_reason="重复")
    make_need(community, status=NeedStatus.CLOSED, rejected_at=utcnow(), reject_reason="重复")
    shown = make_need(community, status=NeedStatus.RESOLVED)
    items = board_json(client, community)["needs"]["items"]
    assert [n["id"] for n in items] == [shown.id]


def test_needs_come_newest_first_in_pages(client, community):
    now = utcnow()
    made = [make_need(community, created_at=now - timedelta(days=d)) for d in range(5)]
    first = board_json(client, community, per_page=2)
    assert [n["id"] for n in first["needs"]["items"]] == [made[0].id, made[1].id]
    assert first["needs"]["total"] == 5
    last = board_json(client, community, per_page=2, page=3)
    assert [n["id"] for n in last["needs"]["items"]] == [made[4].id]
    beyond = board_json(client, community, per_page=2, page=9)
    assert beyond["needs"]["items"] == [] and beyond["needs"]["total"] == 5
    html = page_text(client, community)
    days = [(now - timedelta(days=d)).astimezone(COMMUNITY_TZ).date() for d in (0, 4)]
    newest, oldest = days
    assert html.index(f"{newest}") < html.index(f"{oldest}")  # the community's dates, not UTC's


def test_the_board_filters_by_status_and_category(client, community):
    resolved = make_need(community, status=NeedStatus.RESOLVED, category="便民服务")
    make_need(community, status=NeedStatus.LISTED, category="便民服务")
    make_need(community, status=NeedStatus.RESOLVED, category="关心关爱")
    items = board_json(client, community, status="resolved", category="便民服务")["needs"]["items"]
    assert [n["id"] for n in items] == [resolved.id]
    html = page_text(client, community, status="resolved", category="便民服务")
    assert html.count('class="card"') == 1


BAD_FILTERS = [{"status": "submitted"}, {"status": "nonsense"}, {"category": "x"}, {"page": "0"}]
IGNORED = "链接中有已不再提供的筛选条件，已忽略。"


@pytest.mark.parametrize("params", BAD_FILTERS)
def test_a_bad_filter_is_422_to_the_api(client, community, params):
    api = client.get(f"/api/v1/public/communities/{community.id}/board", query_string=params)
    assert api.status_code == 422 and set(api.json["errors"]) == set(params)


@pytest.mark.parametrize("params", BAD_FILTERS)
def test_the_page_ignores_a_filter_it_no_longer_offers(client, community, params):
    """A QR code or a shared link from before (?status=submitted) still opens the board."""
    make_need(community, status=NeedStatus.RESOLVED, category="便民服务")
    make_need(community, status=NeedStatus.LISTED, category="关心关爱")
    html = page_text(client, community, **params)
    assert IGNORED in html
    assert html.count('class="card"') == 2
    assert "selected" not in html  # the filters show 全部


def test_the_page_keeps_the_filters_it_still_offers(client, community):
    make_need(community, status=NeedStatus.RESOLVED, category="便民服务")
    make_need(community, status=NeedStatus.LISTED, category="关心关爱")
    html = page_text(client, community, status="submitted", category="便民服务")
    assert IGNORED in html and html.count('class="card"') == 1
    assert 'value="便民服务" selected' in html
    assert IGNORED not in page_text(client, community, category="便民服务")


def test_a_needs_timeline_follows_its_stamps_the_claim_and_the_sessions(client, community):
    now = utcnow()
    need = make_need(community, created_at=now - timedelta(days=20))
    need.listed_at = now - timedelta(days=19)
    project = make_project(community, needs=[need])
    unit = make_unit(community, name="康达物业公司")
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=ClaimantType.UNIT,
            unit_id=unit.id,
            claimant_key=f"unit:{unit.id}",
            status=ClaimStatus.APPROVED,
            decided_at=now - timedelta(days=10),
        )
    )
    make_activity(
        community, project_id=project.id, title="上门修灯", starts_at=now - timedelta(days=5)
    )
    make_activity(community, project_id=project.id, starts_at=now + timedelta(days=5))
    need.status = NeedStatus.RESOLVED
    db.session.flush()
    data = board_json(client, community)
    steps = {s["code"]: s for s in data["needs"]["items"][0]["timeline"]}
    day = lambda delta: str((now - timedelta(days=delta)).astimezone(queries.COMMUNITY_TZ).date())  # noqa: E731
    assert steps["received"]["on"] == day(20) and steps["listed"]["on"] == day(19)
    assert steps["in_project"]["on"] is not None
    assert steps["claimed"]["on"] == day(10)
    assert steps["activities"]["on"] == day(5) and steps["activities"]["detail"] == "1 场"
    assert steps["resolved"]["on"] == day(0)
    assert "rated" not in steps  # nobody has rated it yet
    (shown,) = [p for p in data["projects"] if p["id"] == project.id]
    assert shown["units"] == ["康达物业公司"]
    assert [a["title"] for a in shown["activities"]] == ["上门修灯"]


def test_a_rating_shows_its_stars_and_day_never_its_comment(client, community):
    from coop.needs.models import NeedRating

    need = make_need(community, status=NeedStatus.RESOLVED)
    rater = make_secretary(community)
    db.session.add(
        NeedRating(
            need_id=need.id, round=1, stars=4, comment="王阿姨说修得好", rated_by_id=rater.id
        )
    )
    db.session.flush()
    response = client.get(f"/api/v1/public/communities/{community.id}/board")
    [item] = [n for n in response.json["needs"]["items"] if n["id"] == need.id]
    rated = {s["code"]: s for s in item["timeline"]}["rated"]
    assert rated["detail"] == "4 星" and rated["on"] is not None
    assert "王阿姨" not in response.get_data(as_text=True)


def test_volunteers_who_claimed_are_not_named(client, community):
    project = make_project(community)
    volunteer = make_volunteer(community, display_name="赵志愿")
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=ClaimantType.VOLUNTEER,
            volunteer_id=volunteer.id,
            claimant_key=f"volunteer:{volunteer.id}",
            status=ClaimStatus.APPROVED,
            decided_at=utcnow(),
        )
    )
    db.session.flush()
    assert board_json(client, community)["projects"][0]["units"] == []
    assert "赵志愿" not in page_text(client, community)


def test_the_print_page_has_a_qr_code_to_the_live_board(client, community):
    html = page_text(client, community, "/print")
    assert "<svg" in html and "公示栏二维码" in html
    assert f"http://localhost/board/{community.id}" in html


def test_the_board_costs_the_same_statements_for_3_or_15_rows(client, community, count_queries):
    def grow(n):
        for _ in range(n):
            project = make_project(community, needs=[make_need(community)])
            unit = make_unit(community)
            db.session.add(
                Claim(
                    project_id=project.id,
                    claimant_type=ClaimantType.UNIT,
                    unit_id=unit.id,
                    claimant_key=f"unit:{unit.id}",
                    status=ClaimStatus.APPROVED,
                    decided_at=utcnow(),
                )
            )
            make_activity(community, project_id=project.id, starts_at=utcnow() - timedelta(days=1))
        db.session.flush()

    paths = (
        f"/board/{community.id}",
        f"/board/{community.id}/print",
        f"/api/v1/public/communities/{community.id}/board",
    )
    grow(3)
    few = {}
    for path in paths:
        with count_queries() as counted:
            client.get(path)
        few[path] = counted.n
    grow(12)
    for path in paths:
        with count_queries() as counted:
            client.get(path)
        assert counted.n == few[path], path
    assert len(board_json(client, community)["projects"]) == 12


# --- keeping a need off the board -----------------------------------------------------------


def test_a_need_for_people_in_hardship_starts_off_the_board(client, community):
    hidden = make_need(community, beneficiary_group=Beneficiary.NEEDY)
    shown = make_need(community)
    assert hidden.public is False and shown.public is True
    assert [n["id"] for n in board_json(client, community)["needs"]["items"]] == [shown.id]


def test_reclassifying_a_need_as_hardship_takes_it_off_the_board(client, community):
    secretary = make_secretary(community)
    need = make_need(community)
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"beneficiary_group": "needy", "version": need.version},
        headers=bearer(secretary),
    )
    assert response.status_code == 200 and response.json["public"] is False
    assert board_json(client, community)["needs"]["total"] == 0


def test_staff_take_a_need_off_the_board_from_its_page(client, community):
    secretary = make_secretary(community)
    need = make_need(community)
    login(client, secretary)
    detail = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "从公示栏撤下" in detail
    token = re.search(r'name="csrf_token" value="([^"]+)"', detail)[1]
    response = client.post(
        f"/needs/{need.id}/public",
        data={"public": "false", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="need-public"' in fragment and "在公示栏展示" in fragment
    assert "<html" not in fragment
    client.delete_cookie("session")
    assert board_json(client, community)["needs"]["total"] == 0
    assert "没有符合条件的公开需求" in page_text(client, community)


def test_staff_show_a_hidden_need_again_without_javascript(client, community):
    secretary = make_secretary(community)
    need = make_need(community, public=False)
    login(client, secretary)
    response = client.post(
        f"/needs/{need.id}/public", data={"public": "true", "csrf_token": csrf(client, "/")}
    )
    assert response.status_code == 302 and response.location.endswith(f"/needs/{need.id}")
    assert board_json(client, community)["needs"]["total"] == 1


def test_a_volunteer_may_not_touch_the_switch(client, community):
    need = make_need(community)
    volunteer = make_volunteer(community)
    login(client, volunteer)
    assert "从公示栏撤下" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    response = client.post(
        f"/needs/{need.id}/public", data={"public": "false", "csrf_token": csrf(client, "/")}
    )
    assert response.status_code == 403
    api = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"public": False, "version": need.version},
        headers=bearer(volunteer),
    )
    assert api.status_code == 403
    db.session.refresh(need)
    assert need.public is True


@pytest.mark.parametrize("value", ["maybe", ""])
def test_a_bad_switch_value_is_422_and_changes_nothing(client, community, value):
    secretary = make_secretary(community)
    need = make_need(community)
    login(client, secretary)
    response = client.post(
        f"/needs/{need.id}/public",
        data={"public": value, "csrf_token": csrf(client, "/")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    api = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"public": value, "version": need.version},
        headers=bearer(secretary),
    )
    assert api.status_code == 422 and "public" in api.json["errors"]
    db.session.refresh(need)
    assert need.public is True and need.version == 1


def test_the_api_switch_works_in_any_state_and_checks_the_version(client, community):
    secretary = make_secretary(community)
    need = make_need(community, status=NeedStatus.CLOSED, resolved_at=utcnow())
    stale = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"public": False, "version": need.version + 5},
        headers=bearer(secretary),
    )
    assert stale.status_code == 409
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"public": False, "version": need.version},
        headers=bearer(secretary),
    )
    assert response.status_code == 200 and response.json["public"] is False
    assert board_json(client, community)["needs"]["total"] == 0


def test_another_communitys_need_is_404_to_the_switch(client, community):
    other_need = make_need(make_community(street=community.street))
    login(client, make_secretary(community))
    response = client.post(
        f"/needs/{other_need.id}/public", data={"public": "false", "csrf_token": csrf(client, "/")}
    )
    assert response.status_code == 404


def test_a_step_passed_before_its_day_was_kept_is_reached_without_a_day(client, community):
    need = make_need(community, status=NeedStatus.IN_PROJECT, listed_at=None)
    need.listed_at = None
    db.session.flush()
    (item,) = board_json(client, community)["needs"]["items"]
    steps = {s["code"]: s for s in item["timeline"]}
    assert steps["listed"] == {**steps["listed"], "on": None, "reached": True}
    assert steps["in_project"]["reached"] and not steps["resolved"]["reached"]
    html = page_text(client, community)
    assert "日期不详" in html and "未到" in html
