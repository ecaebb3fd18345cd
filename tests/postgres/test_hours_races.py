"""补录 racing through the API on PostgreSQL: the partial unique index on live records turns the
losers' inserts into the same 409 the check beforehand gives, and points post once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import ServiceRecord
from coop.ledger.models import Posting
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
STAFF = 10


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("hours", tmp_path_factory.mktemp("hours")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": STAFF + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def post_at_once(app, requests):
    """POST each (path, body, headers) from its own thread and client, all released at once."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, path, body, headers):
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(path, json=body, headers=headers)

    threads = [
        threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_staff_entering_the_same_hours_at_once_make_one_record_and_one_posting(race_app):
    with race_app.app_context():
        community = factories.make_community()
        volunteer = factories.make_volunteer(community)
        activity = factories.make_activity(community, starts_at=utcnow() - timedelta(days=1))
        staff = [factories.make_secretary(community) for _ in range(STAFF)]
        body = {
            "community_id": community.id,
            "volunteer_id": volunteer.id,
            "activity_id": activity.id,
            "hours": "1.5",
        }
        headers = [factories.bearer(s) for s in staff]
        verifier_id, volunteer_id = factories.make_secretary(community).id, volunteer.id
        db.session.commit()

    answers = post_at_once(race_app, [("/api/v1/service-records", body, h) for h in headers])
    assert sorted(a.status_code for a in answers) == [201] + [409] * (STAFF - 1)
    assert {a.json["code"] for a in answers if a.status_code == 409} == {"record_exists"}
    with race_app.app_context():
        (record_id,) = db.session.scalars(
            sa.select(ServiceRecord.id).where(ServiceRecord.volunteer_id == volunteer_id)
        ).all()
        with unit_of_work():
            verifier = db.session.get(factories.User, verifier_id)
            hours.verify_record(verifier, record_id, now=utcnow())
        with unit_of_work():
            hours.settle_points()
        postings = db.session.scalars(
            sa.select(Posting.idempotency_key).where(
                Posting.idempotency_key.like("service_record:%")
            )
        ).all()
        assert postings == [f"service_record:{record_id}"]


def test_staff_verifying_records_of_one_month_at_once_all_count_in_the_summary(race_app):
    """hours_monthly's ON CONFLICT increments: ten verifications of the same community and
    month committed at once leave the summary equal to the live sum."""
    from decimal import Decimal

    from coop.hours.models import RecordOrigin, RecordStatus
    from coop.hours.summary import MonthlyHours, live_hours

    with race_app.app_context():
        community = factories.make_community()
        staff = [factories.make_secretary(community) for _ in range(STAFF)]
        day = (utcnow() - timedelta(days=3)).date()
        records = []
        for i in range(STAFF):
            record = ServiceRecord(
                community_id=community.id,
                volunteer_id=factories.make_volunteer(community).id,
                service_date=day,
                hours=Decimal("1.5") + i,
                origin=RecordOrigin.CHECKIN,
                status=RecordStatus.PENDING,
            )
            db.session.add(record)
            db.session.flush()
            records.append(record.id)
        headers = [factories.bearer(s) for s in staff]
        community_id = community.id
        db.session.commit()

    answers = post_at_once(
        race_app,
        [
            (f"/api/v1/service-records/{r}/verify", {}, h)
            for r, h in zip(records, headers, strict=True)
        ],
    )
    assert [a.status_code for a in answers] == [200] * STAFF, [a.json for a in answers]
    with race_app.app_context():
        row = db.session.get(MonthlyHours, (community_id, day.replace(day=1)))
        live = db.session.execute(live_hours([community_id])).one()
        assert (row.hours, row.records) == (live.hours, live.records)
        assert row.hours == sum(Decimal("1.5") + i for i in range(STAFF))
