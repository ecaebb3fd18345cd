"""The monthly_badges job: one community per transaction, so a run killed half way and run
again gives the same awards as one clean run."""

import pytest
import sqlalchemy as sa

from coop.badges import catalog
from coop.badges.models import Badge, BadgeAward
from coop.extensions import db
from coop.jobruns.models import JobRun, RunStatus
from jobs import JOBS
from tests.badges.conftest import NOW, PERIOD, add_hours, october_activity
from tests.factories import make_community, make_volunteer

pytestmark = pytest.mark.committed  # the job commits; each test gets a fresh database


@pytest.fixture
def fresh(app, tmp_path):
    from tests.conftest import _database_url, make_app

    fresh_app = make_app(_database_url("badges_job", tmp_path))
    with fresh_app.app_context(), fresh_app.test_request_context():
        yield fresh_app
        db.session.remove()
        db.engine.dispose()


def two_communities():
    for _ in range(2):
        community = make_community()
        volunteer = make_volunteer(community)
        add_hours(volunteer, october_activity(community, theme=True), 6)
    db.session.commit()


def awarded() -> set:
    db.session.expire_all()
    return set(
        db.session.execute(
            sa.select(Badge.code, BadgeAward.community_id, BadgeAward.holder_id).join(
                Badge, Badge.id == BadgeAward.badge_id
            )
        ).all()
    )


def test_the_job_awards_the_month_once(fresh):
    two_communities()
    job = JOBS["monthly_badges"]
    outcome = job.run(PERIOD)
    assert outcome.status == "ran"
    assert outcome.result["communities"] == 2 and outcome.result["granted"] == 4
    assert {code for code, _, _ in awarded()} == {catalog.THEME, catalog.HOURS_BRONZE}
    assert job.run(PERIOD).status == "already_done"


def test_the_job_runs_on_the_1st_for_the_month_just_ended(fresh):
    job = JOBS["monthly_badges"]
    assert job.trigger == {"day": 1, "hour": 1, "minute": 0}
    assert job.period_at(NOW) == PERIOD


def test_a_killed_run_resumes_to_the_same_awards(fresh):
    two_communities()
    job = JOBS["monthly_badges"]
    fresh.config["JOB_WORKERS"] = 1  # one at a time, so the kill comes after exactly one

    def killed_after_the_first_community(done: int) -> None:
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        job.run(PERIOD, progress=killed_after_the_first_community)
    half = awarded()
    assert len({community for _, community, _ in half}) == 1  # the first one was committed
    run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "monthly_badges"))
    assert run.status is RunStatus.FAILED
    assert job.run(PERIOD).status == "ran"
    assert len(awarded()) == 4 and half <= awarded()


def test_communities_are_awarded_side_by_side_to_the_same_awards(fresh):
    for _ in range(3):
        two_communities()
    fresh.config["JOB_WORKERS"] = 3
    outcome = JOBS["monthly_badges"].run(PERIOD)
    assert outcome.result["communities"] == 6 and outcome.result["granted"] == 12
    assert len(awarded()) == 12
