"""The activities JSON API: scheduling, the check-in code for organisers only, sign-ups with
Idempotency-Key, check-in and check-out, feedback."""

import io
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa

from coop.activities.models import Activity, ActivityStatus, Feedback, Signup, SignupStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import ServiceRecord
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def volunteer(community):
    return make_volunteer(community)


@pytest.fixture
def activity(community):
    return make_activity(community)


def _activities() -> list[Activity]:
    return db.session.scalars(sa.select(Activity)).all()


def _signups() -> list[Signup]:
    return db.session.scalars(sa.select(Signup)).all()


SESSION_START = utcnow() + timedelta(days=12)
SESSION_MONTH = f"{SESSION_START.astimezone(COMMUNITY_TZ):%Y-%m}"  # its 月月红 theme's month


def session_body(**overrides) -> dict:
    start = SESSION_START
    return {
        "title": "助餐服务第一场",
        "description": "为独居老人送餐",
        "place": "阳光苑食堂",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 8,
        **overrides,
    }


def signed_up(activity, volunteer, **overrides) -> Signup:
    """A sign-up put straight into the database, as another request would have made it."""
    row = Signup(
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        status=overrides.pop("status", SignupStatus.CONFIRMED),
        **overrides,
    )
    if row.status is SignupStatus.CONFIRMED:
        activity.confirmed_count += 1
    db.session.add(row)
    db.session.flush()
    return row


def under_way(community, **overrides) -> Activity:
    """An activity that began an hour ago and runs another hour: check-in is open."""
    return make_activity(community, starts_at=utcnow() - timedelta(hours=1), **overrides)


# --- scheduling ---------------------------------------------------------------------------------


def test_the_secretary_schedules_a_session_of_a_project(client, community, secretary):
    project = make_project(community)
    response = client.post(
        f"/api/v1/projects/{project.id}/activities",
        json=session_body(theme_month=SESSION_MONTH),
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    body = response.json
    assert body["project_id"] == project.id and body["project_title"] == project.title
    assert body["community_id"] == community.id and body["theme_month"] == SESSION_MONTH
    assert body["capacity"] == 8 and body["free_seats"] == 8 and body["confirmed_count"] == 0
    assert body["hours"] == 2.0 and body["status"] == "scheduled"
    assert body["starts_at"].endswith("+08:00") and body["my_signup"] is None
    assert len(body["checkin_code"]) == 6 and body["checkin_code"].isdigit()
    assert body["checkin_url"] == (
        f"http://localhost/activities/{body['id']}/checkin?code={body['checkin_code']}"
    )


def test_the_lead_units_liaison_schedules_for_her_project(client, community):
    from coop.claims import service as claims
    from coop.claims.models import ClaimantType

    project = make_project(community, auto_approve=True)
    liaison = make_liaison(make_unit(community))
    claims.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow())
    response = client.post(
        f"/api/v1/projects/{project.id}/activities", json=session_body(), headers=bearer(liaison)
    )
    assert response.status_code == 201 and "checkin_code" in response.json


def test_the_secretary_schedules_a_themed_activity_of_her_own(client, community, secretary):
    response = client.post(
        f"/api/v1/communities/{community.id}/activities",
        json=session_body(title="月月红·主题党日", theme_month=SESSION_MONTH),
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    assert response.json["project_id"] is None and response.json["project_title"] is None
    assert response.json["theme_month"] == SESSION_MONTH


@pytest.mark.parametrize("make", [make_volunteer, make_resident])
@pytest.mark.parametrize("where", ["project", "community"])
def test_only_organisers_schedule(client, community, make, where):
    path = (
        f"/api/v1/projects/{make_project(community).id}/activities"
        if where == "project"
        else f"/api/v1/communities/{community.id}/activities"
    )
    response = client.post(path, json=session_body(), headers=bearer(make(community)))
    assert response.status_code == 403 and _activities() == []


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": None}, "title"),
        ({"title": " "}, "title"),
        ({"place": ""}, "place"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"capacity": "十"}, "capacity"),
        ({"theme_month": "2026-13"}, "theme_month"),
        ({"theme_month": "202607"}, "theme_month"),
        ({"theme_month": "2026-05"}, "theme_month"),  # another month's theme
        ({"starts_at": "明天上午"}, "starts_at"),
        ({"ends_at": (utcnow() + timedelta(days=11)).isoformat()}, "ends_at"),
    ],
)
def test_a_bad_activity_is_422_and_creates_nothing(client, community, secretary, overrides, field):
    body = {k: v for k, v in session_body(**overrides).items() if v is not None}
    response = client.post(
        f"/api/v1/communities/{community.id}/activities", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _activities() == []


def test_a_blank_theme_month_is_none(client, community, secretary):
    response = client.post(
        f"/api/v1/communities/{community.id}/activities",
        json=session_body(theme_month=""),
        headers=bearer(secretary),
    )
    assert response.status_code == 201 and response.json["theme_month"] is None


def test_a_draft_project_gets_no_sessions(client, community, secretary):
    from coop.projects.models import ProjectStatus

    project = make_project(community, status=ProjectStatus.DRAFT)
    response = client.post(
        f"/api/v1/projects/{project.id}/activities", json=session_body(), headers=bearer(secretary)
    )
    assert response.status_code == 422 and "project_id" in response.json["errors"]


def test_scheduling_in_another_community_is_404(client, secretary):
    other = make_community()
    headers = bearer(secretary)
    path = f"/api/v1/projects/{make_project(other).id}/activities"
    assert client.post(path, json=session_body(), headers=headers).status_code == 404
    path = f"/api/v1/communities/{other.id}/activities"
    assert client.post(path, json=session_body(), headers=headers).status_code == 404
    assert _activities() == []


# --- reading: the code for organisers only ------------------------------------------------------


def test_the_checkin_code_is_absent_for_a_volunteer(client, activity, volunteer):
    body = client.get(f"/api/v1/activities/{activity.id}", headers=bearer(volunteer)).json
    assert "checkin_code" not in body and "checkin_url" not in body
    assert body["free_seats"] == 10 and body["my_signup"] is None


def test_the_checkin_code_is_present_for_the_secretary(client, activity, secretary):
    body = client.get(f"/api/v1/activities/{activity.id}", headers=bearer(secretary)).json
    assert body["checkin_code"] == activity.checkin_code
    assert body["checkin_url"].endswith(
        f"/activities/{activity.id}/checkin?code={activity.checkin_code}"
    )


def test_a_volunteer_sees_her_own_sign_up(client, activity, volunteer):
    signed_up(activity, volunteer)
    body = client.get(f"/api/v1/activities/{activity.id}", headers=bearer(volunteer)).json
    assert body["my_signup"]["status"] == "confirmed" and body["my_signup"]["status_label"]
    assert body["confirmed_count"] == 1 and body["free_seats"] == 9
    listed = client.get("/api/v1/activities", headers=bearer(volunteer)).json
    assert listed["items"][0]["my_signup"]["status"] == "confirmed"


def test_upcoming_lists_what_is_ahead_soonest_first(client, community, volunteer):
    later = make_activity(community, starts_at=utcnow() + timedelta(days=9))
    sooner = make_activity(community, starts_at=utcnow() + timedelta(days=2))
    make_activity(community, starts_at=utcnow() - timedelta(days=2))
    make_activity(community, status=ActivityStatus.CANCELLED)
    make_activity(make_community())
    headers = bearer(volunteer)
    upcoming = client.get("/api/v1/activities?upcoming=true", headers=headers).json
    assert [a["id"] for a in upcoming["items"]] == [sooner.id, later.id]
    everything = client.get("/api/v1/activities", headers=headers).json
    assert everything["total"] == 4 and everything["items"][0]["id"] == later.id


def test_activities_filter_by_project_and_community(client, community, volunteer):
    project = make_project(community)
    session = make_activity(community, project_id=project.id)
    make_activity(community)
    headers = bearer(volunteer)
    of_project = client.get(f"/api/v1/activities?project_id={project.id}", headers=headers).json
    assert [a["id"] for a in of_project["items"]] == [session.id]
    other = make_community()
    make_activity(other)
    elsewhere = client.get(f"/api/v1/activities?community_id={other.id}", headers=headers).json
    assert elsewhere["total"] == 0


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("post", "/rotate-code", None),
        ("post", "/cancel", {"reason": "暴雨停办"}),
        ("get", "/qr.svg", None),
        ("post", "/signups", {}),
        ("get", "/signups", None),
        ("delete", "/signups/me", None),
        ("post", "/checkin", {"code": "123456"}),
        ("post", "/checkin-for", {"volunteer_id": 1}),
        ("post", "/feedback", {"rating": 5}),
    ],
)
def test_another_communitys_activity_is_404(client, secretary, method, path, body):
    theirs = make_activity(make_community())
    response = getattr(client, method)(
        f"/api/v1/activities/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/projects/1/activities"),
        ("post", "/api/v1/communities/1/activities"),
        ("get", "/api/v1/activities"),
        ("get", "/api/v1/activities/1"),
        ("get", "/api/v1/activities/1/qr.svg"),
        ("get", "/api/v1/activities/1/signups"),
        ("delete", "/api/v1/activities/1/signups/me"),
        ("get", "/api/v1/projects/1/feedback"),
    ]
    + [
        ("post", f"/api/v1/activities/1/{action}")
        for action in (
            "rotate-code",
            "cancel",
            "signups",
            "checkin",
            "checkout",
            "checkin-for",
            "checkout-for",
            "feedback",
        )
    ],
)
def test_the_activities_api_needs_a_token(client, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401


# --- running it: code, QR, cancelling -----------------------------------------------------------


def test_rotating_the_code_gives_a_new_one(client, activity, secretary, monkeypatch):
    from coop.activities import service

    monkeypatch.setattr(service, "new_checkin_code", lambda: "654321")  # random otherwise
    response = client.post(
        f"/api/v1/activities/{activity.id}/rotate-code", headers=bearer(secretary)
    )
    assert response.status_code == 200 and response.json["checkin_code"] == "654321"
    db.session.refresh(activity)
    assert activity.checkin_code == response.json["checkin_code"]


@pytest.mark.parametrize("path", ["rotate-code", "cancel"])
def test_a_volunteer_cannot_run_an_activity(client, activity, volunteer, path):
    response = client.post(
        f"/api/v1/activities/{activity.id}/{path}",
        json={"reason": "不办了"},
        headers=bearer(volunteer),
    )
    assert response.status_code == 403
    db.session.refresh(activity)
    assert activity.status is ActivityStatus.SCHEDULED


def test_the_qr_encodes_the_checkin_pages_link(client, activity, secretary):
    response = client.get(f"/api/v1/activities/{activity.id}/qr.svg", headers=bearer(secretary))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "no-store" in response.headers["Cache-Control"]
    link = f"http://localhost/activities/{activity.id}/checkin?code={activity.checkin_code}"
    expected = io.BytesIO()
    segno.make(link, error="m").save(expected, kind="svg", scale=8, border=2, title=activity.title)
    assert response.data == expected.getvalue() and b"<svg" in response.data


def test_a_volunteer_gets_no_qr(client, activity, volunteer):
    response = client.get(f"/api/v1/activities/{activity.id}/qr.svg", headers=bearer(volunteer))
    assert response.status_code == 403 and response.json["code"] == "forbidden"


def test_cancelling_needs_a_reason_and_happens_once(client, activity, secretary, volunteer):
    signed_up(activity, volunteer)
    path = f"/api/v1/activities/{activity.id}/cancel"
    refused = client.post(path, json={"reason": ""}, headers=bearer(secretary))
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    done = client.post(path, json={"reason": "暴雨橙色预警，活动取消"}, headers=bearer(secretary))
    assert done.status_code == 200
    assert done.json["status"] == "cancelled" and done.json["confirmed_count"] == 0
    again = client.post(path, json={"reason": "再取消一次"}, headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "activity_cancelled"


# --- signing up ---------------------------------------------------------------------------------


def test_a_volunteer_signs_up(client, activity, volunteer):
    response = client.post(
        f"/api/v1/activities/{activity.id}/signups", json={}, headers=bearer(volunteer)
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "confirmed" and body["status_label"] == "已报名"
    assert body["volunteer_id"] == volunteer.id and body["activity_title"] == activity.title
    assert body["checked_in_at"] is None
    db.session.refresh(activity)
    assert activity.confirmed_count == 1


def test_a_full_activity_is_409_unless_she_waits(client, community, volunteer):
    activity = make_activity(community, capacity=1)
    signed_up(activity, make_volunteer(community))
    path = f"/api/v1/activities/{activity.id}/signups"
    full = client.post(path, json={}, headers=bearer(volunteer))
    assert full.status_code == 409 and full.json["code"] == "activity_full"
    assert len(_signups()) == 1
    waiting = client.post(path, json={"waitlist": True}, headers=bearer(volunteer))
    assert waiting.status_code == 201 and waiting.json["status"] == "waitlisted"


def test_an_overlapping_sign_up_is_409_naming_the_other(client, community, volunteer):
    first = make_activity(community, title="书画展布展")
    clash = make_activity(community, starts_at=first.starts_at + timedelta(hours=1))
    signed_up(first, volunteer)
    response = client.post(
        f"/api/v1/activities/{clash.id}/signups", json={}, headers=bearer(volunteer)
    )
    assert response.status_code == 409 and response.json["code"] == "overlapping_signup"
    assert "书画展布展" in response.json["message"]


def test_signing_up_twice_is_409(client, activity, volunteer):
    signed_up(activity, volunteer)
    response = client.post(
        f"/api/v1/activities/{activity.id}/signups", json={}, headers=bearer(volunteer)
    )
    assert response.status_code == 409 and response.json["code"] == "already_signed_up"


@pytest.mark.parametrize("make", [make_resident, make_secretary])
def test_only_volunteers_sign_up(client, community, activity, make):
    response = client.post(
        f"/api/v1/activities/{activity.id}/signups", json={}, headers=bearer(make(community))
    )
    assert response.status_code == 403 and _signups() == []


@pytest.mark.parametrize("body", [{"waitlist": "也许"}, {"waitlist": True, "seat": 3}, []])
def test_a_bad_sign_up_is_422_and_creates_nothing(client, activity, volunteer, body):
    response = client.post(
        f"/api/v1/activities/{activity.id}/signups", json=body, headers=bearer(volunteer)
    )
    assert response.status_code == 422 and _signups() == []


def test_a_sign_up_retried_with_its_key_returns_the_first_response(client, activity, volunteer):
    headers = {**bearer(volunteer), "Idempotency-Key": "signup-0c1d"}
    path = f"/api/v1/activities/{activity.id}/signups"
    first = client.post(path, json={}, headers=headers)
    again = client.post(path, json={}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and len(_signups()) == 1


def test_a_sign_up_key_reused_with_another_body_is_409(client, activity, volunteer):
    headers = {**bearer(volunteer), "Idempotency-Key": "signup-0c1d"}
    path = f"/api/v1/activities/{activity.id}/signups"
    assert client.post(path, json={}, headers=headers).status_code == 201
    response = client.post(path, json={"waitlist": True}, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "idempotency_mismatch"
    assert len(_signups()) == 1


def test_she_cancels_her_sign_up_and_the_first_in_line_moves_up(client, community, volunteer):
    activity = make_activity(community, capacity=1)
    signed_up(activity, volunteer)
    waiting = signed_up(activity, make_volunteer(community), status=SignupStatus.WAITLISTED)
    path = f"/api/v1/activities/{activity.id}/signups/me"
    response = client.delete(path, headers=bearer(volunteer))
    assert response.status_code == 200
    assert response.json["status"] == "cancelled" and response.json["cancelled_at"]
    db.session.refresh(waiting)
    assert waiting.status is SignupStatus.CONFIRMED
    again = client.delete(path, headers=bearer(volunteer))
    assert again.status_code == 409 and again.json["code"] == "not_signed_up"


def test_organisers_see_who_is_coming(client, community, activity, secretary, volunteer):
    signed_up(activity, volunteer, checked_in_at=utcnow())
    waiting = make_volunteer(community)
    signed_up(activity, waiting, status=SignupStatus.WAITLISTED)
    response = client.get(f"/api/v1/activities/{activity.id}/signups", headers=bearer(secretary))
    assert response.status_code == 200 and response.json["total"] == 2
    first, second = response.json["items"]
    assert first["volunteer_name"] == volunteer.display_name and first["checked_in_at"]
    assert second["volunteer_id"] == waiting.id and second["status"] == "waitlisted"


def test_a_volunteer_cannot_see_the_roster(client, activity, volunteer):
    response = client.get(f"/api/v1/activities/{activity.id}/signups", headers=bearer(volunteer))
    assert response.status_code == 403


# --- check-in and check-out ---------------------------------------------------------------------


def test_she_checks_in_with_the_code(client, community, volunteer):
    activity = under_way(community)
    signed_up(activity, volunteer)
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkin",
        json={"code": f" {activity.checkin_code} "},
        headers=bearer(volunteer),
    )
    assert response.status_code == 200 and response.json["checked_in_at"]
    assert response.json["checked_in_by_id"] is None


@pytest.mark.parametrize(
    "body, code", [({"code": "wrong"}, "wrong_code"), ({}, "invalid"), ({"code": ""}, "invalid")]
)
def test_a_wrong_or_missing_code_is_422(client, community, volunteer, body, code):
    activity = under_way(community)
    row = signed_up(activity, volunteer)
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkin", json=body, headers=bearer(volunteer)
    )
    assert response.status_code == 422 and response.json["code"] == code
    assert "code" in response.json["errors"]
    db.session.refresh(row)
    assert row.checked_in_at is None


def test_check_in_before_the_window_is_409(client, activity, volunteer):
    signed_up(activity, volunteer)
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkin",
        json={"code": activity.checkin_code},
        headers=bearer(volunteer),
    )
    assert response.status_code == 409 and response.json["code"] == "checkin_closed"


def test_check_in_without_a_sign_up_is_409(client, community, volunteer):
    activity = under_way(community)
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkin",
        json={"code": activity.checkin_code},
        headers=bearer(volunteer),
    )
    assert response.status_code == 409 and response.json["code"] == "not_signed_up"


def test_check_out_makes_a_pending_service_record(client, community, volunteer):
    activity = under_way(community, title="助老理发")
    signed_up(activity, volunteer, checked_in_at=utcnow() - timedelta(minutes=90))
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkout",
        json={"code": activity.checkin_code},
        headers=bearer(volunteer),
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "pending" and body["origin"] == "checkin"
    assert body["origin_label"] == "签到签退" and body["activity_title"] == "助老理发"
    assert 1.49 <= body["hours"] <= 1.5 and body["points"] is None
    again = client.post(
        f"/api/v1/activities/{activity.id}/checkout",
        json={"code": activity.checkin_code},
        headers=bearer(volunteer),
    )
    assert again.status_code == 409 and again.json["code"] == "already_checked_out"


def test_check_out_without_check_in_is_409(client, community, volunteer):
    activity = under_way(community)
    signed_up(activity, volunteer)
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkout",
        json={"code": activity.checkin_code},
        headers=bearer(volunteer),
    )
    assert response.status_code == 409 and response.json["code"] == "not_checked_in"
    assert db.session.scalar(sa.select(ServiceRecord)) is None


def test_an_organiser_checks_a_volunteer_in_and_out(client, community, secretary, volunteer):
    activity = under_way(community)
    checked_in = client.post(
        f"/api/v1/activities/{activity.id}/checkin-for",
        json={"volunteer_id": volunteer.id},
        headers=bearer(secretary),
    )
    assert checked_in.status_code == 200
    assert checked_in.json["checked_in_by_id"] == secretary.id
    assert checked_in.json["checked_in_by_name"] == secretary.display_name
    signup = db.session.get(Signup, checked_in.json["id"])
    signup.checked_in_at = utcnow() - timedelta(minutes=45)
    checked_out = client.post(
        f"/api/v1/activities/{activity.id}/checkout-for",
        json={"volunteer_id": volunteer.id},
        headers=bearer(secretary),
    )
    assert checked_out.status_code == 201
    assert checked_out.json["volunteer_id"] == volunteer.id and checked_out.json["hours"] >= 0.74


@pytest.mark.parametrize("action", ["checkin-for", "checkout-for"])
def test_a_volunteer_cannot_check_in_someone_else(client, community, volunteer, action):
    activity = under_way(community)
    other = make_volunteer(community)
    response = client.post(
        f"/api/v1/activities/{activity.id}/{action}",
        json={"volunteer_id": other.id},
        headers=bearer(volunteer),
    )
    assert response.status_code == 403 and _signups() == []


def test_checking_in_a_stranger_is_422(client, community, secretary):
    activity = under_way(community)
    stranger = make_volunteer(make_community())
    response = client.post(
        f"/api/v1/activities/{activity.id}/checkin-for",
        json={"volunteer_id": stranger.id},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "volunteer_id" in response.json["errors"]


# --- feedback -----------------------------------------------------------------------------------


def test_the_secretary_records_feedback_and_the_project_averages_it(
    client, community, secretary, volunteer
):
    project = make_project(community)
    activity = under_way(community, project_id=project.id)
    path = f"/api/v1/activities/{activity.id}/feedback"
    for rating, name in ((5, "刘桂兰"), (4, "")):
        response = client.post(
            path,
            json={"rating": rating, "comment": "很满意", "beneficiary_name": name},
            headers=bearer(secretary),
        )
        assert response.status_code == 201 and response.json["rating"] == rating
    listed = client.get(f"/api/v1/projects/{project.id}/feedback", headers=bearer(secretary)).json
    assert listed["total"] == 2 and listed["average"] == 4.5
    assert (
        listed["items"][0]["beneficiary_name"] == ""
        and listed["items"][1]["beneficiary_name"] == "刘桂兰"
    )
    public = client.get(f"/api/v1/projects/{project.id}/feedback", headers=bearer(volunteer)).json
    assert public["average"] == 4.5 and "beneficiary_name" not in public["items"][0]


def test_a_project_without_feedback_has_no_average(client, community, volunteer):
    project = make_project(community)
    body = client.get(f"/api/v1/projects/{project.id}/feedback", headers=bearer(volunteer)).json
    assert body["total"] == 0 and body["average"] is None


@pytest.mark.parametrize(
    "body", [{}, {"rating": 0}, {"rating": 6}, {"rating": 3, "comment": "长" * 1001}]
)
def test_bad_feedback_is_422_and_records_nothing(client, community, secretary, body):
    activity = under_way(community)
    response = client.post(
        f"/api/v1/activities/{activity.id}/feedback", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(Feedback)) is None


def test_a_volunteer_cannot_record_feedback(client, community, volunteer):
    activity = under_way(community)
    response = client.post(
        f"/api/v1/activities/{activity.id}/feedback", json={"rating": 5}, headers=bearer(volunteer)
    )
    assert response.status_code == 403


def test_another_communitys_project_feedback_is_404(client, secretary):
    theirs = make_project(make_community())
    response = client.get(f"/api/v1/projects/{theirs.id}/feedback", headers=bearer(secretary))
    assert response.status_code == 404


# --- the contract -------------------------------------------------------------------------------


def test_openapi_documents_the_activities_api(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    signups = paths["/api/v1/activities/{activity_id}/signups"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(signups["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in signups["parameters"])
    qr = paths["/api/v1/activities/{activity_id}/qr.svg"]["get"]["responses"]
    assert "image/svg+xml" in qr["200"]["content"] and "403" in qr
    activity = spec["components"]["schemas"]["ActivityOut"]["properties"]
    assert {"checkin_code", "checkin_url", "free_seats", "my_signup"} <= set(activity)
