"""A real consumer for tests: ``with running_worker(app, **env) as worker:`` runs
``python -m jobs.worker`` in a subprocess against ``app``'s committed database and queue, and
stops it afterwards.

``app`` is built with ``make_app(url, QUEUE_IMMEDIATE=False, QUEUE_SQLITE_PATH=…,
QUEUE_NAME=<unique>)`` (or ``REDIS_URL=…`` for the Redis queue); the worker gets the same
settings through its environment, plus ``env`` (other settings the tasks need, as strings).
``worker.stop()`` sends SIGINT (Huey finishes running tasks), ``worker.kill()`` SIGKILL — for
tests of what a dead worker leaves behind; ``worker.output()`` is what it logged.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTED = "consumer started"  # Huey logs "Huey consumer started with N thread(s)"


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log
        self.final_output: str | None = None  # kept once the log's folder is gone

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if self.final_output is not None:
            return self.final_output
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_started(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while STARTED not in self.output():
            if not self.alive():
                raise RuntimeError(f"the worker exited at start:\n{self.output()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the worker did not start in {timeout}s:\n{self.output()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=timeout)

    def kill(self) -> int:
        if self.alive():
            self.process.kill()
        return self.process.wait(timeout=30)


def worker_environment(app, **env) -> dict[str, str]:
    """The environment under which ``python -m jobs.worker`` builds the same queue as ``app``."""
    config = app.config
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "QUEUE_SQLITE_PATH", "QUEUE_IMMEDIATE", "PYTEST_XDIST_WORKER")
    }
    environment.update(
        DATABASE_URL=str(config["SQLALCHEMY_DATABASE_URI"]),
        SECRET_KEY=config["SECRET_KEY"],
        COOP_ENV="testing",
        QUEUE_NAME=config.get("QUEUE_NAME") or "coop",
        QUEUE_IMMEDIATE="0",
        PYTHONUNBUFFERED="1",
    )
    if config.get("REDIS_URL"):
        environment["REDIS_URL"] = config["REDIS_URL"]
    else:
        if not config.get("QUEUE_SQLITE_PATH"):
            raise ValueError("give the app QUEUE_SQLITE_PATH (or REDIS_URL): the worker shares it")
        environment["QUEUE_SQLITE_PATH"] = config["QUEUE_SQLITE_PATH"]
    environment.update({key: str(value) for key, value in env.items()})
    return environment


@contextmanager
def running_worker(app, *, workers: int = 1, **env):
    """Start a consumer of ``app``'s queue, wait until it consumes, stop it on the way out."""
    if config_immediate := app.config.get("QUEUE_IMMEDIATE"):
        raise ValueError(f"QUEUE_IMMEDIATE={config_immediate}: build the app with it off")
    with tempfile.TemporaryDirectory(prefix="coop-worker-") as folder:
        log = Path(folder) / "worker.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "jobs.worker", "--workers", str(workers)],
                cwd=ROOT,
                env=worker_environment(app, **env),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log)
        try:
            worker.wait_started()
            yield worker
        finally:
            worker.stop()
            worker.final_output = worker.output()
