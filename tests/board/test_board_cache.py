"""The rendered 公示栏 is kept a minute (in Redis, or in the process without it), and a need
taken off the board leaves it at once."""

import pytest

from tests.factories import bearer, make_community, make_need, make_secretary


@pytest.fixture
def cached_board(kept_store, app, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_CACHE_SECONDS", 60)
    return kept_store


def paths(community):
    """Worked out before any request: after one, the test's rows are expired and reloaded."""
    return (
        f"/board/{community.id}",
        f"/board/{community.id}/print",
        f"/api/v1/public/communities/{community.id}/board",
    )


def test_a_second_reader_within_the_minute_costs_no_query(client, cached_board, count_queries):
    community = make_community()
    make_need(community)
    board_paths = paths(community)
    with count_queries() as static:  # what any request costs here (the test's own savepoint)
        client.get("/static/board.css")
    for path in board_paths:
        first = client.get(path)
        with count_queries() as counted:
            second = client.get(path)
        assert counted.n == static.n, path
        assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]


def test_a_need_taken_off_the_board_leaves_it_at_once(client, cached_board):
    community = make_community()
    need = make_need(community)
    for path in paths(community):
        client.get(path)
    response = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"public": False, "version": need.version},
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 200
    api = client.get(f"/api/v1/public/communities/{community.id}/board").json
    assert api["needs"]["total"] == 0
    assert "没有符合条件的公开需求" in client.get(f"/board/{community.id}").get_data(as_text=True)


def test_the_cache_keeps_filters_and_languages_apart(client, cached_board):
    community = make_community()
    make_need(community, category="便民服务")
    english = client.get(f"/board/{community.id}?lang=en").get_data(as_text=True)
    chinese = client.get(f"/board/{community.id}").get_data(as_text=True)
    assert english != chinese and 'lang="en"' in english
    filtered = client.get(f"/api/v1/public/communities/{community.id}/board?category=关心关爱")
    assert filtered.json["needs"]["total"] == 0
    assert (
        client.get(f"/api/v1/public/communities/{community.id}/board").json["needs"]["total"] == 1
    )


def test_the_cache_keeps_a_link_with_a_stale_filter_apart(client, cached_board):
    community = make_community()
    note = "链接中有已不再提供的筛选条件，已忽略。"
    assert note in client.get(f"/board/{community.id}?status=submitted").get_data(as_text=True)
    assert note not in client.get(f"/board/{community.id}").get_data(as_text=True)
