"""The accounts JSON API: the caller's balances (and what is held) and every entry with its
source."""

from datetime import timedelta
from decimal import Decimal

import pytest

from coop.dbtypes import utcnow
from coop.hours.models import RecordOrigin, ServiceRecord
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
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
def volunteer(community):
    return make_volunteer(community)


def pending_hours(volunteer, community, hours: str, title="敬老院陪伴") -> ServiceRecord:
    """A check-out's pending record for yesterday's session."""
    from coop.extensions import db

    activity = make_activity(community, starts_at=utcnow() - timedelta(days=1), title=title)
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        service_date=activity.starts_at.astimezone(COMMUNITY_TZ).date(),
        hours=Decimal(hours),
        origin=RecordOrigin.CHECKIN,
    )
    db.session.add(record)
    db.session.flush()
    return record


def move(community, source, target, points, *, kind=PostingKind.ADJUSTMENT, key):
    return ledger.post(
        key=key,
        kind=kind,
        source_type="test",
        source_id=1,
        lines=[(source, -points), (target, points)],
    )


def test_accounts_me_balance_after_a_verify_is_hours_times_ten(client, community, volunteer):
    record = pending_hours(volunteer, community, "2.5")
    verified = client.post(
        f"/api/v1/service-records/{record.id}/verify", headers=bearer(make_secretary(community))
    )
    assert verified.status_code == 200
    response = client.get("/api/v1/accounts/me", headers=bearer(volunteer))
    assert response.status_code == 200
    body = response.json
    assert body["balance"] == 25 and body["held"] == 0
    (account,) = body["accounts"]
    assert account["type"] == "volunteer" and account["type_label"] == "志愿者积分"
    assert account["community_id"] == community.id and account["community_name"] == community.name
    assert account["owner_id"] == volunteer.id and account["balance"] == 25 and account["held"] == 0


def test_before_any_points_there_are_no_accounts(client, volunteer):
    body = client.get("/api/v1/accounts/me", headers=bearer(volunteer)).json
    assert body == {"balance": 0, "held": 0, "accounts": []}


def test_every_entry_names_its_source(client, community, volunteer):
    secretary = make_secretary(community)
    first = pending_hours(volunteer, community, "1", title="助餐")
    second = pending_hours(volunteer, community, "2", title="理发")
    for record in (first, second):
        client.post(f"/api/v1/service-records/{record.id}/verify", headers=bearer(secretary))
    response = client.get("/api/v1/accounts/me/entries", headers=bearer(volunteer))
    assert response.status_code == 200 and response.json["total"] == 2
    newest, oldest = response.json["items"]
    assert newest["amount"] == 20 and newest["memo"] == "理发"
    assert newest["kind"] == "hours" and newest["kind_label"] == "志愿服务时长"
    assert newest["source"] == {"type": "service_record", "id": second.id}
    assert newest["account_type"] == "volunteer" and newest["created_at"]
    assert oldest["source"] == {"type": "service_record", "id": first.id}
    paged = client.get("/api/v1/accounts/me/entries?per_page=1&page=2", headers=bearer(volunteer))
    assert [e["id"] for e in paged.json["items"]] == [oldest["id"]]


def test_a_reversal_shows_as_a_negative_entry(client, community, volunteer):
    secretary = make_secretary(community)
    record = pending_hours(volunteer, community, "1.5")
    client.post(f"/api/v1/service-records/{record.id}/verify", headers=bearer(secretary))
    reversal = client.post(
        f"/api/v1/service-records/{record.id}/reverse",
        json={"reason": "活动未开展"},
        headers=bearer(secretary),
    ).json
    entries = client.get("/api/v1/accounts/me/entries", headers=bearer(volunteer)).json["items"]
    assert [(e["amount"], e["kind"]) for e in entries] == [(-15, "reversal"), (15, "hours")]
    assert entries[0]["source"] == {"type": "service_record", "id": reversal["id"]}
    assert client.get("/api/v1/accounts/me", headers=bearer(volunteer)).json["balance"] == 0


def test_points_held_for_a_redemption_are_shown_apart(client, community, volunteer):
    pool = ledger.account_for(AccountType.POOL, community.id)
    mine = ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    hold = ledger.account_for(AccountType.HOLD, community.id, volunteer.id)
    move(community, pool, mine, 40, key="test:earn")
    move(community, mine, hold, 15, kind=PostingKind.RESERVE, key="test:reserve")
    body = client.get("/api/v1/accounts/me", headers=bearer(volunteer)).json
    assert body["balance"] == 25 and body["held"] == 15
    assert [a["type"] for a in body["accounts"]] == ["volunteer"]
    entries = client.get("/api/v1/accounts/me/entries", headers=bearer(volunteer)).json["items"]
    assert [(e["account_type"], e["amount"]) for e in entries] == [
        ("hold", 15),
        ("volunteer", -15),
        ("volunteer", 40),
    ]
    only_hold = client.get(
        f"/api/v1/accounts/me/entries?account_id={hold.id}", headers=bearer(volunteer)
    ).json
    assert [e["amount"] for e in only_hold["items"]] == [15]


def test_a_liaison_sees_her_units_account(client, community):
    unit = make_unit(community, name="区税务局")
    liaison = make_liaison(unit)
    pool = ledger.account_for(AccountType.POOL, community.id)
    account = ledger.account_for(AccountType.UNIT, community.id, unit.id)
    move(community, pool, account, 100, kind=PostingKind.BADGE, key="test:badge")
    body = client.get("/api/v1/accounts/me", headers=bearer(liaison)).json
    assert body["balance"] == 100
    (row,) = body["accounts"]
    assert row["type"] == "unit" and row["owner_id"] == unit.id and row["owner_name"] == "区税务局"
    entries = client.get("/api/v1/accounts/me/entries", headers=bearer(liaison)).json
    assert [e["kind"] for e in entries["items"]] == ["badge"]


def test_someone_elses_account_is_404(client, community, volunteer):
    pool = ledger.account_for(AccountType.POOL, community.id)
    theirs = ledger.account_for(AccountType.VOLUNTEER, community.id, make_volunteer(community).id)
    move(community, pool, theirs, 10, key="test:theirs")
    response = client.get(
        f"/api/v1/accounts/me/entries?account_id={theirs.id}", headers=bearer(volunteer)
    )
    assert response.status_code == 404
    mine = client.get("/api/v1/accounts/me/entries", headers=bearer(volunteer)).json
    assert mine["total"] == 0


def test_a_resident_has_nothing_to_show(client, community):
    headers = bearer(make_resident(community))
    assert client.get("/api/v1/accounts/me", headers=headers).json["accounts"] == []
    assert client.get("/api/v1/accounts/me/entries", headers=headers).json["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "per_page=201", "account_id=一"])
def test_bad_paging_is_422(client, volunteer, query):
    response = client.get(f"/api/v1/accounts/me/entries?{query}", headers=bearer(volunteer))
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/accounts/me", "/api/v1/accounts/me/entries"])
def test_the_accounts_api_needs_a_token(client, path):
    assert client.get(path).status_code == 401


def test_openapi_documents_entries_with_their_source(client):
    spec = client.get("/api/v1/openapi.json").json
    entry = spec["components"]["schemas"]["EntryOut"]["properties"]
    assert {"amount", "kind", "kind_label", "memo", "source", "created_at"} <= set(entry)
    assert "404" in spec["paths"]["/api/v1/accounts/me/entries"]["get"]["responses"]
