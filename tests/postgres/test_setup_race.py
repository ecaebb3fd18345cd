"""Two people setting up the same new installation at once: exactly one street is made."""

import pytest
import sqlalchemy as sa

from coop.alliance.models import Street
from coop.auth.models import User
from coop.extensions import db
from coop.setup import errors, first_run
from coop.setup.models import Installation
from coop.uow import unit_of_work
from tests.conftest import _database_url, make_app
from tests.factories import PASSWORD
from tests.postgres.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture
def empty_app(tmp_path):
    app = make_app(_database_url("setup_race", tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


def set_up_as(name: str):
    def job():
        with unit_of_work():
            return first_run.set_up(
                street_name=f"{name}街道",
                username=name,
                display_name=name,
                phone="",
                password=PASSWORD,
            ).id

    return job


def test_of_two_simultaneous_set_ups_exactly_one_wins(empty_app):
    outcomes = race(empty_app, [set_up_as("first"), set_up_as("second")])

    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, errors.AlreadySetUp)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].status == 409
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Street)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        assert db.session.get(Installation, 1).set_up_by_id == winners[0]


def test_the_database_itself_refuses_the_second_set_up(empty_app, monkeypatch):
    """Even when both pass the early check (it reads before either commits), the one
    installation row decides."""
    monkeypatch.setattr(first_run, "_found_in_database", lambda: False)

    outcomes = race(empty_app, [set_up_as("first"), set_up_as("second")])

    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadySetUp", "int"], outcomes
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Street)) == 1
