"""志愿服务记录证明 and her totals: the rules (service level)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.certificates import service
from coop.certificates.models import Certificate
from coop.errors import Conflict, Invalid, NotFound
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.hours.queries import star_level, volunteer_totals
from tests.documents.helpers import served
from tests.factories import make_community, make_secretary, make_volunteer

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def community(ctx):
    return make_community(address="幸福路1号党群服务中心")


@pytest.fixture
def secretary(community):
    return make_secretary(community, display_name="王书记")


@pytest.fixture
def clerk(community):
    return make_secretary(community, display_name="刘干事")


@pytest.fixture
def volunteer(community):
    return make_volunteer(community, display_name="张小燕")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))


@pytest.mark.parametrize(
    ("hours", "stars"),
    [
        ("0", 0),
        ("99.99", 0),
        ("100", 1),
        ("299.99", 1),
        ("300", 2),
        ("600", 3),
        ("999.99", 3),
        ("1000", 4),
        ("1499.99", 4),
        ("1500", 5),
        ("20000", 5),
    ],
)
def test_star_level_follows_the_national_thresholds_at_their_edges(hours, stars):
    assert star_level(Decimal(hours)) == stars


def test_only_verified_unreversed_hours_count_and_entered_hours_are_apart(
    community, secretary, clerk, volunteer
):
    served(volunteer, community, secretary, 2)
    served(volunteer, community, secretary, "1.5")
    served(volunteer, community, secretary, 3, status=RecordStatus.PENDING)
    served(volunteer, community, secretary, 4, status=RecordStatus.REJECTED)
    served(volunteer, community, clerk, "2.5", origin=RecordOrigin.ENTERED, entered_by=secretary)
    reversed_one = served(volunteer, community, secretary, 5)
    reversed_one.reversed_at = NOW
    db.session.add(
        ServiceRecord(
            community_id=community.id,
            volunteer_id=volunteer.id,
            service_date=reversed_one.service_date,
            hours=Decimal(-5),
            origin=RecordOrigin.REVERSAL,
            status=RecordStatus.VERIFIED,
            verified_by_id=secretary.id,
            reverses_id=reversed_one.id,
        )
    )
    db.session.flush()
    totals = volunteer_totals(volunteer.id)
    assert (totals.checkin, totals.entered, totals.total) == (Decimal("3.5"), Decimal("2.5"), 6)
    assert totals.records == 3
    # the ledger of her verified rows, reversals included, agrees with the one sum
    ledger = db.session.scalar(
        sa.select(sa.func.sum(ServiceRecord.hours)).where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.status == RecordStatus.VERIFIED,
        )
    )
    assert totals.total == ledger


def test_certificate_total_is_her_verified_hours_from_the_one_sum(
    community, secretary, clerk, volunteer
):
    served(volunteer, community, secretary, 2)
    served(volunteer, community, secretary, 3, status=RecordStatus.PENDING)
    served(volunteer, community, clerk, "1.25", origin=RecordOrigin.ENTERED, entered_by=secretary)
    certificate = service.issue(secretary, volunteer.id, now=NOW)
    totals = volunteer_totals(volunteer.id, community_id=community.id)
    records = db.session.scalars(
        sa.select(ServiceRecord.hours).where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.status == RecordStatus.VERIFIED,
        )
    ).all()
    assert certificate.hours_total == totals.total == sum(records) == Decimal("3.25")
    assert certificate.hours_entered == Decimal("1.25")
    assert certificate.records_count == 2
    snap = certificate.snapshot
    assert [r["entered"] for r in snap["records"]] == [False, True] or [
        r["entered"] for r in snap["records"]
    ] == [True, False]
    assert snap["totals"]["entered"] == "1.25"
    assert snap["issuer"] == {
        "community": community.name,
        "street": community.street.name,
        "person_in_charge": "王书记",
        "handler": "王书记",
        "contact": "幸福路1号党群服务中心",
    }
    assert snap["volunteer"]["id_type"] == "" and snap["volunteer"]["number"] == (
        f"V{volunteer.id:08d}"
    )
    assert len(certificate.snapshot_hash) == 64


def test_certificates_are_numbered_by_year_and_unique(community, secretary, volunteer):
    served(volunteer, community, secretary, 2)
    first = service.issue(volunteer, volunteer.id, now=NOW)
    second = service.issue(volunteer, volunteer.id, now=NOW)
    assert first.number == f"XW-2026-{first.id:06d}"
    assert second.number == f"XW-2026-{second.id:06d}" != first.number
    assert first.code != second.code
    assert first.snapshot["issuer"]["handler"] == "本人自助出具"


def test_no_verified_hours_is_a_conflict_and_writes_nothing(community, secretary, volunteer):
    served(volunteer, community, secretary, 3, status=RecordStatus.PENDING)
    with pytest.raises(Conflict) as refused:
        service.issue(volunteer, volunteer.id, now=NOW)
    assert refused.value.code == "no_verified_hours"
    assert _count() == 0


def test_staff_of_another_community_and_other_volunteers_cannot_issue(
    community, secretary, volunteer
):
    served(volunteer, community, secretary, 2)
    other = make_community()
    for actor in (make_secretary(other), make_volunteer(community)):
        with pytest.raises(NotFound):
            service.issue(actor, volunteer.id, now=NOW)
    assert _count() == 0


def test_revoking_needs_a_reason_and_happens_once(community, secretary, volunteer):
    served(volunteer, community, secretary, 2)
    certificate = service.issue(secretary, volunteer.id, now=NOW)
    with pytest.raises(Invalid):
        service.revoke(secretary, certificate.id, reason="  ", now=NOW)
    assert certificate.revoked_at is None
    with pytest.raises(NotFound):
        service.revoke(make_secretary(make_community()), certificate.id, reason="错误", now=NOW)
    service.revoke(secretary, certificate.id, reason="时长有误", now=NOW)
    assert certificate.revoked_at == NOW and certificate.revoke_reason == "时长有误"
    with pytest.raises(Conflict):
        service.revoke(secretary, certificate.id, reason="再次", now=NOW)
