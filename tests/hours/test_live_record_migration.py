"""The migration to one live record per volunteer and activity settles the duplicates already
stored: pending extras are rejected, reversed originals are marked, and records verified twice
stop the upgrade with their ids (only a reversal, which posts to the ledger, corrects those)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from flask import current_app
from flask_migrate import downgrade, upgrade

from coop.dbtypes import utcnow
from coop.extensions import db
from tests import factories
from tests.conftest import ON_POSTGRES, _database_url, make_app

BEFORE = "5b1f0e2a9c4d"
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]

pytestmark = pytest.mark.committed


@pytest.fixture(params=BACKENDS)
def old_app(request, tmp_path):
    """A database at the revision before, with a community, its staff, five volunteers and a
    session held yesterday; ``ids`` holds their ids."""
    url = (
        _database_url("livemig", tmp_path)
        if request.param == "postgres" and ON_POSTGRES
        else f"sqlite:///{tmp_path}/livemig.sqlite3"
    )
    app = make_app(url)
    with app.app_context():
        community = factories.make_community()
        staff = factories.make_secretary(community)
        volunteers = [factories.make_volunteer(community) for _ in range(5)]
        activity = factories.make_activity(community, starts_at=utcnow() - timedelta(days=1))
        app.ids = {
            "community": community.id,
            "staff": staff.id,
            "volunteers": [v.id for v in volunteers],
            "activity": activity.id,
            "day": activity.starts_at.date(),
        }
        db.session.commit()
        downgrade(revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def insert(app, volunteer_id, status="pending", origin="entered", hours=1, reverses_id=None):
    ids = app.ids
    verified = status == "verified"
    row = db.session.execute(
        sa.text(
            "INSERT INTO service_records (community_id, volunteer_id, activity_id, service_date,"
            " hours, origin, status, note, entered_by_id, verified_by_id, reject_reason, points,"
            " reverses_id, created_at) VALUES (:c, :v, :a, :d, :h, :o, :s, '', :e, :vb, '', :p,"
            " :r, :now) RETURNING id"
        ),
        {
            "c": ids["community"],
            "v": volunteer_id,
            "a": ids["activity"],
            "d": ids["day"],
            "h": hours,
            "o": origin,
            "s": status,
            "e": ids["staff"] if origin != "checkin" else None,
            "vb": None,  # allowed by every CHECK; who verified does not matter here
            "p": hours * 10 if verified else None,
            "r": reverses_id,
            "now": utcnow(),
        },
    )
    return row.scalar()


def rows(app):
    return {
        r.id: r
        for r in db.session.execute(
            sa.text("SELECT id, status, reject_reason, reversed_at FROM service_records")
        )
    }


def test_upgrading_rejects_pending_duplicates_and_marks_reversed_originals(old_app):
    one, two, three, *_ = old_app.ids["volunteers"]
    with old_app.app_context():
        first, second = insert(old_app, one), insert(old_app, one)
        pending, verified = insert(old_app, two), insert(old_app, two, status="verified")
        reversed_ = insert(old_app, three, status="verified", origin="checkin", hours=2)
        reversal = insert(
            old_app, three, status="verified", origin="reversal", hours=-2, reverses_id=reversed_
        )
        corrected = insert(old_app, three)
        db.session.commit()
        upgrade()
        after = rows(old_app)
    assert after[first].status == "pending"
    assert after[second].status == "rejected" and f"#{first}" in after[second].reject_reason
    assert after[verified].status == "verified"
    assert after[pending].status == "rejected" and f"#{verified}" in after[pending].reject_reason
    assert after[reversed_].reversed_at is not None and after[reversal].reversed_at is None
    assert after[corrected].status == "pending"


def test_records_verified_twice_stop_the_upgrade_naming_them_and_change_nothing(old_app, caplog):
    four, five = old_app.ids["volunteers"][3:5]
    with old_app.app_context():
        a = insert(old_app, four, status="verified")
        b = insert(old_app, four, status="verified")
        pending = [insert(old_app, five), insert(old_app, five)]
        db.session.commit()
        config = current_app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match=rf"\[\[{a}, {b}\]\].*冲正"):
            command.upgrade(config, "head")  # flask db upgrade: the same, logged, exit 1
        statuses = db.session.execute(sa.text("SELECT status FROM service_records")).scalars()
        assert set(statuses) == {"verified", "pending"} and len(pending) == 2
        # Reversed through the app (here: by hand), the upgrade goes through.
        insert(old_app, four, status="verified", origin="reversal", hours=-1, reverses_id=b)
        db.session.commit()
        upgrade()
        assert rows(old_app)[b].reversed_at is not None
