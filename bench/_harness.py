"""What the benchmarks share: finding the server, making databases and apps, pgbench beside the
run, worker processes (or threads) that loop over requests on a shared clock, and a profile.

A benchmark gives the workers two module-level functions (picklable by name, so that spawned
processes find them): ``setup(app, n, args) -> state``, called once in each worker to warm up
(mappers, statement caches, prepared statements) and build its state, and ``step(app, state)``,
one request, returning its outcome (a status or a refusal's code), or None when the worker has
nothing left to do.
"""

import cProfile
import multiprocessing
import os
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("COOP_ENV", "development")  # the app refuses production without a secret

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
PGBENCH_SCRIPT = "\\set aid random(1, 100000)\n" + (
    "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
)

Setup = Callable[..., object]
Step = Callable[..., str | None]


def server_url() -> sa.URL:
    raw = os.environ.get("DATABASE_URL", "")
    if not raw.startswith(("postgres:", "postgresql")):
        sys.exit('DATABASE_URL must point at PostgreSQL (eval "$(scripts/services.sh env)")')
    return sa.make_url(re.sub(r"^postgres(ql)?(\+\w+)?:", "postgresql+psycopg:", raw))


def recreate(url: sa.URL, name: str) -> sa.URL:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name)


def make_app(url: sa.URL, pool: int, name: str = "bench", batch: bool = False):
    """``batch``: configured as the queue's worker and the clock are (coop.create_app). The
    engine keeps the options a deployment has (``coop.config.ENGINE_OPTIONS``: the pool's ping)."""
    from coop import create_app
    from coop.config import ENGINE_OPTIONS

    return create_app(
        {
            "BATCH": batch,
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                **ENGINE_OPTIONS,
                "pool_size": pool,
                "max_overflow": 0,
                "connect_args": {"application_name": name},
            },
        }
    )


def migrated_app(url: sa.URL, name: str, pool: int = 2):
    """The bench database, dropped, recreated and migrated: its URL and an app on it."""
    from flask_migrate import upgrade

    bench_url = recreate(url, name)
    app = make_app(bench_url, pool=pool)
    with app.app_context():
        upgrade()
    return bench_url, app


SECRETARY = "bench-secretary"


def seed_community():
    """The benchmark's community (压测社区, with its street and alliance) and its secretary,
    ``SECRETARY``; call it in an app context. Returns the community, flushed."""
    from coop.alliance.models import Alliance, Community, Street
    from coop.auth.models import Role, RoleGrant, User
    from coop.extensions import db

    street = Street(name="压测街道")
    community = Community(street=street, name="压测社区")
    db.session.add_all([street, community, Alliance(community=community, name="压测联盟")])
    db.session.flush()
    db.session.add(
        User(
            username=SECRETARY,
            display_name="书记",
            password_hash="-",
            grants=[RoleGrant(role=Role.SECRETARY, community=community)],
        )
    )
    db.session.flush()
    return community


def vacuum(app) -> None:
    from coop.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE")
        )


def statement_counter(app) -> list[int]:
    """A cell counting the SQL statements the app's engine sends."""
    from coop.extensions import db

    cell = [0]

    def count(*_args):
        cell[0] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    return cell


class Pgbench:
    """pgbench on a database of its own (``pgbench -i -s 1``), running the one-row UPDATE; or,
    with ``script`` and ``initialise=False``, that script on an existing database."""

    def __init__(
        self, url: sa.URL, database: str, script: str = PGBENCH_SCRIPT, *, initialise: bool = True
    ):
        self.url, self.database = url, database
        if initialise:
            recreate(url, database)
            self._call(["-i", "-q", "-s", "1"])
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
            file.write(script)
        self.script = file.name

    def _call(self, args: list[str]) -> str:
        command = [
            PGBENCH,
            "-h",
            "127.0.0.1",
            "-p",
            str(self.url.port or 5432),
            "-U",
            "postgres",
            *args,
            self.database,
        ]
        env = {**os.environ, "PGPASSWORD": self.url.password or ""}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode:  # e.g. a client aborted on an SQL error: say which
            raise RuntimeError(f"pgbench exited with {done.returncode}:\n{done.stderr}")
        return done.stdout

    def tps(self, clients: int, seconds: float, *, options: tuple[str, ...] = ()) -> float:
        """Transactions per second of ``clients`` clients for ``seconds``, ``-j 2``; ``options``
        such as ``-M prepared`` or ``-D name=value``. A client that failed is an error."""
        run = ["-n", "-f", self.script, "-T", str(int(seconds)), "-c", str(clients), "-j", "2"]
        out = self._call([*run, *options])
        failed = re.search(r"number of failed transactions: (\d+)", out)
        if failed and int(failed[1]):
            raise RuntimeError(f"pgbench: {failed[1]} transactions failed\n{out}")
        return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)[1])

    def close(self) -> None:
        os.unlink(self.script)


def _loop(app, step: Step, state, start_at: float, stop_at: float) -> dict:
    """One worker: requests until ``stop_at``; its outcome counts and latencies."""
    outcomes, latencies = Counter(), []
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu = time.process_time()
    while (began := time.monotonic()) < stop_at:
        outcome = step(app, state)
        if outcome is None:
            outcomes["ran_out"] += 1
            break
        outcomes[outcome] += 1
        latencies.append(time.monotonic() - began)
    return {
        "outcomes": outcomes,
        "latencies": latencies,
        "finished": time.monotonic(),
        "cpu": time.process_time() - cpu,  # threads: the whole process's, counted once
    }


def _process_worker(url, name, setup, step, n, args, seconds, ready, go, start, results):
    app = make_app(sa.make_url(url), pool=1, name=name)
    state = setup(app, n, args)
    statements = statement_counter(app)
    ready.put(n)
    go.wait()
    result = _loop(app, step, state, start.value, start.value + seconds)
    results.put({**result, "statements": statements[0]})


def _in_threads(app, setup, step, args, seconds) -> tuple[list[dict], float]:
    statements = statement_counter(app)
    barrier = threading.Barrier(len(args) + 1)
    times, results = {}, []

    def worker(n):
        state = setup(app, n, args[n])
        barrier.wait()
        barrier.wait()  # the main thread sets the clock in between
        results.append(_loop(app, step, state, times["start"], times["stop"]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(args))]
    for thread in threads:
        thread.start()
    barrier.wait()
    statements[0] = 0
    times["start"] = start_at = time.monotonic() + 0.2
    times["stop"] = start_at + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    results[0]["statements"] = statements[0]
    for result in results[1:]:
        result["cpu"] = 0
    return results, start_at


def _in_processes(url, name, setup, step, args, seconds, during) -> tuple[list[dict], float]:
    # Each process builds its own app first; the clock starts once all of them are ready.
    context = multiprocessing.get_context("spawn")
    ready, queue, go = context.Queue(), context.Queue(), context.Event()
    start = context.Value("d", 0.0)
    target = url.render_as_string(hide_password=False)
    procs = [
        context.Process(
            target=_process_worker,
            args=(target, name, setup, step, n, worker_args, seconds, ready, go, start, queue),
        )
        for n, worker_args in enumerate(args)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=600)
    start.value = start_at = time.monotonic() + 0.2  # CLOCK_MONOTONIC is system-wide
    go.set()
    stop = threading.Event()
    watcher = None
    if during is not None:
        watcher = threading.Thread(target=during, args=(start_at, stop))
        watcher.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    stop.set()
    if watcher is not None:
        watcher.join()
    for proc in procs:
        proc.join()
    return results, start_at


def run_workers(
    url: sa.URL,
    *,
    setup: Setup,
    step: Step,
    args: list,
    seconds: float,
    name: str = "bench",
    threads_app=None,
    during: Callable[[float, threading.Event], None] | None = None,
) -> dict:
    """One worker per item of ``args`` loops for ``seconds``: processes, each with its own
    ``create_app()`` and a one-connection pool (its connections named ``name``), or threads of
    ``threads_app`` when given. ``during(start_at, stop)`` runs in a thread alongside.

    Returns the outcomes, requests a second, p50/p95 latency (ms), and SQL statements and
    Python CPU (ms) a request.
    """
    if threads_app is not None:
        results, start_at = _in_threads(threads_app, setup, step, args, seconds)
    else:
        results, start_at = _in_processes(url, name, setup, step, args, seconds, during)
    outcomes = sum((r["outcomes"] for r in results), Counter())
    latencies = sorted(x for r in results for x in r["latencies"])
    elapsed = max(r["finished"] for r in results) - start_at
    done = len(latencies)
    return {
        "outcomes": outcomes,
        "elapsed": elapsed,
        "statements": sum(r.get("statements", 0) for r in results) / max(done, 1),
        "cpu": 1000 * sum(r["cpu"] for r in results) / max(done, 1),
        "rate": done / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000 if latencies else 0,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0,
    }


def sample_waits(
    url: sa.URL, name: str, start_at: float, stop: threading.Event, *, waits: Counter
) -> None:
    """What the workers' server connections are doing, sampled every 20 ms during the run:
    idle (the worker is in Python between requests), idle in transaction (in Python inside
    one), waiting for a lock (a hot row), or active (the server is working)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    query = sa.text(
        "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
        " WHERE application_name = :name"
    )
    with engine.connect() as connection:
        while time.monotonic() < start_at:
            time.sleep(0.005)
        while not stop.wait(0.02):
            for state, wait_type, wait in connection.execute(query, {"name": name}):
                if state == "active" and wait_type == "Lock":
                    waits["waiting for a lock"] += 1
                elif state == "active":
                    waits["active" + (f" ({wait_type}: {wait})" if wait_type else "")] += 1
                else:
                    waits[state] += 1
    engine.dispose()


AREAS = [
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("psycopg, including the wait for the server", ("/psycopg/", "/psycopg_binary/", "psycopg")),
    ("Coop's own code", ("/coop/",)),
    ("Flask, Werkzeug, Jinja and Babel", ("/flask", "/werkzeug/", "/jinja2/", "/babel/")),
]


def _area(filename: str, function: str) -> str:
    where = function if filename == "~" else filename
    for area, marks in AREAS:
        if any(mark in where for mark in marks):
            return area
    return "other (stdlib, built-ins, the benchmark)"


def profile(app, setup: Setup, step: Step, args, seconds: float, top: int = 12) -> str:
    """One uncontended worker in this process for ``seconds`` under cProfile: wall and CPU a
    request, statements a request, own time by area, and the functions with most own time."""
    state = setup(app, 0, args)
    statements = statement_counter(app)
    profiler = cProfile.Profile()
    outcomes, began, cpu = Counter(), time.monotonic(), time.process_time()
    profiler.enable()
    while time.monotonic() - began < seconds:
        outcomes[step(app, state)] += 1
    profiler.disable()
    wall, cpu = time.monotonic() - began, time.process_time() - cpu
    done = sum(outcomes.values())
    stats = pstats.Stats(profiler)
    areas: Counter = Counter()
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        areas[_area(filename, function)] += own
    total = sum(areas.values()) or 1
    lines = [
        f"profile: 1 worker, {done} requests in {wall:.1f} s under cProfile"
        f" ({', '.join(f'{k} {v}' for k, v in outcomes.most_common())}):"
        f" {1000 * wall / done:.1f} ms wall and {1000 * cpu / done:.1f} ms CPU a request"
        f" (cProfile inflates both), {statements[0] / done:.1f} SQL statements a request",
        "  own time by area:",
        *(f"    {area:<45} {100 * own / total:5.1f} %" for area, own in areas.most_common()),
        f"  top {top} functions by own time:",
    ]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in rows:
        short = filename if filename == "~" else re.sub(r".*site-packages/|.*/main/", "", filename)
        lines.append(
            f"    {100 * own / total:5.1f} %  {calls:>7} calls  {short}:{line}({function})"
        )
    return "\n".join(lines)
