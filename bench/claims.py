"""Claims per second through the service layer, beside pgbench on the same PostgreSQL.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/claims.py [--seconds 10] [--workers 8,32] [--threads]

DATABASE_URL only names the server: the script (re)creates its own databases there, ``coop_bench``
(migrated, then one community, 1,000 published team projects with 1–5 slots, half of them
auto-approved, and 300 units with live agreements and liaisons) and ``coop_pgbench``
(``pgbench -i -s 1``). For each worker count it then runs, one after the other:

- claims: every worker loops for ``--seconds``, each request a random liaison claiming a random
  project with ``coop.claims.service.claim_project`` inside ``unit_of_work``, in a fresh app
  context like a web request (the actor is loaded each time). Refusals (ProjectFull,
  AlreadyClaimed, TooManyOpenClaims) are completed requests and are counted apart. Workers are
  processes, each with its own ``create_app()`` (the GIL would otherwise cap threads at one
  core); ``--threads`` runs them as threads of one process instead.
- pgbench: a one-row UPDATE per transaction, same client count and duration, ``-j 2``.

Between runs the claims are deleted and the projects reset, so each run starts alike. After each
run SQL counts projects whose approved claims exceed their slots ("oversold", must be 0) and
projects whose ``approved_count`` disagrees with their claims ("drift", must be 0).
"""

import argparse
import contextlib
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COOP_ENV", "development")  # the app refuses production without a secret

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
BENCH_DB = "coop_bench"
PGBENCH_DB = "coop_pgbench"
PROJECTS, UNITS = 1000, 300
PGBENCH_SCRIPT = "\\set aid random(1, 100000)\n" + (
    "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
)


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


def make_app(url: sa.URL, pool: int):
    from coop import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool, "max_overflow": 0},
        }
    )


def seed(app) -> None:
    """A community, its units (live agreement + liaison each) and published projects."""
    from coop.alliance.models import (
        Agreement,
        Alliance,
        Community,
        Membership,
        Street,
        Unit,
        UnitKind,
    )
    from coop.auth.models import Role, RoleGrant, User
    from coop.categories import Category
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.projects.models import Project, ProjectMode, ProjectStatus

    rng = random.Random(7)
    today, now = date.today(), utcnow()
    with app.app_context():
        street = Street(name="压测街道")
        community = Community(street=street, name="压测社区")
        db.session.add_all([street, community, Alliance(community=community, name="压测联盟")])
        db.session.flush()
        db.session.add(
            User(
                username="bench-secretary",
                display_name="书记",
                password_hash="-",
                grants=[RoleGrant(role=Role.SECRETARY, community=community)],
            )
        )
        for n in range(UNITS):
            unit = Unit(name=f"压测单位{n:03d}", kind=UnitKind.STATIONED)
            db.session.add_all(
                [
                    unit,
                    Membership(unit=unit, community=community, joined_on=today - timedelta(400)),
                    Agreement(
                        unit=unit,
                        community_id=community.id,
                        signed_on=today - timedelta(30),
                        starts_on=today - timedelta(30),
                        ends_on=today + timedelta(335),
                        scope="压测",
                    ),
                    User(
                        username=f"bench-liaison{n:03d}",
                        display_name=f"联络员{n:03d}",
                        password_hash="-",
                        grants=[RoleGrant(role=Role.UNIT_LIAISON, unit=unit)],
                    ),
                ]
            )
        categories = list(Category)
        for n in range(PROJECTS):
            db.session.add(
                Project(
                    community=community,
                    title=f"压测项目{n:04d}",
                    category=categories[n % len(categories)],
                    mode=ProjectMode.TEAM,
                    slots=rng.randint(1, 5),
                    auto_approve=n % 2 == 0,
                    status=ProjectStatus.PUBLISHED,
                    starts_at=now + timedelta(days=40),
                    ends_at=now + timedelta(days=70),
                    claim_deadline=now + timedelta(days=30),
                    published_at=now,
                )
            )
        db.session.commit()


def ids(app) -> tuple[list[int], list[int]]:
    from coop.auth.models import User
    from coop.extensions import db
    from coop.projects.models import Project

    with app.app_context():
        liaisons = db.session.scalars(
            sa.select(User.id).where(User.username.like("bench-liaison%"))
        ).all()
        projects = db.session.scalars(sa.select(Project.id)).all()
    return list(liaisons), list(projects)


def reset(app) -> None:
    from coop.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE projects SET approved_count = 0, lead_claim_id = NULL, status = 'published'"
            )
        )
        connection.execute(sa.text("DELETE FROM claim_resources"))
        connection.execute(sa.text("DELETE FROM claims"))
        connection.execute(sa.text("DELETE FROM audit_log"))
    with app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE")
        )


def request(app, liaison: int, project: int) -> str:
    """One claim as a web request would make it; the claim's status or the refusal's code."""
    from coop.auth.models import User
    from coop.claims import service
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db
    from coop.uow import unit_of_work

    with app.app_context():
        try:
            actor = db.session.get(User, liaison)
            with unit_of_work(actor):
                claim = service.claim_project(
                    actor, project, claimant=ClaimantType.UNIT, now=utcnow()
                )
                return claim.status.value
        except DomainError as error:
            return error.code
        except Exception as error:  # a bug, not a refusal: count it and keep going
            return f"error:{type(error).__name__}"


def warm_up(app, liaisons, projects) -> None:
    """Claims rolled back, so mappers, statement caches and prepared statements are ready."""
    from coop.auth.models import User
    from coop.claims import service
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db

    for project in projects[:8]:
        with app.app_context():
            actor = db.session.get(User, liaisons[0])
            with contextlib.suppress(DomainError):
                service.claim_project(actor, project, claimant=ClaimantType.UNIT, now=utcnow())
            db.session.rollback()


def statement_counter(app) -> list[int]:
    """A cell counting the SQL statements the app's engine sends."""
    from coop.extensions import db

    cell = [0]

    def count(*_args):
        cell[0] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    return cell


def claim_loop(app, liaisons, projects, start_at: float, stop_at: float, seed_: int) -> dict:
    """One worker: claim until ``stop_at``; its outcome counts and latencies."""
    rng = random.Random(seed_)
    outcomes, latencies = Counter(), []
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu = time.process_time()
    while (began := time.monotonic()) < stop_at:
        outcomes[request(app, rng.choice(liaisons), rng.choice(projects))] += 1
        latencies.append(time.monotonic() - began)
    return {
        "outcomes": outcomes,
        "latencies": latencies,
        "finished": time.monotonic(),
        "cpu": time.process_time() - cpu,  # threads: the whole process's, counted once below
    }


def _process_worker(url: str, liaisons, projects, seconds, seed_, ready, go, start, results):
    app = make_app(sa.make_url(url), pool=1)
    warm_up(app, liaisons, projects)
    statements = statement_counter(app)
    ready.put(seed_)
    go.wait()
    result = claim_loop(app, liaisons, projects, start.value, start.value + seconds, seed_)
    results.put({**result, "statements": statements[0]})


def run_claims(url, app, workers: int, seconds: float, use_threads: bool) -> dict:
    liaisons, projects = ids(app)
    results = []
    if use_threads:
        statements = statement_counter(app)
        ready = threading.Barrier(workers + 1)
        times = {}

        def worker(n):
            warm_up(app, liaisons, projects)
            ready.wait()
            ready.wait()  # the main thread sets the clock in between
            result = claim_loop(app, liaisons, projects, times["start"], times["stop"], n)
            results.append(result)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        ready.wait()
        statements[0] = 0
        times["start"] = start_at = time.monotonic() + 0.2
        times["stop"] = start_at + seconds
        ready.wait()
        for thread in threads:
            thread.join()
        results[0]["statements"] = statements[0]
        for result in results[1:]:
            result["cpu"] = 0
    else:
        # Each process builds its own app first; the clock starts once all of them are ready.
        context = multiprocessing.get_context("spawn")
        ready, queue, go = context.Queue(), context.Queue(), context.Event()
        start = context.Value("d", 0.0)
        target = url.render_as_string(hide_password=False)
        procs = [
            context.Process(
                target=_process_worker,
                args=(target, liaisons, projects, seconds, n, ready, go, start, queue),
            )
            for n in range(workers)
        ]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=600)
        start.value = start_at = time.monotonic() + 0.2  # CLOCK_MONOTONIC is system-wide
        go.set()
        results = [queue.get(timeout=seconds + 120) for _ in procs]
        for proc in procs:
            proc.join()
    outcomes = sum((r["outcomes"] for r in results), Counter())
    latencies = sorted(x for r in results for x in r["latencies"])
    elapsed = max(r["finished"] for r in results) - start_at
    done = sum(outcomes.values())
    return {
        "outcomes": outcomes,
        "statements": sum(r.get("statements", 0) for r in results) / max(done, 1),
        "cpu": 1000 * sum(r["cpu"] for r in results) / max(done, 1),
        "rate": done / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000 if latencies else 0,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0,
    }


def check(app) -> dict:
    """Verified by SQL: approved claims, oversold projects, approved_count drift."""
    from coop.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        held = (
            "(SELECT count(*) FROM claims c WHERE c.project_id = p.id"
            " AND c.status IN ('approved', 'fulfilled'))"
        )
        return {
            "approved": connection.scalar(
                sa.text("SELECT count(*) FROM claims WHERE status = 'approved'")
            ),
            "oversold": connection.scalar(
                sa.text(f"SELECT count(*) FROM projects p WHERE {held} > p.slots")
            ),
            "drift": connection.scalar(
                sa.text(f"SELECT count(*) FROM projects p WHERE {held} <> p.approved_count")
            ),
        }


def pgbench(url: sa.URL, args: list[str]) -> str:
    command = [
        PGBENCH,
        "-h",
        "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        "postgres",
        *args,
        PGBENCH_DB,
    ]
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return done.stdout


def run_pgbench(url: sa.URL, clients: int, seconds: float, script: str) -> float:
    out = pgbench(url, ["-n", "-f", script, "-T", str(int(seconds)), "-c", str(clients), "-j", "2"])
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="8,32")
    parser.add_argument("--threads", action="store_true", help="threads instead of processes")
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]

    url = server_url()
    bench_url = recreate(url, BENCH_DB)
    app = make_app(bench_url, pool=max(counts) + 2)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    seed(app)
    recreate(url, PGBENCH_DB)
    pgbench(url, ["-i", "-q", "-s", "1"])
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)

    mode = "threads" if options.threads else "processes"
    print(
        f"coop claims vs pgbench · {PROJECTS} projects, {UNITS} units · "
        f"{options.seconds:g} s a run · workers as {mode} · {os.cpu_count()} CPUs"
        f" · load average {os.getloadavg()[0]:.1f} before"
    )
    rows = []
    for workers in counts:
        reset(app)
        claims = run_claims(bench_url, app, workers, options.seconds, options.threads)
        verified = check(app)
        tps = run_pgbench(url, workers, options.seconds, script.name)
        rows.append((workers, claims, tps, verified))
    os.unlink(script.name)

    print(
        f"{'workers':>7} {'claims/s':>9} {'pgbench tps':>12} {'ratio %':>8} "
        f"{'approved':>9} {'oversold':>9}"
    )
    for workers, claims, tps, verified in rows:
        print(
            f"{workers:>7} {claims['rate']:>9.1f} {tps:>12.1f} "
            f"{100 * claims['rate'] / tps:>8.1f} {verified['approved']:>9} "
            f"{verified['oversold']:>9}"
        )
    print()
    print("outcomes per run (refusals are completed requests), latency, approved_count drift:")
    for workers, claims, _tps, verified in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in claims["outcomes"].most_common())
        print(
            f"  {workers:>2} workers: {outcomes}; p50 {claims['p50']:.1f} ms,"
            f" p95 {claims['p95']:.1f} ms; {claims['statements']:.1f} SQL statements and"
            f" {claims['cpu']:.1f} ms of Python CPU a request;"
            f" drift {verified['drift']}"
        )
    print(f"load average {os.getloadavg()[0]:.1f} after (the CPUs are shared with the server)")
    if any(v["oversold"] or v["drift"] for *_rest, v in rows):
        sys.exit("FAILED: oversold or drifting projects")


if __name__ == "__main__":
    main()
