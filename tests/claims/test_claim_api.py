"""The claims and resource-orders JSON API: claiming with Idempotency-Key, deciding, ordering."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus, OrderStatus, ResourceOrder
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.idempotency import IdempotencyRecord
from coop.projects.models import ProjectMode, ProjectStatus
from coop.resources.models import ResourceStatus
from tests.factories import (
    bearer,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    return make_unit(community, name="区税务局")


@pytest.fixture
def liaison(unit):
    return make_liaison(unit)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def project(community):
    return make_project(community)


def _claims() -> list[Claim]:
    return db.session.scalars(sa.select(Claim)).all()


def claim(project, unit=None, *, volunteer=None, **overrides) -> Claim:
    """A claim put straight into the database, as another request would have made it."""
    if volunteer is not None:
        who = {"claimant_type": ClaimantType.VOLUNTEER, "volunteer_id": volunteer.id}
        key = f"volunteer:{volunteer.id}"
    else:
        who = {"claimant_type": ClaimantType.UNIT, "unit_id": unit.id}
        key = f"unit:{unit.id}"
    row = Claim(project=project, claimant_key=key, **who, **overrides)
    if row.status is ClaimStatus.APPROVED:
        project.approved_count += 1
    db.session.add(row)
    db.session.flush()
    return row


# --- claiming ---------------------------------------------------------------------------------


def test_a_liaison_claims_for_her_unit_pledging_a_resource(
    client, community, unit, liaison, project
):
    resource = make_resource(unit, community)
    response = client.post(
        f"/api/v1/projects/{project.id}/claims",
        json={"claimant": "unit", "note": "可派 5 名党员", "resource_ids": [resource.id]},
        headers=bearer(liaison),
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "pending" and body["status_label"] == "待审核"
    assert body["claimant_type"] == "unit" and body["claimant_name"] == "区税务局"
    assert body["unit_id"] == unit.id and body["volunteer_id"] is None
    assert body["resource_ids"] == [resource.id] and body["note"] == "可派 5 名党员"
    assert body["is_lead"] is False and body["stale"] is False


def test_an_auto_approved_team_claim_takes_a_slot_and_leads(client, community, liaison):
    project = make_project(community, auto_approve=True)
    response = client.post(
        f"/api/v1/projects/{project.id}/claims", json={"claimant": "unit"}, headers=bearer(liaison)
    )
    assert response.status_code == 201
    assert response.json["status"] == "approved" and response.json["is_lead"] is True
    db.session.refresh(project)
    assert project.approved_count == 1


def test_a_volunteer_claims_a_routine_project_for_herself(client, community):
    volunteer = make_volunteer(community)
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    response = client.post(
        f"/api/v1/projects/{project.id}/claims",
        json={"claimant": "volunteer"},
        headers=bearer(volunteer),
    )
    assert response.status_code == 201
    assert response.json["volunteer_id"] == volunteer.id
    assert response.json["claimant_name"] == volunteer.display_name


@pytest.mark.parametrize(
    "setup, code",
    [
        ("claimed_already", "already_claimed"),
        ("full", "project_full"),
        ("draft_or_started", "not_claimable"),
        ("no_agreement", "no_live_agreement"),
        ("too_many", "too_many_open_claims"),
    ],
)
def test_a_claim_that_breaks_a_rule_is_409(client, community, unit, liaison, setup, code):
    project = make_project(community, slots=1 if setup == "full" else 2)
    if setup == "claimed_already":
        claim(project, unit)
    elif setup == "full":
        claim(project, make_unit(community), status=ClaimStatus.APPROVED)
        project.status = ProjectStatus.CLAIMED
    elif setup == "draft_or_started":
        project.status = ProjectStatus.IN_PROGRESS
    elif setup == "no_agreement":
        for agreement in unit.agreements:
            agreement.ends_on = agreement.starts_on + timedelta(days=1)
    elif setup == "too_many":
        community.max_open_claims = 1
        claim(make_project(community), unit, status=ClaimStatus.APPROVED)
    db.session.flush()
    before = len(_claims())
    response = client.post(
        f"/api/v1/projects/{project.id}/claims", json={"claimant": "unit"}, headers=bearer(liaison)
    )
    assert response.status_code == 409 and response.json["code"] == code
    assert len(_claims()) == before


def test_a_volunteer_cannot_claim_a_team_project(client, community, project):
    response = client.post(
        f"/api/v1/projects/{project.id}/claims",
        json={"claimant": "volunteer"},
        headers=bearer(make_volunteer(community)),
    )
    assert response.status_code == 409 and response.json["code"] == "not_claimable"


def test_a_resident_cannot_claim_as_a_volunteer(client, community):
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1)
    response = client.post(
        f"/api/v1/projects/{project.id}/claims",
        json={"claimant": "volunteer"},
        headers=bearer(make_resident(community)),
    )
    assert response.status_code == 403 and _claims() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "claimant"),
        ({"claimant": "street"}, "claimant"),
        ({"claimant": "unit", "resource_ids": "all"}, "resource_ids"),
        ({"claimant": "unit", "note": "长" * 501}, "note"),
    ],
)
def test_a_bad_claim_is_422_and_creates_nothing(client, liaison, project, body, field):
    response = client.post(
        f"/api/v1/projects/{project.id}/claims", json=body, headers=bearer(liaison)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _claims() == []


def test_pledging_another_units_resource_is_422(client, community, liaison, project):
    theirs = make_resource(make_unit(community), community)
    response = client.post(
        f"/api/v1/projects/{project.id}/claims",
        json={"claimant": "unit", "resource_ids": [theirs.id]},
        headers=bearer(liaison),
    )
    assert response.status_code == 422 and "resource_ids" in response.json["errors"]
    assert _claims() == []


def test_claiming_another_communitys_project_is_404(client, liaison):
    theirs = make_project(make_community())
    response = client.post(
        f"/api/v1/projects/{theirs.id}/claims", json={"claimant": "unit"}, headers=bearer(liaison)
    )
    assert response.status_code == 404 and _claims() == []


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_response(client, liaison, project):
    headers = {**bearer(liaison), "Idempotency-Key": "claim-7f3a"}
    body = {"claimant": "unit", "note": "第一次"}
    first = client.post(f"/api/v1/projects/{project.id}/claims", json=body, headers=headers)
    again = client.post(f"/api/v1/projects/{project.id}/claims", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert len(_claims()) == 1


def test_the_same_key_with_another_body_is_409(client, liaison, project):
    headers = {**bearer(liaison), "Idempotency-Key": "claim-7f3a"}
    path = f"/api/v1/projects/{project.id}/claims"
    assert client.post(path, json={"claimant": "unit"}, headers=headers).status_code == 201
    response = client.post(path, json={"claimant": "unit", "note": "改了"}, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "idempotency_mismatch"
    assert len(_claims()) == 1


def test_without_a_key_a_retry_is_already_claimed(client, liaison, project):
    path = f"/api/v1/projects/{project.id}/claims"
    assert client.post(path, json={"claimant": "unit"}, headers=bearer(liaison)).status_code == 201
    again = client.post(path, json={"claimant": "unit"}, headers=bearer(liaison))
    assert again.status_code == 409 and again.json["code"] == "already_claimed"


def test_a_refused_claim_stores_no_response(client, community, unit, liaison, project):
    """Only what was created is replayed: a 409 leaves the key free for a later try."""
    claim(project, unit)
    headers = {**bearer(liaison), "Idempotency-Key": "k1"}
    response = client.post(
        f"/api/v1/projects/{project.id}/claims", json={"claimant": "unit"}, headers=headers
    )
    assert response.status_code == 409
    assert db.session.scalar(sa.select(IdempotencyRecord)) is None


def test_a_key_longer_than_128_is_422(client, liaison, project):
    headers = {**bearer(liaison), "Idempotency-Key": "k" * 129}
    response = client.post(
        f"/api/v1/projects/{project.id}/claims", json={"claimant": "unit"}, headers=headers
    )
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]
    assert _claims() == []


def test_keys_belong_to_their_user(client, community, project):
    path = f"/api/v1/projects/{project.id}/claims"
    for unit in (make_unit(community), make_unit(community)):
        headers = {**bearer(make_liaison(unit)), "Idempotency-Key": "same"}
        assert client.post(path, json={"claimant": "unit"}, headers=headers).status_code == 201
    assert len(_claims()) == 2


def test_openapi_documents_the_key_and_the_conflicts(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/projects/{project_id}/claims"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


# --- deciding -----------------------------------------------------------------------------------


def test_the_secretary_approves_then_marks_fulfilled(client, unit, secretary, project):
    pending = claim(project, unit)
    headers = bearer(secretary)
    approved = client.post(f"/api/v1/claims/{pending.id}/approve", headers=headers)
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["is_lead"] is True
    fulfilled = client.post(f"/api/v1/claims/{pending.id}/fulfil", headers=headers)
    assert fulfilled.status_code == 200 and fulfilled.json["status"] == "fulfilled"


def test_approving_twice_is_an_illegal_move(client, unit, secretary, project):
    row = claim(project, unit, status=ClaimStatus.APPROVED)
    response = client.post(f"/api/v1/claims/{row.id}/approve", headers=bearer(secretary))
    assert response.status_code == 409 and response.json["code"] == "illegal_transition"


def test_approving_past_the_slots_is_project_full(client, community, unit, secretary):
    project = make_project(community, slots=1)
    claim(project, make_unit(community), status=ClaimStatus.APPROVED)
    pending = claim(project, unit)
    response = client.post(f"/api/v1/claims/{pending.id}/approve", headers=bearer(secretary))
    assert response.status_code == 409 and response.json["code"] == "project_full"
    db.session.refresh(pending)
    assert pending.status is ClaimStatus.PENDING


@pytest.mark.parametrize("action", ["reject", "release"])
def test_rejecting_and_releasing_need_a_reason(client, unit, secretary, project, action):
    status = ClaimStatus.PENDING if action == "reject" else ClaimStatus.APPROVED
    row = claim(project, unit, status=status)
    path = f"/api/v1/claims/{row.id}/{action}"
    refused = client.post(path, json={"reason": ""}, headers=bearer(secretary))
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    db.session.refresh(row)
    assert row.status is status
    done = client.post(path, json={"reason": "人手已满，谢谢支持"}, headers=bearer(secretary))
    assert done.status_code == 200
    assert done.json["decision_reason"] == "人手已满，谢谢支持"


def test_releasing_frees_the_slot(client, unit, secretary, project):
    row = claim(project, unit, status=ClaimStatus.APPROVED)
    client.post(
        f"/api/v1/claims/{row.id}/release", json={"reason": "迟迟未开展"}, headers=bearer(secretary)
    )
    body = client.get(f"/api/v1/projects/{project.id}", headers=bearer(secretary)).json
    assert body["approved_count"] == 0 and body["claimants"] == []


def test_the_claimant_withdraws_without_giving_a_reason(client, unit, liaison, project):
    row = claim(project, unit)
    response = client.post(f"/api/v1/claims/{row.id}/withdraw", headers=bearer(liaison))
    assert response.status_code == 200 and response.json["status"] == "withdrawn"


def test_another_unit_cannot_withdraw_a_claim(client, community, unit, project):
    row = claim(project, unit)
    other = make_liaison(make_unit(community))
    response = client.post(
        f"/api/v1/claims/{row.id}/withdraw", json={"reason": "代为撤回"}, headers=bearer(other)
    )
    assert response.status_code == 403


@pytest.mark.parametrize("action", ["approve", "fulfil"])
def test_a_claimant_cannot_decide_her_own_claim(client, unit, liaison, project, action):
    row = claim(project, unit, status=ClaimStatus.PENDING)
    response = client.post(f"/api/v1/claims/{row.id}/{action}", headers=bearer(liaison))
    assert response.status_code == 403
    db.session.refresh(row)
    assert row.status is ClaimStatus.PENDING


def test_a_claim_past_the_projects_start_is_stale(client, unit, secretary, project):
    row = claim(project, unit, status=ClaimStatus.APPROVED)
    now = utcnow()
    project.claim_deadline = now - timedelta(days=3)
    project.starts_at = now - timedelta(days=1)
    db.session.flush()
    body = client.get(f"/api/v1/claims/{row.id}", headers=bearer(secretary)).json
    assert body["stale"] is True


def test_claims_list_filters_and_mine(client, community, unit, liaison, project):
    ours = claim(project, unit)
    other_unit = claim(project, make_unit(community))
    elsewhere = make_project(make_community())
    claim(elsewhere, make_unit(elsewhere.community))
    headers = bearer(liaison)
    everything = client.get(f"/api/v1/claims?project_id={project.id}", headers=headers).json
    assert {c["id"] for c in everything["items"]} == {ours.id, other_unit.id}
    mine = client.get("/api/v1/claims?mine=true", headers=headers).json
    assert [c["id"] for c in mine["items"]] == [ours.id]
    pending = client.get("/api/v1/claims?status=approved", headers=headers).json
    assert pending["total"] == 0


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "", None),
        ("post", "/approve", None),
        ("post", "/reject", {"reason": "不合适"}),
        ("post", "/withdraw", None),
    ],
)
def test_a_claim_on_another_communitys_project_is_404(client, secretary, method, path, body):
    other = make_community()
    theirs = claim(make_project(other), make_unit(other))
    response = getattr(client, method)(
        f"/api/v1/claims/{theirs.id}{path}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [("post", "/api/v1/projects/1/claims"), ("get", "/api/v1/claims"), ("get", "/api/v1/orders")]
    + [("post", f"/api/v1/claims/1/{a}") for a in ("approve", "reject", "withdraw", "fulfil")]
    + [("post", "/api/v1/projects/1/orders"), ("post", "/api/v1/orders/1/accept")],
)
def test_the_claims_api_needs_a_token(client, method, path):
    assert getattr(client, method)(path).status_code == 401


# --- resource orders ----------------------------------------------------------------------------


def test_the_secretary_orders_a_resource_and_the_unit_accepts(
    client, community, unit, liaison, secretary, project
):
    resource = make_resource(unit, community, title="税务咨询")
    response = client.post(
        f"/api/v1/projects/{project.id}/orders",
        json={"resource_id": resource.id, "note": "请安排两位税务师"},
        headers=bearer(secretary),
    )
    assert response.status_code == 201
    order = response.json
    assert order["status"] == "requested" and order["unit_name"] == "区税务局"
    assert order["resource_title"] == "税务咨询"
    inbox = client.get("/api/v1/orders?status=requested", headers=bearer(liaison)).json
    assert [o["id"] for o in inbox["items"]] == [order["id"]]

    accepted = client.post(f"/api/v1/orders/{order['id']}/accept", headers=bearer(liaison))
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    made = client.get(f"/api/v1/claims/{accepted.json['claim_id']}", headers=bearer(liaison)).json
    assert made["status"] == "approved" and made["resource_ids"] == [resource.id]
    listed = client.get(f"/api/v1/resources/{resource.id}", headers=bearer(liaison)).json
    assert listed["committed"] is True


def test_ordering_the_same_resource_twice_is_409(client, community, unit, secretary, project):
    resource = make_resource(unit, community)
    path = f"/api/v1/projects/{project.id}/orders"
    first = client.post(path, json={"resource_id": resource.id}, headers=bearer(secretary))
    assert first.status_code == 201
    again = client.post(path, json={"resource_id": resource.id}, headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "order_exists"


def test_ordering_from_a_unit_that_claimed_the_project_is_409_naming_its_claim(
    client, community, unit, secretary, project
):
    claim(project, unit, status=ClaimStatus.APPROVED)
    resource = make_resource(unit, community, title="税务咨询")
    response = client.post(
        f"/api/v1/projects/{project.id}/orders",
        json={"resource_id": resource.id},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "unit_has_claimed"
    assert "区税务局" in response.json["message"] and "已认领" in response.json["message"]
    assert db.session.scalar(sa.select(ResourceOrder)) is None


def test_an_order_waiting_when_the_unit_claimed_is_accepted_into_its_claim(
    client, community, unit, liaison, project
):
    resource = make_resource(unit, community)
    waiting = order(project, resource)  # sent before the unit claimed: once stuck for good
    own = claim(project, unit)
    accepted = client.post(f"/api/v1/orders/{waiting.id}/accept", headers=bearer(liaison))
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    assert accepted.json["claim_id"] == own.id
    made = client.get(f"/api/v1/claims/{own.id}", headers=bearer(liaison)).json
    assert made["status"] == "pending" and made["resource_ids"] == [resource.id]
    assert len(_claims()) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "resource_id"),
        ({"resource_id": "一号"}, "resource_id"),
        ({"resource_id": 0}, "resource_id"),
    ],
)
def test_a_bad_order_is_422_and_creates_nothing(client, secretary, project, body, field):
    response = client.post(
        f"/api/v1/projects/{project.id}/orders", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert db.session.scalar(sa.select(ResourceOrder)) is None


def test_an_offered_resource_cannot_be_ordered(client, community, unit, secretary, project):
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED)
    response = client.post(
        f"/api/v1/projects/{project.id}/orders",
        json={"resource_id": resource.id},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and "resource_id" in response.json["errors"]


def test_a_liaison_cannot_order(client, community, unit, liaison, project):
    resource = make_resource(unit, community)
    response = client.post(
        f"/api/v1/projects/{project.id}/orders",
        json={"resource_id": resource.id},
        headers=bearer(liaison),
    )
    assert response.status_code == 403


def order(project, resource, **overrides) -> ResourceOrder:
    row = ResourceOrder(project=project, resource=resource, unit_id=resource.unit_id, **overrides)
    db.session.add(row)
    db.session.flush()
    return row


def test_the_unit_declines_with_a_reason(client, community, unit, liaison, project):
    row = order(project, make_resource(unit, community))
    path = f"/api/v1/orders/{row.id}/decline"
    assert client.post(path, json={}, headers=bearer(liaison)).status_code == 422
    response = client.post(path, json={"reason": "本月人手不足"}, headers=bearer(liaison))
    assert response.status_code == 200
    assert response.json["status"] == "declined" and response.json["reply"] == "本月人手不足"


def test_the_secretary_cancels_but_the_unit_cannot(
    client, community, unit, liaison, secretary, project
):
    row = order(project, make_resource(unit, community))
    path = f"/api/v1/orders/{row.id}/cancel"
    assert client.post(path, headers=bearer(liaison)).status_code == 403
    response = client.post(path, headers=bearer(secretary))
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    again = client.post(path, headers=bearer(secretary))
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"


def test_another_units_order_is_404_to_a_liaison(client, community, project):
    theirs = order(project, make_resource(make_unit(community), community))
    outsider = make_liaison(make_unit(community))
    response = client.post(f"/api/v1/orders/{theirs.id}/accept", headers=bearer(outsider))
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.status is OrderStatus.REQUESTED


def test_another_communitys_orders_are_404(client, secretary):
    other = make_community()
    theirs = order(make_project(other), make_resource(make_unit(other), other))
    headers = bearer(secretary)
    assert client.get(f"/api/v1/orders/{theirs.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/orders/{theirs.id}/cancel", headers=headers).status_code == 404
    assert client.get("/api/v1/orders", headers=headers).json["total"] == 0
    response = client.post(
        f"/api/v1/projects/{theirs.project_id}/orders",
        json={"resource_id": theirs.resource_id},
        headers=headers,
    )
    assert response.status_code == 404


# --- racing retries (PostgreSQL) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    from tests.conftest import _database_url, make_app

    app = make_app(_database_url("claims_race", tmp_path_factory.mktemp("claims_race")))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.committed
@pytest.mark.parametrize("retries", [2, 4])
def test_racing_retries_with_one_key_create_one_claim(race_app, retries):
    """Each retry waits on the project's lock or the key's unique index, then replays the winner."""
    import threading

    with race_app.app_context():
        community = make_community()
        project_id = make_project(community, slots=5).id
        headers = {**bearer(make_liaison(make_unit(community))), "Idempotency-Key": "race"}
        db.session.commit()
    path = f"/api/v1/projects/{project_id}/claims"
    barrier = threading.Barrier(retries)
    responses = [None] * retries

    def post(index):
        client = race_app.test_client()
        barrier.wait()
        responses[index] = client.post(path, json={"claimant": "unit"}, headers=headers)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(retries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in responses] == [201] * retries
    assert all(r.json == responses[0].json for r in responses)
    with race_app.app_context():
        count = sa.select(sa.func.count()).select_from(Claim).where(Claim.project_id == project_id)
        assert db.session.scalar(count) == 1
