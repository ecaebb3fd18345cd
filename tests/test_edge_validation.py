"""Nothing a client sends yields a 5xx, and a refused request changes nothing.

One test per cause schemathesis found on the API (and the same inputs on the pages): dates off
the calendar, integers beyond the int32 columns, NUL and lone surrogates in text, months before
2000, control characters in ``next=``; plus 405's Allow header and a valid OpenAPI document.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openapi_spec_validator import OpenAPIV30SpecValidator

from coop.activities import service as activities
from coop.activities.models import Activity
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.extensions import db
from coop.hours.models import ServiceRecord
from coop.needs.models import Need
from coop.projects.models import Project
from coop.resources.models import Resource
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    PASSWORD,
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_user,
    make_volunteer,
)

BEYOND_INT32 = 2**31


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def project_body(community, **overrides) -> dict:
    return {
        "community_id": community.id,
        "title": "银龄助餐",
        "category": "关心关爱",
        "mode": "team",
        "need_ids": [make_need(community).id],
        "starts_at": "2030-01-10T09:00",
        "ends_at": "2030-03-10T18:00",
        "claim_deadline": "2030-01-05T00:00",
        **overrides,
    }


def session_body(**overrides) -> dict:
    start = utcnow() + timedelta(days=12)
    return {
        "title": "助餐服务第一场",
        "place": "阳光苑食堂",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 8,
        **overrides,
    }


# --- dates within 2000-01-01 … 2100-12-31 -------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [
        # 9999-12-31 23:00 UTC is 10000-01-01 in Asia/Shanghai: it was stored, then every
        # response showing it failed
        {"ends_at": "9999-12-31T23:00:00Z"},
        {"starts_at": "0001-01-01T00:00", "claim_deadline": "0001-01-01T00:00"},
        {"ends_at": "2101-01-01T00:00"},
        {"starts_at": "1999-12-31T23:59", "claim_deadline": "1999-12-01T00:00"},
    ],
)
def test_a_project_date_off_the_calendar_is_refused_and_stores_nothing(
    client, community, secretary, dates
):
    response = client.post(
        "/api/v1/projects", json=project_body(community, **dates), headers=bearer(secretary)
    )
    assert response.status_code == 422
    assert response.json["errors"] and set(response.json["errors"]) <= set(dates)
    assert "2000-01-01" in json.dumps(response.json["errors"], ensure_ascii=False)
    assert count(Project) == 0
    assert client.get("/api/v1/projects", headers=bearer(secretary)).status_code == 200


def test_an_activity_in_year_9999_is_refused_and_the_lists_keep_working(
    client, community, secretary
):
    project = make_project(community)
    response = client.post(
        f"/api/v1/projects/{project.id}/activities",
        json=session_body(starts_at="9999-12-31T22:00:00Z", ends_at="9999-12-31T23:00:00Z"),
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "starts_at" in response.json["errors"]
    assert count(Activity) == 0
    assert client.get("/api/v1/activities", headers=bearer(secretary)).status_code == 200


def test_a_resource_date_off_the_calendar_is_refused(client, community):
    unit = make_unit(community)
    response = client.post(
        "/api/v1/resources",
        json={
            "community_id": community.id,
            "unit_id": unit.id,
            "kind": "venue",
            "title": "会议室",
            "category": "便民服务",
            "quantity": 1,
            "unit_of_measure": "间",
            "available_from": "0001-01-01",
        },
        headers=bearer(make_liaison(unit)),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"available_from"}
    assert count(Resource) == 0


def test_a_row_stored_before_dates_were_checked_still_shows(client, community, secretary):
    """9999-12-31 23:00 UTC cannot be shown in Asia/Shanghai (year 10000): shown in UTC."""
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    activity = make_activity(community, starts_at=far - timedelta(hours=2), ends_at=far)
    response = client.get("/api/v1/activities", headers=bearer(secretary))
    assert response.status_code == 200
    (shown,) = response.json["items"]
    assert shown["ends_at"] == "9999-12-31T23:00:00+00:00"
    login(client, secretary)
    page = client.get(f"/activities/{activity.id}")
    assert page.status_code == 200 and "9999" in page.get_data(as_text=True)


def test_a_project_session_must_lie_within_the_projects_days(ctx, community, secretary):
    project = make_project(community)  # starts in 10 days, ends in 40
    after = project.ends_at + timedelta(days=1)
    with pytest.raises(Invalid) as refused:
        activities.schedule_activity(
            secretary,
            community.id,
            project_id=project.id,
            title="收尾活动",
            place="社区广场",
            starts_at=after,
            ends_at=after + timedelta(hours=2),
            capacity=10,
        )
    assert "ends_at" in refused.value.errors
    before = datetime(2020, 1, 1, 9, tzinfo=COMMUNITY_TZ)
    with pytest.raises(Invalid) as refused:
        activities.schedule_activity(
            secretary,
            community.id,
            project_id=project.id,
            title="预热活动",
            place="社区广场",
            starts_at=before,
            ends_at=before + timedelta(hours=2),
            capacity=10,
        )
    assert "starts_at" in refused.value.errors
    assert count(Activity) == 0


def test_the_api_refuses_a_session_after_its_project_ends(client, community, secretary):
    project = make_project(community)
    after = project.ends_at + timedelta(days=3)
    response = client.post(
        f"/api/v1/projects/{project.id}/activities",
        json=session_body(
            starts_at=after.isoformat(), ends_at=(after + timedelta(hours=2)).isoformat()
        ),
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "ends_at" in response.json["errors"]
    assert count(Activity) == 0


# --- integers within the int32 columns ---------------------------------------------------------


def test_an_id_beyond_int32_in_a_path_is_a_404(client, community, secretary):
    response = client.get(f"/api/v1/needs/{BEYOND_INT32}", headers=bearer(secretary))
    assert response.status_code == 404 and response.json["code"] == "not_found"
    login(client, secretary)
    assert client.get(f"/needs/{BEYOND_INT32}").status_code == 404
    assert client.get(f"/communities/{BEYOND_INT32}/needs").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        f"community_id={BEYOND_INT32}",
        "page=99999999999999999999",
        f"page={BEYOND_INT32}",
        "per_page=99999999999999999999",
    ],
)
def test_a_query_integer_beyond_int32_is_a_422(client, community, secretary, query):
    response = client.get(f"/api/v1/needs?{query}", headers=bearer(secretary))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {query.split("=")[0]}


def test_body_ids_beyond_int32_are_refused_and_create_nothing(client, community, secretary):
    body = project_body(community, need_ids=[BEYOND_INT32])
    response = client.post("/api/v1/projects", json=body, headers=bearer(secretary))
    assert response.status_code == 422 and "need_ids" in response.json["errors"]
    assert count(Project) == 0

    activity = make_activity(community)
    response = client.post(
        "/api/v1/service-records",
        json={
            "community_id": community.id,
            "volunteer_id": BEYOND_INT32,
            "activity_id": activity.id,
            "hours": 1,
        },
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "volunteer_id" in response.json["errors"]
    assert count(ServiceRecord) == 0


# --- text the database can store --------------------------------------------------------------


@pytest.mark.parametrize("bad", ["独居\x00老人", "独居\ud800老人"], ids=["nul", "lone_surrogate"])
def test_unstorable_text_in_a_json_body_is_a_422_and_stores_nothing(
    client, community, secretary, bad
):
    response = client.post(
        "/api/v1/needs",
        json={
            "community_id": community.id,
            "title": bad,
            "category": "关心关爱",
            "beneficiary_group": "elderly",
            "urgency": "soon",
        },
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"title": [response.json["errors"]["title"][0]]}
    assert "无法保存的字符" in response.json["errors"]["title"][0]
    assert count(Need) == 0


def test_unstorable_text_in_a_query_is_a_422(client, community, secretary):
    response = client.get("/api/v1/projects?q=%00", headers=bearer(secretary))
    assert response.status_code == 422 and "q" in response.json["errors"]


def test_no_token_stays_a_401_whatever_the_body_holds(client, community):
    response = client.post("/api/v1/needs", json={"title": "\x00"})
    assert response.status_code == 401


@pytest.mark.parametrize("bad", ["secre\x00tary", "\ud800"], ids=["nul", "lone_surrogate"])
def test_unstorable_text_in_the_api_sign_in_is_a_422(client, ctx, bad):
    response = client.post("/api/v1/tokens", json={"username": bad, "password": PASSWORD})
    assert response.status_code == 422 and "username" in response.json["errors"]


def test_unstorable_text_in_the_sign_in_form_is_refused_with_a_message(client, ctx):
    make_user(username="wang")
    data = {"username": "wang\x00", "password": PASSWORD, "csrf_token": csrf(client)}
    response = client.post("/login", data=data, headers={"Referer": "/login"})
    assert response.status_code == 302 and response.location == "/login"
    assert "无法保存的字符" in client.get("/login").get_data(as_text=True)
    assert client.get("/me").status_code == 302  # still signed out


def test_unstorable_text_in_a_page_form_is_refused_and_stores_nothing(client, community, secretary):
    login(client, secretary)
    path = f"/communities/{community.id}/needs/new"
    data = {
        "title": "独居\x00老人",
        "category": "关心关爱",
        "beneficiary_group": "elderly",
        "urgency": "soon",
        "csrf_token": csrf(client, path),
    }
    response = client.post(path, data=data, headers={"Referer": path})
    assert response.status_code == 302 and response.location == path
    assert "无法保存的字符" in client.get(path).get_data(as_text=True)
    assert count(Need) == 0


def test_unstorable_text_in_a_page_query_is_refused(client, community, secretary):
    login(client, secretary)
    response = client.get(f"/communities/{community.id}/needs?q=%00")
    assert response.status_code == 422


def test_an_idempotency_key_with_a_nul_is_a_422(client, community):
    volunteer = make_volunteer(community)
    activity = make_activity(community)
    response = client.post(
        f"/api/v1/activities/{activity.id}/signups",
        json={},
        headers={**bearer(volunteer), "Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]


# --- months from 2000 ---------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["0000-01", "1999-12", "١٢٣٤-01"])
def test_a_month_before_2000_on_the_supermarket_summary_is_a_422(client, community, month):
    staff = make_supermarket_staff(community)
    response = client.get(
        "/api/v1/rewards/summary",
        query_string={"community_id": community.id, "month": month},
        headers=bearer(staff),
    )
    assert response.status_code == 422 and "month" in response.json["errors"]
    login(client, staff)
    page = client.get(
        f"/communities/{community.id}/supermarket/summary", query_string={"month": month}
    )
    assert page.status_code == 422


def test_an_activitys_theme_month_before_2000_is_refused(client, community, secretary):
    response = client.post(
        f"/api/v1/communities/{community.id}/activities",
        json=session_body(theme_month="0000-01"),
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "theme_month" in response.json["errors"]
    assert count(Activity) == 0


# --- next= on the sign-in page ------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/needs\r\nSet-Cookie: x=1", "/\nevil.example", "/\\evil.example", "/\t/evil.example"],
)
def test_next_with_control_characters_or_a_backslash_goes_home(client, community, target):
    secretary = make_secretary(community)
    response = client.post(
        "/login",
        data={
            "username": secretary.username,
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/login", query_string={"next": target}).location == "/"


def test_next_to_a_page_of_this_site_is_kept(client, community):
    secretary = make_secretary(community)
    login(client, secretary)
    target = f"/communities/{community.id}/needs?status=listed"
    assert client.get("/login", query_string={"next": target}).location == target


# --- 405 and the OpenAPI document ---------------------------------------------------------------


def test_a_405_keeps_its_allow_header(client, community, secretary):
    response = client.put("/api/v1/needs", headers=bearer(secretary))
    assert response.status_code == 405 and response.json["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    page = client.put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_the_openapi_document_is_valid(client, ctx):
    document = client.get("/api/v1/openapi.json").json
    errors = [e.message for e in OpenAPIV30SpecValidator(document).iter_errors()]
    assert errors == []
    hours = document["components"]["schemas"]["RecordIn"]["properties"]["hours"]
    assert hours["maximum"] == 24 and hours["minimum"] == 0.25


def test_the_openapi_document_shows_the_id_bounds(client, ctx):
    document = client.get("/api/v1/openapi.json").json
    (parameter,) = document["paths"]["/api/v1/needs/{need_id}"]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
