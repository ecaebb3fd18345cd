"""The task queue: everything that runs outside a request goes through Huey.

A feature declares its work with ``@task()`` (in a module named in ``TASK_MODULES``)
and hands it over with ``enqueue(fn, *args)`` — always after the current unit of work commits,
so a rolled-back request queues nothing and the worker reads committed rows. Tasks receive ids,
never ORM objects, and must be safe to run twice: a worker killed mid-task loses that message,
and the sweeps that recover such work (imports, notice deliveries) run it again.

Each app has its own Huey, built from its settings (so several apps, as in the tests, never share
a queue): Redis when ``REDIS_URL`` is set — several workers on several machines share it — and
otherwise a SQLite file beside the database in the instance folder. ``QUEUE_IMMEDIATE`` runs each
task in the process that queued it, right after the commit (the unit tests; a single-process
deployment without a worker). The ``worker`` process (``python -m jobs.worker``) consumes it.
"""

import functools
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from coop.uow import after_commit

# Modules whose import declares tasks; the web app and the worker both import them, so each
# knows every task by name.
TASK_MODULES: tuple[str, ...] = (
    "coop.importing",
    "coop.needs.imports",  # the import kinds register themselves
    "coop.people.imports",
    "coop.notices.tasks",
    "coop.printables.ledger",  # the monthly 台账
    "coop.certificates.pdfs",  # a certificate's PDF, made once when issued
    "jobs.tasks",  # the clock's jobs, run by a worker
)

_DECLARED: dict[str, tuple[Callable, dict]] = {}
_KEY = "coop.queue"


def task(**settings) -> Callable[[Callable], Callable]:
    """Declare ``fn`` a task (Huey's settings: ``retries``, ``retry_delay``, ``retry_backoff``,
    ``priority``). It runs inside an app context of the app that consumes it."""

    def declare(fn: Callable) -> Callable:
        name = f"{fn.__module__}.{fn.__qualname__}"
        _DECLARED[name] = (fn, settings)
        fn.task_name = name
        return fn

    return declare


def init_app(app: Flask) -> None:
    for module in TASK_MODULES:
        import_module(module)
    huey = _build(app)
    tasks = {name: _register(huey, app, name, fn, s) for name, (fn, s) in _DECLARED.items()}
    app.extensions[_KEY] = (huey, tasks)


def huey_of(app: Flask) -> Huey:
    return app.extensions[_KEY][0]


def enqueue(fn: Callable, *args) -> None:
    """Queue ``fn(*args)`` once the current unit of work has committed."""
    wrapper = _wrapper(current_app._get_current_object(), fn)
    after_commit(lambda: wrapper(*args))


def enqueue_now(fn: Callable, *args) -> None:
    """Queue ``fn(*args)`` at once: for callers outside a unit of work (the clock, the CLI)."""
    _wrapper(current_app._get_current_object(), fn)(*args)


def _wrapper(app: Flask, fn: Callable) -> TaskWrapper:
    tasks = app.extensions[_KEY][1]
    name = fn.task_name
    if name not in tasks:  # declared after the app was built (a module imported late)
        tasks[name] = _register(huey_of(app), app, name, *_DECLARED[name])
    return tasks[name]


def _build(app: Flask) -> Huey:
    name = app.config.get("QUEUE_NAME") or "coop"
    if app.config.get("QUEUE_IMMEDIATE"):
        return Huey(name, results=False, immediate=True)
    if url := app.config.get("REDIS_URL"):
        return RedisHuey(name, results=False, url=url)
    path = app.config.get("QUEUE_SQLITE_PATH") or str(Path(app.instance_path) / "queue.sqlite3")
    return SqliteHuey(name, results=False, filename=path)


def _register(huey: Huey, app: Flask, name: str, fn: Callable, settings: dict) -> TaskWrapper:
    @functools.wraps(fn)
    def run(*args):
        with app.app_context():
            return fn(*args)

    return huey.task(name=fn.__qualname__, **settings)(run)  # Huey prefixes the module


def enqueue_at(eta: datetime, fn: Callable, *args) -> None:
    """Queue ``fn(*args)`` to run at ``eta`` (an aware datetime) once the current unit of work
    has committed; a worker's scheduler holds it until then."""
    wrapper = _wrapper(current_app._get_current_object(), fn)
    after_commit(lambda: wrapper.schedule(args, eta=eta))
