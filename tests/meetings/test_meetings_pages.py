"""Meeting pages: the list, scheduling (a past time re-renders the form with the message), the
meeting page with its QR for the secretary, the liaison's phone sign-in from the QR's link, and
the 推选 page with the rotation."""

from datetime import timedelta

from coop.meetings.models import Meeting, MeetingStatus
from coop.terms import queries as terms_queries
from tests.factories import csrf, login, make_community, make_secretary, make_volunteer
from tests.meetings.conftest import NOW, rows, schedule


def test_the_list_shows_meetings_and_the_secretarys_buttons(client, secretary, community, meeting):
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/meetings").get_data(as_text=True)
    assert meeting.title in html and "安排联盟大会" in html


def test_a_volunteer_sees_the_list_without_buttons(client, community, meeting):
    login(client, make_volunteer(community))
    html = client.get(f"/communities/{community.id}/meetings").get_data(as_text=True)
    assert meeting.title in html and "安排联盟大会" not in html


def test_another_community_gets_404(client, meeting):
    login(client, make_secretary(make_community()))
    assert client.get(f"/meetings/{meeting.id}").status_code == 404


def test_scheduling_from_the_page(client, secretary, community, units):
    login(client, secretary)
    path = f"/communities/{community.id}/meetings/new"
    response = client.post(
        path,
        data={
            "kind": "joint",
            "title": "联席会议",
            "starts_at": (NOW + timedelta(days=2))
            .astimezone(terms_queries.COMMUNITY_TZ)
            .strftime("%Y-%m-%dT%H:%M"),
            "place": "二楼会议室",
            "csrf_token": csrf(client, path),
        },
    )
    assert response.status_code == 302
    assert rows(Meeting) == 1


def test_a_past_time_on_the_page_says_so_and_writes_nothing(client, secretary, community, units):
    login(client, secretary)
    path = f"/communities/{community.id}/meetings/new"
    response = client.post(
        path,
        data={
            "kind": "joint",
            "title": "联席会议",
            "starts_at": "2020-01-01T09:00",
            "place": "二楼会议室",
            "csrf_token": csrf(client, path),
        },
    )
    assert response.status_code == 422
    assert "不能再安排" in response.get_data(as_text=True)
    assert rows(Meeting) == 0


def test_a_second_assembly_on_the_page_is_refused_beside_the_kind(
    client, secretary, community, units, term
):
    login(client, secretary)
    path = f"/communities/{community.id}/meetings/new"
    response = client.post(
        path,
        data={
            "kind": "assembly",
            "title": "再开一次联盟大会",
            "starts_at": (NOW + timedelta(hours=1))
            .astimezone(terms_queries.COMMUNITY_TZ)
            .strftime("%Y-%m-%dT%H:%M"),
            "place": "二楼会议室",
            "csrf_token": csrf(client, path),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="e-kind"' in html and "联盟大会每半年一次" in html
    assert 'value="再开一次联盟大会"' in html
    assert rows(Meeting) == 1  # the clock's, when it opened the term


def test_the_secretary_sees_the_qr_and_the_liaison_does_not(client, secretary, liaison, meeting):
    login(client, secretary)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "<svg" in html and meeting.checkin_code[:3] in html
    login(client, liaison)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "<svg" not in html and "到场签到" in html


def test_the_liaison_signs_in_from_the_qr_link(client, secretary, liaison, community, units):
    meeting = schedule(secretary, community, starts_in=-timedelta(minutes=5))
    login(client, liaison)
    path = f"/meetings/{meeting.id}/checkin?code={meeting.checkin_code}"
    page = client.get(path).get_data(as_text=True)
    assert f'value="{meeting.checkin_code}"' in page and units[0].name in page
    response = client.post(
        f"/meetings/{meeting.id}/checkin",
        data={
            "code": meeting.checkin_code,
            "attendee_name": "王丽",
            "csrf_token": csrf(client, path),
        },
    )
    assert response.status_code == 302
    assert meeting.status is MeetingStatus.HELD
    done = client.get(f"/meetings/{meeting.id}/checkin").get_data(as_text=True)
    assert "已签到" in done


def test_the_election_page_shows_the_rotation_and_the_nomination_form(
    client, secretary, term, units
):
    login(client, secretary)
    html = client.get(f"/terms/{term.id}/election").get_data(as_text=True)
    assert "轮值情况" in html and "尚未担任" in html
    assert 'name="candidate_unit_ids"' in html
    assert units[2].name in html.split("协议未生效")[1]  # not offered as a candidate


def test_the_dashboard_counts_assemblies_from_meeting_records(client, secretary, community, term):
    login(client, secretary)
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert "联盟大会（近两届）" in html
    assert f'/communities/{community.id}/meetings?kind=assembly">0</a>' in html


def test_the_liaison_finds_the_meetings_in_her_menu(client, liaison, community):
    login(client, liaison)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/communities/{community.id}/meetings"' in html
