"""我的消息: the inbox page and its API. Her own notices only, newest first, a page at a time;
opening one marks it read and follows its link when it is a path on this site."""

from datetime import timedelta

import pytest

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.notices import inbox
from coop.notices.models import Notice
from coop.notices.service import notify
from tests.factories import bearer, csrf, login, make_community, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def her(community):
    return make_volunteer(community)


def notice(user, title="活动“重阳敬老”有变更", link="/activities/1", *, minutes_ago=0, read=False):
    row = Notice(
        user_id=user.id,
        title=title,
        body="地点：党群服务中心 → 阳光苑食堂",
        link=link,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        read_at=utcnow() if read else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- The page ---------------------------------------------------------------------------------


def test_the_inbox_marks_unread_ones_and_opening_it_marks_nothing_read(client, her):
    notice(her, "旧消息", read=True, minutes_ago=5)
    fresh = notice(her, "候补成功")
    login(client, her)
    html = client.get("/my/notices").get_data(as_text=True)
    assert html.count(">新</span>") == 1 and "旧消息" in html and "候补成功" in html
    assert f'href="/my/notices/{fresh.id}/open"' in html
    assert "全部标为已读" in html
    assert inbox.unread_count(her.id) == 1


def test_opening_a_notice_marks_it_read_and_follows_its_link(client, her):
    row = notice(her, link="/activities/7")
    login(client, her)
    response = client.get(f"/my/notices/{row.id}/open")
    assert response.status_code == 303 and response.location == "/activities/7"
    assert row.read_at is not None and inbox.unread_count(her.id) == 0


@pytest.mark.parametrize(
    "link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_link_off_the_site_is_never_followed(client, her, link):
    row = notice(her, link=link)
    login(client, her)
    response = client.get(f"/my/notices/{row.id}/open")
    assert response.status_code == 303 and response.location == "/my/notices"
    html = client.get("/my/notices").get_data(as_text=True)
    assert f'href="{link}"' not in html and f"/my/notices/{row.id}/open" not in html


def test_a_notice_without_a_link_goes_back_to_the_inbox_once_read(client, her):
    row = notice(her, link="")
    login(client, her)
    response = client.get(f"/my/notices/{row.id}/open")
    assert response.location == "/my/notices"
    html = client.get("/my/notices").get_data(as_text=True)
    assert f"/my/notices/{row.id}/open" not in html  # read, and nowhere to go


def test_someone_elses_notice_cannot_be_opened(client, her, community):
    other = notice(make_volunteer(community))
    login(client, her)
    assert client.get(f"/my/notices/{other.id}/open").status_code == 404
    assert other.read_at is None


def test_read_all_marks_only_hers(client, her, community):
    neighbour = make_volunteer(community)
    notice(her), notice(her), notice(neighbour)
    login(client, her)
    token = csrf(client, "/my/notices")
    response = client.post("/my/notices/read-all", data={"csrf_token": token})
    assert response.status_code == 303
    assert inbox.unread_count(her.id) == 0 and inbox.unread_count(neighbour.id) == 1
    assert "全部标为已读" not in client.get("/my/notices").get_data(as_text=True)


def test_the_inbox_pages_twenty_at_a_time_newest_first(client, her):
    for n in range(25):
        notice(her, f"通知{n:02d}", minutes_ago=100 - n)
    login(client, her)
    first = client.get("/my/notices").get_data(as_text=True)
    assert "通知24" in first and "通知05" in first and "通知04" not in first
    assert "第 1 / 2 页，共 25 条" in first
    second = client.get("/my/notices?page=2").get_data(as_text=True)
    assert "通知04" in second and "通知00" in second and "通知05" not in second


def test_an_empty_inbox_says_so(client, her):
    login(client, her)
    html = client.get("/my/notices").get_data(as_text=True)
    assert "还没有消息" in html and "全部标为已读" not in html


def test_a_page_past_the_end_says_so_and_leads_back(client, her):
    notice(her)
    login(client, her)
    html = client.get("/my/notices?page=2").get_data(as_text=True)
    assert "这一页没有消息" in html and 'href="/my/notices"' in html
    assert "还没有消息" not in html


def test_a_bad_page_is_a_422(client, her):
    login(client, her)
    assert client.get("/my/notices?page=0").status_code == 422


def test_the_summary_links_through_open(client, her):
    row = notice(her)
    login(client, her)
    summary = client.get("/me").get_data(as_text=True).split('id="notices-summary"', 1)[1]
    assert f'href="/my/notices/{row.id}/open"' in summary and ">1</span>" in summary


# --- The API ----------------------------------------------------------------------------------


def test_the_api_lists_her_notices_with_the_unread_count(client, her, community):
    notice(her, "旧消息", read=True, minutes_ago=5)
    fresh = notice(her, "候补成功")
    notice(make_volunteer(community), "别人的")
    body = client.get("/api/v1/notices", headers=bearer(her)).json
    assert body["total"] == 2 and body["page"] == 1 and body["unread"] == 1
    first = body["items"][0]
    assert first["id"] == fresh.id and first["title"] == "候补成功" and first["read"] is False
    assert first["link"] == "/activities/1" and first["created_at"].endswith("+08:00")
    assert body["items"][1]["read"] is True


def test_the_api_filters_unread(client, her):
    notice(her, "旧消息", read=True)
    notice(her, "候补成功")
    body = client.get("/api/v1/notices?unread=1", headers=bearer(her)).json
    assert [n["title"] for n in body["items"]] == ["候补成功"] and body["total"] == 1


def test_the_api_pages(client, her):
    for n in range(3):
        notice(her, f"通知{n}", minutes_ago=10 - n)
    body = client.get("/api/v1/notices?per_page=2&page=2", headers=bearer(her)).json
    assert [n["title"] for n in body["items"]] == ["通知0"] and body["total"] == 3


def test_the_api_never_offers_a_link_off_the_site(client, her):
    notice(her, link="https://evil.example/")
    assert client.get("/api/v1/notices", headers=bearer(her)).json["items"][0]["link"] == ""


def test_the_api_marks_one_read(client, her):
    row = notice(her)
    response = client.post(f"/api/v1/notices/{row.id}/read", headers=bearer(her))
    assert response.status_code == 200 and response.json["read"] is True
    first_read = response.json["read_at"]
    again = client.post(f"/api/v1/notices/{row.id}/read", headers=bearer(her))
    assert again.json["read_at"] == first_read
    assert client.get("/api/v1/notices/unread-count", headers=bearer(her)).json == {"unread": 0}


def test_the_api_never_marks_someone_elses(client, her, community):
    other = notice(make_volunteer(community))
    response = client.post(f"/api/v1/notices/{other.id}/read", headers=bearer(her))
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert other.read_at is None


def test_the_api_marks_all_read(client, her, community):
    neighbour = make_volunteer(community)
    notice(her), notice(her), notice(neighbour)
    response = client.post("/api/v1/notices/read-all", headers=bearer(her))
    assert response.json == {"marked": 2, "unread": 0}
    assert inbox.unread_count(neighbour.id) == 1


def test_the_api_needs_a_token(client):
    assert client.get("/api/v1/notices").status_code == 401
    assert client.post("/api/v1/notices/read-all").status_code == 401


def test_the_api_refuses_a_bad_page(client, her):
    response = client.get("/api/v1/notices?per_page=500", headers=bearer(her))
    assert response.status_code == 422


def test_the_inbox_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get"} <= set(paths["/api/v1/notices"])
    assert "404" in paths["/api/v1/notices/{notice_id}/read"]["post"]["responses"]
    assert "/api/v1/notices/read-all" in paths and "/api/v1/notices/unread-count" in paths


def test_notify_lands_in_the_inbox(her):
    notify(her.id, "服务时长已核实", link="/my/points")
    assert inbox.unread_count(her.id) == 1
