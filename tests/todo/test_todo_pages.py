"""The home page's 待办, the menu's counts and links, and GET /api/v1/todo."""

import re

import pytest

from coop.auth.models import Role, RoleGrant
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.notices.service import notify
from coop.terms import queries as term_queries
from coop.terms import service as terms
from coop.todo import service as todo_service
from tests.factories import (
    bearer,
    login,
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_street_admin,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


def _nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="主导航">(.*?)</nav>', html, re.S)[1]
    return re.findall(r'<a href="([^"]+)"', nav)


# --- The home page ---------------------------------------------------------------------------


def test_the_home_page_shows_her_todo_first(client, community):
    secretary = make_secretary(community)
    for _ in range(3):
        make_need(community, status=NeedStatus.SUBMITTED, title="楼道灯不亮")
    login(client, secretary)
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    main = html[html.index("<main") :]
    assert main.index("<h1>待办") < main.index("3 条需求待审核")
    assert f'href="/communities/{community.id}/needs?status=submitted"' in html
    assert html.count(">楼道灯不亮</a>") == 3


def test_more_than_five_things_link_to_all_of_them(client, community):
    secretary = make_secretary(community)
    for _ in range(7):
        make_need(community, status=NeedStatus.SUBMITTED, title="需要助餐")
    login(client, secretary)
    html = client.get("/").get_data(as_text=True)
    assert html.count(">需要助餐</a>") == 5
    assert "全部 7 条" in html


def test_nothing_to_do_says_so_reassuringly(client, community):
    login(client, make_resident(community))
    html = client.get("/").get_data(as_text=True)
    assert "暂无待办" in html and "手头的事都办完了" in html


def test_another_communitys_things_never_reach_her_home_page(client, community):
    make_need(make_community(community.street), status=NeedStatus.SUBMITTED, title="别处的需求")
    login(client, make_secretary(community))
    assert "别处的需求" not in client.get("/").get_data(as_text=True)


def test_supermarket_staff_still_land_at_the_counter(client, community):
    login(client, make_supermarket_staff(community))
    assert client.get("/").location == "/supermarket/counter"


def test_the_home_page_costs_the_same_however_much_waits(client, community, count_queries):
    secretary = make_secretary(community)
    login(client, secretary)
    make_need(community, status=NeedStatus.SUBMITTED)
    client.get("/")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    for _ in range(12):
        make_need(community, status=NeedStatus.SUBMITTED)
    with count_queries() as many:
        client.get("/")
    # her session with her grants, her community's name, one per kind, her newest notices;
    # the test client's savepoint (2)
    assert few.n == many.n == 1 + 1 + len(todo_service.SECRETARY_KINDS) + 1 + 2


# --- The menu's counts --------------------------------------------------------------------


def test_the_menu_loads_both_counts_in_one_request(client, community):
    secretary = make_secretary(community)
    login(client, secretary)
    html = client.get("/me").get_data(as_text=True)
    assert html.count('hx-get="/todo/badge"') == 1
    assert 'id="nav-count-notices"' in html


def test_the_counts_are_what_waits_and_what_is_unread(client, community):
    secretary = make_secretary(community)
    make_need(community, status=NeedStatus.SUBMITTED)
    make_need(community, status=NeedStatus.SUBMITTED)
    notify(secretary.id, "新消息")
    login(client, secretary)
    html = client.get("/todo/badge", headers=HTMX).get_data(as_text=True)
    todo = re.search(r'<span id="nav-count-todo"[^>]*>([^<]*)</span>', html)[1]
    notices = re.search(r'<span id="nav-count-notices"[^>]*hx-swap-oob="true"[^>]*>([^<]*)<', html)
    assert todo == "2" and notices[1] == "1"
    assert 'hx-trigger="load' not in html  # the answer must not ask again by itself


def test_no_counts_show_nothing(client, community):
    login(client, make_resident(community))
    html = client.get("/todo/badge", headers=HTMX).get_data(as_text=True)
    assert len(re.findall(r"\shidden[\s>]", html)) == 2


def test_the_counts_cost_one_statement_per_kind(client, community, count_queries):
    login(client, make_secretary(community))
    client.get("/todo/badge", headers=HTMX)
    with count_queries() as counted:
        client.get("/todo/badge", headers=HTMX)
    # her session with her grants, her community's name, one per kind, the unread notices; and the
    # test client's savepoint (2)
    assert counted.n == 1 + 1 + len(todo_service.SECRETARY_KINDS) + 1 + 2


def test_the_counts_visited_directly_are_the_todo_page(client, community):
    login(client, make_resident(community))
    assert client.get("/todo/badge").location == "/"


def test_pages_pay_nothing_for_the_counts(client, community, count_queries):
    login(client, make_secretary(community))
    client.get("/my/notices")
    with count_queries() as counted:
        client.get("/my/notices")
    for _ in range(5):
        make_need(community, status=NeedStatus.SUBMITTED)
    with count_queries() as again:
        client.get("/my/notices")
    assert counted.n == again.n


# --- Every page a role works in is in her menu ----------------------------------------------


def _working_pages(role: str, c: int, unit_id: int | None) -> list[str]:
    return {
        "secretary": [
            "/",
            f"/communities/{c}",
            f"/communities/{c}/needs",
            f"/communities/{c}/projects",
            f"/communities/{c}/claims",
            f"/communities/{c}/matching",
            f"/communities/{c}/activities",
            f"/communities/{c}/hours",
            f"/communities/{c}/resources",
            f"/communities/{c}/units",
            f"/communities/{c}/term",
            f"/communities/{c}/themes",
            f"/communities/{c}/people",
            f"/communities/{c}/people/import",
            f"/communities/{c}/needs/import",
            f"/communities/{c}/supermarket/items",
            f"/communities/{c}/audit",
            "/supermarket/counter",
            "/my/notices",
            "/me",
        ],
        "liaison": [
            "/",
            f"/communities/{c}",
            f"/units/{unit_id}",
            f"/communities/{c}/menu",
            "/orders",
            "/my/claims",
            f"/communities/{c}/resources",
            f"/units/{unit_id}/fitting-projects",
            "/my/notices",
            "/me",
        ],
        "volunteer": [
            "/",
            f"/communities/{c}",
            f"/communities/{c}/menu",
            f"/communities/{c}/activities",
            "/my/activities",
            "/my/points",
            "/supermarket",
            "/supermarket/redemptions",
            "/my/badges",
            "/my/notices",
            "/me",
        ],
        "resident": [
            "/",
            f"/communities/{c}",
            "/my/needs",
            f"/communities/{c}/needs/submit",
            "/my/notices",
            "/me",
        ],
        "street_admin": [
            "/",
            "/communities",
            "/settings/communities",
            "/settings/people",
            "/my/notices",
            "/me",
        ],
        "supermarket_staff": [
            "/supermarket/counter",
            f"/communities/{c}/supermarket/items",
            "/my/notices",
            "/me",
        ],
    }[role]


@pytest.mark.parametrize(
    "role", ["secretary", "liaison", "volunteer", "resident", "street_admin", "supermarket_staff"]
)
def test_every_working_page_of_a_role_is_in_her_menu_and_opens(client, community, role):
    unit = make_unit(community)
    period = term_queries.half_year_of(term_queries.local_day(utcnow()))
    terms.open_term_for(community.alliance.id, period, now=utcnow())
    person = {
        "secretary": lambda: make_secretary(community),
        "liaison": lambda: make_liaison(unit),
        "volunteer": lambda: make_volunteer(community),
        "resident": lambda: make_resident(community),
        "street_admin": lambda: make_street_admin(community.street),
        "supermarket_staff": lambda: make_supermarket_staff(community),
    }[role]()
    login(client, person)
    menu = _nav_links(client.get("/me").get_data(as_text=True))
    pages = _working_pages(role, community.id, unit.id)
    assert [p for p in pages if p not in menu] == []
    for page in menu:
        response = client.get(page)
        assert response.status_code in (200, 302), page
        if response.status_code == 302:  # 六个一 goes on to the current term's page
            assert client.get(response.location).status_code == 200, page


def test_someone_with_two_roles_gets_both_menus(client, community):
    unit = make_unit(community)
    person = make_liaison(unit)
    person.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=community.id))
    db.session.flush()
    login(client, person)
    menu = _nav_links(client.get("/me").get_data(as_text=True))
    assert "/orders" in menu and "/my/activities" in menu


# --- GET /api/v1/todo -----------------------------------------------------------------------


def test_the_api_lists_her_items_paged(client, community):
    secretary = make_secretary(community)
    make_need(community, status=NeedStatus.SUBMITTED, title="修车棚")
    make_need(
        community,
        status=NeedStatus.SUBMITTED,
        created_at=utcnow().replace(year=2020),
        title="早就该办",
    )
    body = client.get("/api/v1/todo", headers=bearer(secretary)).get_json()
    assert body["total"] == 2 and body["page"] == 1
    first = body["items"][0]
    assert first["kind"] == "needs_to_review" and first["role"] == "secretary"
    assert first["count"] == 2 and first["title"] == "2 条需求待审核"
    assert first["link"] == f"/communities/{community.id}/needs?status=submitted"
    assert {e["text"] for e in first["entries"]} == {"修车棚", "早就该办"}
    second = client.get("/api/v1/todo?per_page=1&page=2", headers=bearer(secretary)).get_json()
    assert [i["kind"] for i in second["items"]] == ["needs_overdue"] and second["total"] == 2


def test_the_api_needs_a_token(client):
    assert client.get("/api/v1/todo").status_code == 401


def test_the_api_refuses_a_bad_page(client, community):
    response = client.get("/api/v1/todo?per_page=500", headers=bearer(make_resident(community)))
    assert response.status_code == 422 and "per_page" in response.get_json()["errors"]


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/todo"]["get"]
    assert {"200", "401", "422"} <= set(operation["responses"])
