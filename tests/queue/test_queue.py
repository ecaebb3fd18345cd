"""The queue hands work over only after the commit, and runs it in an app context of its own."""

import pytest
from flask import current_app

from coop import queue
from coop.uow import unit_of_work

RAN: list = []


@queue.task()
def remember(value):
    RAN.append((value, current_app.name))


@pytest.fixture(autouse=True)
def _clear():
    RAN.clear()


def test_a_task_runs_once_the_unit_of_work_commits(ctx):
    with unit_of_work():
        queue.enqueue(remember, 7)
        assert RAN == []  # not yet: the change it follows is not committed
    assert RAN == [(7, "coop")]


def test_a_rolled_back_unit_of_work_queues_nothing(ctx):
    with pytest.raises(RuntimeError), unit_of_work():
        queue.enqueue(remember, 8)
        raise RuntimeError("refused")
    assert RAN == []


def test_each_app_has_its_own_queue(app, tmp_path):
    from tests.conftest import make_app

    other = make_app(
        f"sqlite:///{tmp_path}/other.sqlite3",
        QUEUE_IMMEDIATE=False,
        QUEUE_SQLITE_PATH=str(tmp_path / "queue.sqlite3"),
    )
    assert queue.huey_of(app).immediate
    huey = queue.huey_of(other)
    assert not huey.immediate
    with other.app_context():
        queue.enqueue_now(remember, 9)
    assert RAN == []  # waiting in the other app's queue for a worker
    assert len(huey) == 1
