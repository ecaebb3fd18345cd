"""The clock decides when, the queue where: a tick queues the job, a worker runs it once."""

import pytest
import sqlalchemy as sa

from coop import queue
from coop.extensions import db
from coop.jobruns.models import JobRun
from jobs import clock

pytestmark = pytest.mark.committed


@pytest.fixture
def queued_app(tmp_path):
    from tests.conftest import _database_url, make_app

    app = make_app(
        _database_url("clock_queue", tmp_path),
        QUEUE_IMMEDIATE=False,
        QUEUE_SQLITE_PATH=str(tmp_path / "queue.sqlite3"),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def runs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(JobRun.name, JobRun.status))]


def test_a_tick_queues_the_job_and_a_worker_runs_it_once(queued_app):
    huey = queue.huey_of(queued_app)
    clock.run_due(queued_app, "expire_redemptions")
    clock.run_due(queued_app, "expire_redemptions")  # a second clock, or a late tick
    assert len(huey) == 2 and runs(queued_app) == []  # nothing ran in the clock
    huey.execute(huey.dequeue())  # what a worker does with each message
    huey.execute(huey.dequeue())
    [(job, status)] = runs(queued_app)  # the run-once guard: the second found it done
    assert job == "expire_redemptions" and status.value == "done"


def test_the_clock_catching_up_once_runs_the_job_itself(queued_app):
    clock.run_due(queued_app, "expire_redemptions", here=True)
    assert len(queue.huey_of(queued_app)) == 0
    assert [job for job, _ in runs(queued_app)] == ["expire_redemptions"]
