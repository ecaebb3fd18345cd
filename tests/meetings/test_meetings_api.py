"""The meetings JSON API: scheduling (a past time is 422), QR sign-in, ticks, minutes, 决议 to a
project, and the 推选 at /terms/{id}/deputy-choice with its votes and certification."""

from datetime import timedelta

from coop.meetings.models import Meeting
from coop.terms import queries as terms_queries
from tests.factories import bearer, make_community, make_secretary, make_unit
from tests.meetings.conftest import NOW, rows


def _schedule(client, user, community, **overrides):
    body = {
        "kind": "assembly",
        "title": "2027年上半年联盟大会",
        "starts_at": (NOW + timedelta(days=5)).isoformat(),
        "place": "党群服务中心",
        "agenda": "推选轮值副书记",
        **overrides,
    }
    return client.post(
        f"/api/v1/communities/{community.id}/meetings", json=body, headers=bearer(user)
    )


def test_the_secretary_schedules_and_every_unit_is_invited(client, secretary, community, units):
    response = _schedule(client, secretary, community)
    assert response.status_code == 201
    body = response.get_json()
    assert body["kind"] == "assembly" and body["status"] == "scheduled"
    assert {a["unit_id"] for a in body["attendances"]} == {u.id for u in units}
    listed = client.get(
        f"/api/v1/communities/{community.id}/meetings?kind=assembly", headers=bearer(secretary)
    ).get_json()
    assert listed["total"] == 1


def test_a_past_time_is_422_and_nothing_is_written(client, secretary, community, units):
    response = _schedule(
        client, secretary, community, starts_at=(NOW - timedelta(days=1)).isoformat()
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "meeting_in_past"
    assert rows(Meeting) == 0


def test_a_second_assembly_in_the_half_year_is_409_and_nothing_is_written(
    client, secretary, community, units
):
    first = _schedule(client, secretary, community)
    assert first.status_code == 201
    day = terms_queries.local_day(NOW + timedelta(days=5)).isoformat()

    second = _schedule(client, secretary, community)

    assert second.status_code == 409
    body = second.get_json()
    assert body["code"] == "assembly_exists" and day in body["errors"]["kind"][0]
    assert rows(Meeting) == 1
    joint = _schedule(client, secretary, community, kind="joint")
    assert joint.status_code == 201  # 联席会议 are as many as needed


def test_a_liaison_cannot_schedule(client, liaison, community):
    assert _schedule(client, liaison, community).status_code == 403


def test_another_community_gets_404(client, community, units):
    stranger = make_secretary(make_community())
    assert _schedule(client, stranger, community).status_code == 404


def test_checkin_minutes_and_a_resolution_into_a_project(
    client, secretary, liaison, community, units
):
    from tests.meetings.conftest import schedule

    meeting = schedule(secretary, community, starts_in=-timedelta(minutes=5))
    wrong = client.post(
        f"/api/v1/meetings/{meeting.id}/checkin", json={"code": "x"}, headers=bearer(liaison)
    )
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "wrong_code"
    signed = client.post(
        f"/api/v1/meetings/{meeting.id}/checkin",
        json={"code": meeting.checkin_code},
        headers=bearer(liaison),
    )
    assert signed.status_code == 201 and signed.get_json()["via"] == "qr"
    again = client.post(
        f"/api/v1/meetings/{meeting.id}/checkin",
        json={"code": meeting.checkin_code},
        headers=bearer(liaison),
    )
    assert again.status_code == 409 and again.get_json()["code"] == "already_present"
    ticked = client.post(
        f"/api/v1/meetings/{meeting.id}/attendance",
        json={"unit_id": units[1].id},
        headers=bearer(secretary),
    )
    assert ticked.status_code == 200 and ticked.get_json()["via"] == "staff"
    minutes = client.put(
        f"/api/v1/meetings/{meeting.id}/minutes",
        json={"minutes": "会议商定车棚改造。"},
        headers=bearer(secretary),
    )
    assert minutes.status_code == 200 and minutes.get_json()["status"] == "held"
    resolution = client.post(
        f"/api/v1/meetings/{meeting.id}/resolutions",
        json={
            "text": "车棚加装充电装置",
            "owner_unit_id": units[0].id,
            "due_on": (meeting.local_day + timedelta(days=20)).isoformat(),
        },
        headers=bearer(secretary),
    )
    assert resolution.status_code == 201
    project = client.post(
        f"/api/v1/resolutions/{resolution.get_json()['id']}/project",
        json={"category": "便民服务"},
        headers=bearer(secretary),
    )
    assert project.status_code == 201 and project.get_json()["status"] == "draft"
    twice = client.post(
        f"/api/v1/resolutions/{resolution.get_json()['id']}/project",
        json={"category": "便民服务"},
        headers=bearer(secretary),
    )
    assert twice.status_code == 409


def test_a_resolution_owned_by_an_outsider_is_422(client, secretary, community, units):
    from tests.meetings.conftest import schedule

    meeting = schedule(secretary, community, starts_in=-timedelta(minutes=5))
    response = client.post(
        f"/api/v1/meetings/{meeting.id}/resolutions",
        json={
            "text": "车棚",
            "owner_unit_id": make_unit(make_community()).id,
            "due_on": meeting.local_day.isoformat(),
        },
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and response.get_json()["code"] == "not_a_member"


def test_the_deputy_choice_by_votes_and_its_bad_input(client, secretary, term, units):
    url = f"/api/v1/terms/{term.id}/deputy-choice"
    missing = client.get(url, headers=bearer(secretary))
    assert missing.status_code == 404
    no_agreement = client.post(
        url,
        json={"method": "vote", "candidate_unit_ids": [units[2].id]},
        headers=bearer(secretary),
    )
    assert no_agreement.status_code == 422
    assert no_agreement.get_json()["code"] == "no_live_agreement"
    started = client.post(
        url,
        json={"method": "vote", "candidate_unit_ids": [units[0].id, units[1].id]},
        headers=bearer(secretary),
    )
    assert started.status_code == 201
    choice = started.get_json()["id"]
    empty = client.post(
        f"/api/v1/deputy-choices/{choice}/certify",
        json={"holder_name": "李明"},
        headers=bearer(secretary),
    )
    assert empty.status_code == 409 and empty.get_json()["code"] == "no_votes"
    outsider = client.post(
        f"/api/v1/deputy-choices/{choice}/votes",
        json={"voter_unit_id": make_unit(make_community()).id, "candidate_unit_id": units[0].id},
        headers=bearer(secretary),
    )
    assert outsider.status_code == 422 and outsider.get_json()["code"] == "not_a_voter"
    for voter in units:
        voted = client.post(
            f"/api/v1/deputy-choices/{choice}/votes",
            json={"voter_unit_id": voter.id, "candidate_unit_id": units[1].id},
            headers=bearer(secretary),
        )
        assert voted.status_code == 201
    second = client.post(
        f"/api/v1/deputy-choices/{choice}/votes",
        json={"voter_unit_id": units[0].id, "candidate_unit_id": units[0].id},
        headers=bearer(secretary),
    )
    assert second.status_code == 409 and second.get_json()["code"] == "already_voted"
    certified = client.post(
        f"/api/v1/deputy-choices/{choice}/certify",
        json={"holder_name": "李明"},
        headers=bearer(secretary),
    )
    assert certified.status_code == 200
    assert certified.get_json()["chosen_unit_id"] == units[1].id
    assert certified.get_json()["candidates"][0] == {
        "unit_id": units[1].id,
        "unit_name": units[1].name,
        "votes": 3,
    }
    assert terms_queries.deputy_of(term.id).unit_id == units[1].id
    rotation = client.get(f"/api/v1/terms/{term.id}/rotation", headers=bearer(secretary))
    held = {r["unit_id"]: r["held"] for r in rotation.get_json()}
    assert held == {units[0].id: False, units[1].id: True, units[2].id: False}


def test_consensus_through_the_api(client, secretary, term, units, liaison):
    url = f"/api/v1/terms/{term.id}/deputy-choice"
    forbidden = client.post(
        url,
        json={"method": "consensus", "candidate_unit_ids": [units[0].id]},
        headers=bearer(liaison),
    )
    assert forbidden.status_code == 403
    choice = client.post(
        url,
        json={"method": "consensus", "candidate_unit_ids": [units[0].id]},
        headers=bearer(secretary),
    ).get_json()["id"]
    agreed = client.put(
        f"/api/v1/deputy-choices/{choice}/votes",
        json={"unit_ids": [u.id for u in units]},
        headers=bearer(secretary),
    )
    assert agreed.status_code == 201 and len(agreed.get_json()["votes"]) == 3
