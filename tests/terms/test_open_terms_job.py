"""The open_terms job: once per half year, through the run-once guard."""

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.notices.models import Notice
from coop.terms.models import PlanStatus, TermPlan
from coop.uow import unit_of_work
from jobs import JOBS
from tests.factories import make_community, make_secretary

pytestmark = pytest.mark.committed  # the guard commits; each test gets a fresh database


@pytest.fixture
def fresh(app, tmp_path):
    from tests.conftest import _database_url, make_app

    fresh_app = make_app(_database_url("terms_job", tmp_path))
    with fresh_app.test_request_context():
        yield fresh_app
        db.session.remove()
        db.engine.dispose()


def test_the_job_opens_the_half_year_once(fresh):
    with unit_of_work():
        community = make_community()
        make_secretary(community)
    job = JOBS["open_terms"]
    assert job.trigger == {"month": "1,7", "day": 1, "hour": 0, "minute": 30}
    first = job.run("2026H2")
    assert first.status == "ran"
    assert first.result == {"alliances": 1, "terms": 1, "plans": 1, "notices": 1}
    assert job.run("2026H2").status == "already_done"
    assert job.run("2026H2", force=True).result["notices"] == 0
    (plan,) = db.session.scalars(sa.select(TermPlan))
    assert plan.status is PlanStatus.AWAITING_DEPUTY and plan.term.name == "2026年下半年"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1
