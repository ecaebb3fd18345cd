"""jobs.parallel.each: a job's communities on a few connections at once, each in its own unit
of work; a failure stops the rest from starting and is raised."""

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from flask import current_app

from coop.extensions import db
from jobs import parallel

# SQLite runs one at a time; the tests' usual single shared connection would hide the workers' own.
pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture
def workers(app):
    app.config["JOB_WORKERS"] = 2
    yield 2
    app.config["JOB_WORKERS"] = 2


def test_items_run_on_their_own_connections_and_counts_add_up(ctx, workers):
    backends, heard = set(), []
    lock = threading.Lock()
    # The first two items each take their connection, then wait for each other: both are held
    # at once, so they must be two. (Asking after the wait let one item finish and hand its
    # pooled connection to the other on a loaded machine.)
    together = threading.Barrier(workers, timeout=30)

    def one(item):
        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        if item <= workers:
            together.wait()
            with lock:
                backends.add(backend)
        return Counter(items=1, total=item)

    totals = parallel.each(range(1, 9), one, heard.append)
    assert totals == Counter(items=8, total=36)
    assert sorted(heard) == list(range(1, 9))
    assert len(backends) == workers


def test_a_failure_stops_the_items_not_yet_started_and_is_raised(ctx, workers):
    started = []

    def one(item):
        started.append(item)
        if item == 2:
            raise RuntimeError("community 2 failed")
        time.sleep(0.05)
        return Counter(items=1)

    with pytest.raises(RuntimeError, match="community 2 failed"):
        parallel.each(range(1, 9), one, lambda done: None)
    assert len(started) < 8


def test_one_worker_when_configured_so(ctx):
    current_app.config["JOB_WORKERS"] = 1
    try:
        assert parallel.workers() == 1
    finally:
        current_app.config["JOB_WORKERS"] = 2
