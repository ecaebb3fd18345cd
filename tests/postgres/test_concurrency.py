"""Rules that must hold when requests race: only PostgreSQL's row locks can prove them."""

import threading

import pytest
import sqlalchemy as sa

from coop.alliance import errors, service
from coop.alliance.models import Agreement, Membership
from coop.errors import DomainError
from coop.extensions import db
from coop.timeutil import local_today
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(_database_url("race", tmp_path_factory.mktemp("race")))
    yield app
    with app.app_context():
        db.engine.dispose()


def race(app, jobs):
    """Run each job in its own thread, app context and transaction, all released at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = job()
            except DomainError as error:
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_links_never_put_a_unit_in_more_than_three_communities(race_app):
    with race_app.app_context():
        street = factories.make_street()
        communities = [factories.make_community(street) for _ in range(6)]
        unit = factories.make_unit()
        secretaries = [factories.make_secretary(c) for c in communities]
        ids = [(s.id, c.id) for s, c in zip(secretaries, communities, strict=True)]
        unit_id = unit.id
        db.session.commit()

    def link(secretary_id, community_id):
        def job():
            actor = db.session.get(factories.User, secretary_id)
            with unit_of_work(actor):
                service.link_unit(actor, community_id, unit_id, joined_on=local_today())
            return "linked"

        return job

    outcomes = race(race_app, [link(*pair) for pair in ids])
    assert outcomes.count("linked") == 3
    assert sum(isinstance(o, errors.TooManyCommunities) for o in outcomes) == 3
    with race_app.app_context():
        count = (
            sa.select(sa.func.count()).select_from(Membership).where(Membership.unit_id == unit_id)
        )
        assert db.session.scalar(count) == 3


def test_concurrent_agreements_for_one_period_record_exactly_one(race_app):
    with race_app.app_context():
        community = factories.make_community()
        unit = factories.make_unit(community, live=False)
        secretary = factories.make_secretary(community)
        ids = (secretary.id, community.id, unit.id)
        db.session.commit()
    today = local_today()

    def record():
        actor = db.session.get(factories.User, ids[0])
        with unit_of_work(actor):
            service.record_agreement(
                actor,
                ids[1],
                ids[2],
                signed_on=today,
                starts_on=today,
                ends_on=today.replace(year=today.year + 1),
                scope="并发签订",
            )
        return "recorded"

    outcomes = race(race_app, [record for _ in range(8)])
    assert outcomes.count("recorded") == 1
    assert all(isinstance(o, errors.AgreementOverlaps) for o in outcomes if o != "recorded")
    with race_app.app_context():
        count = sa.select(sa.func.count()).select_from(Agreement).where(Agreement.unit_id == ids[2])
        assert db.session.scalar(count) == 1
