"""Rating a need over HTTP: POST /api/v1/needs/{id}/rating, the rating in the need's JSON, the
star form on the resident's need page and 代评 / 回访 on the secretary's; bad input changes
nothing."""

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.needs.models import NeedRating, NeedStatus
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
def resident(community):
    return make_resident(community)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _solved(community, requester=None, **overrides):
    fields = {"requester_id": requester.id} if requester is not None else {}
    return make_need(community, status=NeedStatus.RESOLVED, **fields, **overrides)


def _ratings() -> list[NeedRating]:
    return list(db.session.scalars(sa.select(NeedRating)))


def _status(need) -> NeedStatus:
    db.session.expire(need)
    return need.status


# --- API ------------------------------------------------------------------------------------


def test_the_requester_rates_through_the_api(client, community, resident):
    need = _solved(community, resident)
    response = client.post(
        f"/api/v1/needs/{need.id}/rating",
        json={"stars": 2, "comment": "灯还是不亮"},
        headers=bearer(resident),
    )
    assert response.status_code == 201
    body = response.json
    assert (body["stars"], body["round"], body["on_behalf"], body["reopened"]) == (
        2,
        1,
        False,
        True,
    )
    assert body["stars_label"] == "2 星 不满意"
    assert _status(need) is NeedStatus.LISTED


def test_the_rating_is_in_the_needs_json_for_her_and_the_staff(
    client, community, resident, secretary
):
    need = _solved(community, resident)
    client.post(f"/api/v1/needs/{need.id}/rating", json={"stars": 5}, headers=bearer(resident))
    for who in (resident, secretary):
        body = client.get(f"/api/v1/needs/{need.id}", headers=bearer(who)).json
        assert [r["stars"] for r in body["ratings"]] == [5] and body["resolution_round"] == 1


def test_other_residents_do_not_read_the_ratings(client, community, resident):
    need = _solved(community, make_resident(community))
    body = client.get(f"/api/v1/needs/{need.id}", headers=bearer(resident)).json
    assert "ratings" not in body


def test_staff_rate_on_behalf_through_the_api(client, community, secretary):
    need = _solved(community)
    response = client.post(
        f"/api/v1/needs/{need.id}/rating",
        json={"stars": 4, "on_behalf": True},
        headers=bearer(secretary),
    )
    assert response.status_code == 201 and response.json["on_behalf"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [({"stars": 0}, "stars"), ({"stars": 6}, "stars"), ({}, "stars"), ({"stars": "五"}, "stars")],
)
def test_stars_outside_one_to_five_are_a_422_that_changes_nothing(
    client, community, resident, body, field
):
    need = _solved(community, resident)
    response = client.post(f"/api/v1/needs/{need.id}/rating", json=body, headers=bearer(resident))
    assert response.status_code == 422 and field in response.json["errors"]
    assert _ratings() == [] and _status(need) is NeedStatus.RESOLVED


def test_a_second_rating_is_a_409_that_changes_nothing(client, community, resident):
    need = _solved(community, resident)
    url = f"/api/v1/needs/{need.id}/rating"
    client.post(url, json={"stars": 4}, headers=bearer(resident))
    response = client.post(url, json={"stars": 1, "comment": "再评一次"}, headers=bearer(resident))
    assert response.status_code == 409 and response.json["code"] == "already_rated"
    assert "每次解决只能评价一次" in response.json["message"]
    assert [r.stars for r in _ratings()] == [4] and _status(need) is NeedStatus.RESOLVED


def test_rating_a_need_not_solved_is_a_409(client, community, resident):
    need = make_need(community, requester_id=resident.id)
    response = client.post(
        f"/api/v1/needs/{need.id}/rating", json={"stars": 5}, headers=bearer(resident)
    )
    assert response.status_code == 409 and response.json["code"] == "need_not_resolved"
    assert _ratings() == [] and _status(need) is NeedStatus.LISTED


def test_rating_someone_elses_need_is_a_403(client, community, resident):
    need = _solved(community, make_resident(community))
    response = client.post(
        f"/api/v1/needs/{need.id}/rating", json={"stars": 1}, headers=bearer(resident)
    )
    assert response.status_code == 403 and "本人" in response.json["message"]
    assert _ratings() == [] and _status(need) is NeedStatus.RESOLVED


def test_rating_another_communitys_need_is_a_404(client, community):
    need = _solved(community)
    other = make_secretary(make_community())
    response = client.post(
        f"/api/v1/needs/{need.id}/rating",
        json={"stars": 1, "on_behalf": True},
        headers=bearer(other),
    )
    assert response.status_code == 404 and _ratings() == []


def test_the_rating_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/needs/{need_id}/rating"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(operation["responses"])
    assert "requestBody" in operation


# --- pages ----------------------------------------------------------------------------------


def test_her_solved_need_offers_five_star_buttons(client, community, resident):
    need = _solved(community, resident)
    login(client, resident)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert html.count('name="stars" type="radio"') == 5
    assert "1 星 很不满意" in html and "5 星 非常满意" in html
    assert "还没有评价" not in html


def test_she_rates_from_her_phone_and_is_thanked(client, community, resident):
    need = _solved(community, resident)
    login(client, resident)
    path = f"/needs/{need.id}"
    response = client.post(
        f"{path}/rating",
        data={"csrf_token": csrf(client, path), "stars": "5", "comment": "很及时"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "感谢您的评价" in html
    assert 'name="stars"' not in html and "很及时" in html
    assert [r.stars for r in _ratings()] == [5]


def test_a_page_rating_without_stars_is_refused_beside_the_stars(client, community, resident):
    need = _solved(community, resident)
    login(client, resident)
    path = f"/needs/{need.id}"
    response = client.post(
        f"{path}/rating", data={"csrf_token": csrf(client, path), "comment": "忘了选星"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="e-stars"' in html
    assert "忘了选星" in html  # what she wrote stays
    assert _ratings() == [] and _status(need) is NeedStatus.RESOLVED


def test_a_second_rating_from_the_page_is_refused(client, community, resident):
    need = _solved(community, resident)
    login(client, resident)
    path = f"/needs/{need.id}"
    token = csrf(client, path)
    client.post(f"{path}/rating", data={"csrf_token": token, "stars": "4"})
    response = client.post(f"{path}/rating", data={"csrf_token": token, "stars": "1"})
    assert response.status_code == 409 and "每次解决只能评价一次" in response.get_data(as_text=True)
    assert [r.stars for r in _ratings()] == [4] and _status(need) is NeedStatus.RESOLVED


def test_the_secretary_sees_the_callback_of_a_reopened_need(client, community, resident, secretary):
    need = _solved(community, resident)
    client.post(
        f"/api/v1/needs/{need.id}/rating",
        json={"stars": 1, "comment": "说好每周来，后来没人来了"},
        headers=bearer(resident),
    )
    login(client, secretary)
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "回访：居民评价 1 星，需求已重新打开" in html
    assert "说好每周来，后来没人来了" in html and "已重新打开" in html
    assert 'name="stars"' not in html  # her resident rates herself; no 代评 form


def test_the_secretary_records_a_rating_on_behalf_marked_as_such(client, community, secretary):
    need = _solved(community)
    login(client, secretary)
    path = f"/needs/{need.id}"
    html = client.get(path).get_data(as_text=True)
    assert 'name="on_behalf" value="true"' in html
    response = client.post(
        f"{path}/rating",
        data={"csrf_token": csrf(client, path), "stars": "4", "on_behalf": "true"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "已代居民评价" in html and "代评" in html
    assert [(r.stars, r.on_behalf) for r in _ratings()] == [(4, True)]


def test_the_need_list_reads_the_ratings_in_one_query_whatever_the_page(
    client, community, secretary, count_queries
):
    def statements() -> int:
        with count_queries() as counted:
            response = client.get(
                f"/api/v1/needs?community_id={community.id}", headers=bearer(secretary)
            )
        assert all("ratings" in need for need in response.json["items"])
        return counted.n

    _solved(community)
    statements()  # the first request of a token does its one-off work
    few = statements()
    for _ in range(6):
        _solved(community)
    assert statements() == few
