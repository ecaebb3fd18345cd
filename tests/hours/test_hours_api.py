"""The service-records JSON API: 补录 with Idempotency-Key, verification by a second person,
rejecting and reversing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.auth.models import Role, RoleGrant
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    bearer,
    make_activity,
    make_community,
    make_liaison,
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
def colleague(community):
    """A second member of the community's staff: the one who verifies what the first entered."""
    return make_secretary(community)


@pytest.fixture
def volunteer(community):
    return make_volunteer(community)


@pytest.fixture
def activity(community):
    """Yesterday's two-hour session."""
    return make_activity(community, starts_at=utcnow() - timedelta(days=1), title="敬老院陪伴")


def _records() -> list[ServiceRecord]:
    return db.session.scalars(sa.select(ServiceRecord)).all()


def record(volunteer, activity, **overrides) -> ServiceRecord:
    """A pending record put straight into the database, as check-out would have made it."""
    row = ServiceRecord(
        **{
            "community_id": activity.community_id,
            "volunteer_id": volunteer.id,
            "activity_id": activity.id,
            "service_date": activity.starts_at.astimezone(COMMUNITY_TZ).date(),
            "hours": Decimal("1.5"),
            "origin": RecordOrigin.CHECKIN,
            **overrides,
        }
    )
    db.session.add(row)
    db.session.flush()
    return row


def entry(community, volunteer, activity, **overrides) -> dict:
    return {
        "community_id": community.id,
        "volunteer_id": volunteer.id,
        "activity_id": activity.id,
        "hours": "1.5",
        "note": "忘记签退，组织者证明",
        **overrides,
    }


def staff_volunteer(community):
    """A secretary who also volunteers in her community."""
    user = make_volunteer(community)
    user.grants.append(RoleGrant(role=Role.SECRETARY, community_id=community.id))
    db.session.flush()
    return user


# --- 补录 -----------------------------------------------------------------------------------------


def test_staff_enter_hours_for_a_volunteer(client, community, secretary, volunteer, activity):
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "pending" and body["status_label"] == "待核实"
    assert body["origin"] == "entered" and body["origin_label"] == "补录"
    assert body["hours"] == 1.5 and body["points"] is None
    assert body["volunteer_name"] == volunteer.display_name
    assert body["activity_title"] == "敬老院陪伴" and body["note"] == "忘记签退，组织者证明"
    assert body["entered_by_id"] == secretary.id and body["verified_by_name"] is None
    assert body["service_date"] == activity.starts_at.astimezone(COMMUNITY_TZ).date().isoformat()


def test_hours_may_be_a_json_number(client, community, secretary, volunteer, activity):
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity, hours=0.25),
        headers=bearer(secretary),
    )
    assert response.status_code == 201 and response.json["hours"] == 0.25


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"hours": "0.2"}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": "两小时"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": None}, "hours"),
        ({"volunteer_id": None}, "volunteer_id"),
        ({"activity_id": "上周的"}, "activity_id"),
        ({"note": "长" * 501}, "note"),
        ({"hours": "2.5"}, "hours"),  # longer than the two-hour session
    ],
)
def test_a_bad_entry_is_422_and_creates_nothing(
    client, community, secretary, volunteer, activity, overrides, field
):
    body = {
        k: v for k, v in entry(community, volunteer, activity, **overrides).items() if v is not None
    }
    response = client.post("/api/v1/service-records", json=body, headers=bearer(secretary))
    assert response.status_code == 422 and field in response.json["errors"]
    assert _records() == []


def test_a_volunteer_of_another_community_is_422(client, community, secretary, activity):
    stranger = make_volunteer(make_community())
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, stranger, activity),
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "volunteer_id" in response.json["errors"]


@pytest.mark.parametrize("make", [make_volunteer, make_resident])
def test_only_staff_enter_hours(client, community, volunteer, activity, make):
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(make(community)),
    )
    assert response.status_code == 403 and _records() == []


def test_entering_in_another_community_is_404(client, secretary):
    other = make_community()
    body = entry(other, make_volunteer(other), make_activity(other))
    response = client.post("/api/v1/service-records", json=body, headers=bearer(secretary))
    assert response.status_code == 404 and _records() == []


def test_an_entry_retried_with_its_key_returns_the_first_response(
    client, community, secretary, volunteer, activity
):
    headers = {**bearer(secretary), "Idempotency-Key": "entry-5e6f"}
    body = entry(community, volunteer, activity)
    first = client.post("/api/v1/service-records", json=body, headers=headers)
    again = client.post("/api/v1/service-records", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and len(_records()) == 1


def test_an_entry_key_reused_with_other_hours_is_409(
    client, community, secretary, volunteer, activity
):
    headers = {**bearer(secretary), "Idempotency-Key": "entry-5e6f"}
    body = entry(community, volunteer, activity)
    assert client.post("/api/v1/service-records", json=body, headers=headers).status_code == 201
    response = client.post(
        "/api/v1/service-records", json={**body, "hours": "1.75"}, headers=headers
    )
    assert response.status_code == 409 and response.json["code"] == "idempotency_mismatch"
    assert len(_records()) == 1


# --- reading ------------------------------------------------------------------------------------


def test_staff_see_the_communitys_records_and_a_volunteer_her_own(
    client, community, secretary, volunteer, activity
):
    hers = record(volunteer, activity)
    other = record(make_volunteer(community), activity)
    elsewhere = make_community()
    record(make_volunteer(elsewhere), make_activity(elsewhere))
    everyone = client.get("/api/v1/service-records", headers=bearer(secretary)).json
    assert {r["id"] for r in everyone["items"]} == {hers.id, other.id}
    own = client.get("/api/v1/service-records", headers=bearer(volunteer)).json
    assert [r["id"] for r in own["items"]] == [hers.id]
    assert (
        client.get(f"/api/v1/service-records/{other.id}", headers=bearer(volunteer)).status_code
        == 404
    )
    detail = client.get(f"/api/v1/service-records/{hers.id}", headers=bearer(volunteer))
    assert detail.status_code == 200 and detail.json["id"] == hers.id


def test_records_filter_by_status_origin_and_volunteer(
    client, community, secretary, volunteer, activity
):
    pending = record(volunteer, activity)
    record(volunteer, activity, status=RecordStatus.REJECTED, reject_reason="未到场")
    entered = record(
        make_volunteer(community), activity, origin=RecordOrigin.ENTERED, entered_by_id=secretary.id
    )
    headers = bearer(secretary)
    by_status = client.get("/api/v1/service-records?status=pending", headers=headers).json
    assert {r["id"] for r in by_status["items"]} == {pending.id, entered.id}
    by_origin = client.get("/api/v1/service-records?origin=entered", headers=headers).json
    assert [r["id"] for r in by_origin["items"]] == [entered.id]
    by_volunteer = client.get(
        f"/api/v1/service-records?volunteer_id={volunteer.id}&status=pending", headers=headers
    ).json
    assert [r["id"] for r in by_volunteer["items"]] == [pending.id]
    assert client.get("/api/v1/service-records?status=done", headers=headers).status_code == 422


def test_a_second_entry_is_409_naming_the_first_and_points_post_once(
    client, community, secretary, colleague, volunteer, activity
):
    from coop.hours import service
    from coop.ledger.models import Posting

    first = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(secretary),
    )
    again = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity, hours="2"),
        headers=bearer(colleague),
    )
    assert first.status_code == 201
    assert again.status_code == 409 and again.json["code"] == "record_exists"
    assert "1小时30分钟" in again.json["message"] and "待核实" in again.json["message"]
    assert len(_records()) == 1
    verified = client.post(
        f"/api/v1/service-records/{first.json['id']}/verify", headers=bearer(colleague)
    )
    assert verified.status_code == 200 and verified.json["points"] == 15
    service.settle_points()
    keys = db.session.scalars(sa.select(Posting.idempotency_key)).all()
    assert keys == [f"service_record:{first.json['id']}"]
    mine = client.get("/api/v1/service-records", headers=bearer(volunteer)).json["items"]
    assert [(r["status"], r["points"]) for r in mine] == [("verified", 15)]


def test_an_entry_beside_her_check_out_record_is_409(
    client, community, secretary, volunteer, activity
):
    checked_out = record(volunteer, activity)
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "record_exists"
    assert "签到签退" in response.json["message"]
    assert _records() == [checked_out]


def test_after_a_reversal_the_corrected_entry_is_accepted(
    client, community, secretary, colleague, volunteer, activity
):
    wrong = record(volunteer, activity, hours=Decimal(2))
    client.post(f"/api/v1/service-records/{wrong.id}/verify", headers=bearer(secretary))
    reversed_ = client.post(
        f"/api/v1/service-records/{wrong.id}/reverse",
        json={"reason": "提前离开"},
        headers=bearer(secretary),
    )
    assert reversed_.status_code == 201
    response = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(colleague),
    )
    assert response.status_code == 201 and response.json["hours"] == 1.5


# --- verifying ----------------------------------------------------------------------------------


def test_staff_verify_and_the_points_are_fixed(client, secretary, volunteer, activity):
    row = record(volunteer, activity, hours=Decimal("1.5"))
    response = client.post(f"/api/v1/service-records/{row.id}/verify", headers=bearer(secretary))
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "verified" and body["points"] == 15
    assert body["verified_by_id"] == secretary.id
    assert body["verified_by_name"] == secretary.display_name and body["verified_at"]
    again = client.post(f"/api/v1/service-records/{row.id}/verify", headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"


@pytest.mark.parametrize("action, body", [("verify", None), ("reject", {"reason": "时长有误"})])
def test_nobody_decides_on_her_own_hours(client, community, activity, action, body):
    staff = staff_volunteer(community)
    row = record(staff, activity)
    response = client.post(
        f"/api/v1/service-records/{row.id}/{action}", json=body, headers=bearer(staff)
    )
    assert response.status_code == 403 and response.json["code"] == "own_hours"
    db.session.refresh(row)
    assert row.status is RecordStatus.PENDING


@pytest.mark.parametrize("action, body", [("verify", None), ("reject", {"reason": "录错了"})])
def test_hours_one_entered_need_a_second_person(
    client, community, secretary, colleague, volunteer, activity, action, body
):
    entered = client.post(
        "/api/v1/service-records",
        json=entry(community, volunteer, activity),
        headers=bearer(secretary),
    ).json
    path = f"/api/v1/service-records/{entered['id']}/{action}"
    refused = client.post(path, json=body, headers=bearer(secretary))
    assert refused.status_code == 403 and refused.json["code"] == "second_person_needed"
    assert db.session.get(ServiceRecord, entered["id"]).status is RecordStatus.PENDING
    done = client.post(path, json=body, headers=bearer(colleague))
    assert done.status_code == 200 and done.json["verified_by_id"] == colleague.id


@pytest.mark.parametrize("make", [make_volunteer, make_resident])
def test_others_cannot_see_let_alone_verify_a_record(client, community, volunteer, activity, make):
    row = record(volunteer, activity)
    response = client.post(
        f"/api/v1/service-records/{row.id}/verify", headers=bearer(make(community))
    )
    assert response.status_code == 404


def test_a_liaison_cannot_verify(client, community, volunteer, activity):
    row = record(volunteer, activity)
    liaison = make_liaison(make_unit(community))
    response = client.post(f"/api/v1/service-records/{row.id}/verify", headers=bearer(liaison))
    assert response.status_code == 404
    db.session.refresh(row)
    assert row.status is RecordStatus.PENDING


def test_rejecting_needs_a_reason_she_reads(client, secretary, volunteer, activity):
    row = record(volunteer, activity)
    path = f"/api/v1/service-records/{row.id}/reject"
    refused = client.post(path, json={"reason": " "}, headers=bearer(secretary))
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    done = client.post(path, json={"reason": "当天未到场"}, headers=bearer(secretary))
    assert done.status_code == 200
    assert done.json["status"] == "rejected" and done.json["reject_reason"] == "当天未到场"
    assert done.json["points"] is None


# --- reversing ----------------------------------------------------------------------------------


def test_reversing_makes_a_negative_record_once(client, secretary, volunteer, activity):
    row = record(volunteer, activity, hours=Decimal(2))
    client.post(f"/api/v1/service-records/{row.id}/verify", headers=bearer(secretary))
    path = f"/api/v1/service-records/{row.id}/reverse"
    response = client.post(path, json={"reason": "活动当天实际未开展"}, headers=bearer(secretary))
    assert response.status_code == 201
    body = response.json
    assert body["reverses_id"] == row.id and body["origin"] == "reversal"
    assert body["hours"] == -2.0 and body["points"] == -20 and body["status"] == "verified"
    assert body["note"] == "活动当天实际未开展"
    again = client.post(path, json={"reason": "再冲正一次"}, headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "already_reversed"


def test_a_pending_record_cannot_be_reversed(client, secretary, volunteer, activity):
    row = record(volunteer, activity)
    response = client.post(
        f"/api/v1/service-records/{row.id}/reverse",
        json={"reason": "冲正试试"},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and len(_records()) == 1


def test_nobody_reverses_her_own_hours(client, community, colleague, activity):
    staff = staff_volunteer(community)
    row = record(staff, activity)
    client.post(f"/api/v1/service-records/{row.id}/verify", headers=bearer(colleague))
    response = client.post(
        f"/api/v1/service-records/{row.id}/reverse",
        json={"reason": "我自己录多了"},
        headers=bearer(staff),
    )
    assert response.status_code == 403 and response.json["code"] == "own_hours"
    assert len(_records()) == 1


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("", None),
        ("/verify", None),
        ("/reject", {"reason": "不合适"}),
        ("/reverse", {"reason": "不合适"}),
    ],
)
def test_another_communitys_record_is_404(client, secretary, path, body):
    other = make_community()
    theirs = record(make_volunteer(other), make_activity(other))
    method = client.get if not path else client.post
    response = method(
        f"/api/v1/service-records/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/service-records"), ("post", "/api/v1/service-records")]
    + [("get", "/api/v1/service-records/1")]
    + [("post", f"/api/v1/service-records/1/{a}") for a in ("verify", "reject", "reverse")],
)
def test_the_hours_api_needs_a_token(client, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401


def test_openapi_documents_the_key_and_the_refusals(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/service-records"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    verify = spec["paths"]["/api/v1/service-records/{record_id}/verify"]["post"]
    assert {"200", "403", "409"} <= set(verify["responses"])
