"""Sign-ups, verification and settlement racing on PostgreSQL."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.activities import service as activities
from coop.errors import DomainError
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.ledger.models import Posting
from coop.timeutil import local_today
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
VOLUNTEERS = 100


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("activities", tmp_path_factory.mktemp("activities")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": VOLUNTEERS + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def race(app, jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = job()
            except DomainError as error:
                outcomes[index] = error.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def as_user(user_id, action):
    def job():
        actor = db.session.get(factories.User, user_id)
        with unit_of_work(actor):
            result = action(actor)
        return result

    return job


def test_a_hundred_sign_ups_for_ten_seats_seat_exactly_ten(race_app):
    with race_app.app_context():
        community = factories.make_community()
        activity = factories.make_activity(community, capacity=10)
        volunteers = [factories.make_volunteer(community).id for _ in range(VOLUNTEERS)]
        activity_id, before = activity.id, activity.starts_at - timedelta(days=1)
        db.session.commit()

    def sign_up(actor):
        return activities.sign_up(actor, activity_id, now=before).status.value

    outcomes = race(race_app, [as_user(v, sign_up) for v in volunteers])
    assert outcomes.count("confirmed") == 10
    assert outcomes.count("activity_full") == VOLUNTEERS - 10
    with race_app.app_context():
        seated = db.session.execute(
            sa.text("SELECT confirmed_count FROM activities WHERE id = :id"), {"id": activity_id}
        ).scalar()
        assert seated == 10


def test_one_volunteer_racing_for_overlapping_sessions_gets_one(race_app):
    with race_app.app_context():
        community = factories.make_community()
        first = factories.make_activity(community)
        others = [factories.make_activity(community, starts_at=first.starts_at) for _ in range(5)]
        volunteer = factories.make_volunteer(community).id
        ids, before = [first.id, *(a.id for a in others)], first.starts_at - timedelta(days=1)
        db.session.commit()

    outcomes = race(
        race_app,
        [
            as_user(
                volunteer, lambda actor, i=i: activities.sign_up(actor, i, now=before).status.value
            )
            for i in ids
        ],
    )
    assert outcomes.count("confirmed") == 1
    assert outcomes.count("overlapping_signup") == 5


def _pending_record(community, volunteer):
    record = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        service_date=local_today(),
        hours=Decimal(2),
        origin=RecordOrigin.CHECKIN,
    )
    db.session.add(record)
    db.session.flush()
    return record


def postings_for(record_ids):
    keys = [f"service_record:{i}" for i in record_ids]
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Posting).where(Posting.idempotency_key.in_(keys))
    )


def test_verifying_the_same_record_from_two_sessions_posts_once(race_app):
    with race_app.app_context():
        community = factories.make_community()
        record = _pending_record(community, factories.make_volunteer(community))
        secretaries = [factories.make_secretary(community).id for _ in range(2)]
        record_id, when = record.id, record.created_at
        db.session.commit()

    outcomes = race(
        race_app,
        [
            as_user(s, lambda actor: hours.verify_record(actor, record_id, now=when).status.value)
            for s in secretaries
        ],
    )
    assert sorted(outcomes) == ["illegal_transition", "verified"]
    with race_app.app_context():
        assert postings_for([record_id]) == 1


def test_settle_points_run_twice_at_once_posts_once_per_record(race_app):
    with race_app.app_context():
        community = factories.make_community()
        secretary = factories.make_secretary(community)
        ids = []
        for _ in range(20):
            record = _pending_record(community, factories.make_volunteer(community))
            record.status, record.verified_by_id = RecordStatus.VERIFIED, secretary.id
            ids.append(record.id)
        db.session.commit()

    def settle():
        with unit_of_work():
            posted = hours.settle_points()
        return posted

    outcomes = race(race_app, [settle, settle])
    assert sum(outcomes) == 20
    with race_app.app_context():
        assert postings_for(ids) == 20
