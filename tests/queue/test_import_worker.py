"""Imports run by a real worker process: an upload is imported by it, and a worker killed in
the middle of an import leaves nothing half-written — the next worker finishes it exactly once.
Run on the SQLite queue and, where Redis is given, on the Redis queue."""

import io
import os
import time
import uuid

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from coop.auth import service as auth_service
from coop.auth.current import SESSION_KEY
from coop.extensions import db
from coop.needs import excel
from coop.needs.imports import ImportJob, ImportStatus
from coop.needs.models import Need
from tests.conftest import _database_url, make_app
from tests.factories import csrf, make_community, make_secretary
from tests.queue.worker import running_worker

ROWS = excel.MAX_ROWS
STALE_SECONDS = 1

pytestmark = pytest.mark.committed


def _queues():
    yield pytest.param("sqlite", id="sqlite-queue")
    if os.environ.get("REDIS_URL"):
        yield pytest.param("redis", id="redis-queue", marks=pytest.mark.redis)


@pytest.fixture(params=list(_queues()))
def queued_app(request, tmp_path):
    queue = {"QUEUE_NAME": f"coop-test-{uuid.uuid4().hex[:8]}", "QUEUE_IMMEDIATE": False}
    if request.param == "redis":
        queue["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        queue["QUEUE_SQLITE_PATH"] = str(tmp_path / "queue.sqlite3")
    app = make_app(
        _database_url("import_worker", tmp_path), IMPORT_STALE_SECONDS=STALE_SECONDS, **queue
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def _workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in excel.COLUMNS])
    good = {
        "title": "楼道灯不亮",
        "category": "便民服务",
        "source": "入户走访",
        "beneficiary_group": "老年人",
    }
    for n in range(rows):
        sheet.append([f"需求{n}" if c.key == "title" else good.get(c.key) for c in excel.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(app, rows: int) -> int:
    """The secretary uploads a sheet through the page; the job waits in the queue."""
    with app.app_context():
        community = make_community()
        secretary = make_secretary(community)
        session_id = auth_service.start_session(secretary)
        db.session.commit()
        community_id = community.id
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = session_id
    path = f"/communities/{community_id}/needs/import"
    form = {"csrf_token": csrf(client, path), "file": (io.BytesIO(_workbook(rows)), "a.xlsx")}
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def _job(app, job_id: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        return job


def _needs(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Need))


def _wait(app, job_id: int, done, worker, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while not done(job := _job(app, job_id)):
        assert time.monotonic() < deadline, (
            f"job still {job.status} at {job.processed_rows}; the worker said:\n{worker.output()}"
        )
        time.sleep(0.05)
    return job


def test_an_upload_is_imported_by_the_worker(queued_app):
    job_id = _upload(queued_app, 450)
    assert _job(queued_app, job_id).status is ImportStatus.QUEUED  # nobody has run it yet
    with running_worker(queued_app) as worker:
        job = _wait(queued_app, job_id, lambda j: not j.is_running, worker)
    assert job.status is ImportStatus.DONE and job.processed_rows == 450
    assert job.attempts == 1 and _needs(queued_app) == 450
    with queued_app.app_context():  # the workbook (phones) is not kept once it is done
        assert db.session.get(ImportJob, job_id).upload is None


def test_a_worker_killed_mid_import_leaves_nothing_and_the_next_one_finishes_it_once(
    queued_app,
):
    job_id = _upload(queued_app, ROWS)
    with running_worker(queued_app) as worker:
        _wait(queued_app, job_id, lambda j: j.processed_rows > 0 or not j.is_running, worker)
        worker.kill()
    killed = _job(queued_app, job_id)
    assert killed.is_running, "the import finished before the worker could be killed"
    assert killed.attempts == 1 and _needs(queued_app) == 0  # nothing half-written

    time.sleep(STALE_SECONDS + 0.5)  # its heartbeat is old: the next worker takes it up
    with running_worker(queued_app, IMPORT_STALE_SECONDS=STALE_SECONDS) as worker:
        job = _wait(queued_app, job_id, lambda j: not j.is_running, worker)
        assert "'requeued': 1" in worker.output()
    assert job.status is ImportStatus.DONE, job.message
    assert job.attempts == 2 and job.processed_rows == ROWS
    assert _needs(queued_app) == ROWS  # exactly once
