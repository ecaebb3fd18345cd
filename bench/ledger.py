"""Ledger postings per second through the verify path, beside pgbench; then `ledger check` on 10 M
entries.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/ledger.py [--seconds 10] [--workers 8,32] [--postings 5000000]

DATABASE_URL only names the server. The script (re)creates two databases of its own there:
``coop_bench_ledger`` (migrated, then one community with its secretary, 2,000 volunteers, their
points accounts and the community's pool, and 60,000 pending 2-hour service records) and
``coop_pgbench_ledger`` (``pgbench -i -s 1``).

1. Postings. For each worker count it runs, one after the other:

   - verify: every worker loops for ``--seconds`` over records of its own (no two workers
     verify the same record), each request a fresh app context like a web request: the
     secretary is loaded, then ``coop.hours.service.verify_record`` inside ``unit_of_work``.
     Each verification posts one posting of two entries (pool → volunteer). Workers are
     processes, each with its own ``create_app()`` and a one-connection pool.
   - pgbench: a one-row UPDATE per transaction, same client count and duration, ``-j 2``.

   After each run SQL counts verified records without their posting ("unposted", must be 0)
   and ``coop.ledger.service.check`` must find the books in order.

2. Scale. ``--postings`` balanced postings (two entries each: the pool pays one of
   ``--accounts`` volunteer accounts) are inserted with set-based SQL (``INSERT … SELECT
   generate_series``), in batches of ``--batch`` postings that each commit balanced (the
   deferred balance triggers run at every commit) with the accounts' cached balances moved in
   the same transaction. Then ``VACUUM ANALYZE``, as autovacuum would do after such inserts,
   and ``flask --app coop ledger check`` runs as a subprocess against the bench database:
   its wall time, its own timer, its peak RSS (``getrusage`` of the child) and the server's
   temporary files written meanwhile. ``--postings 0`` skips this part.
"""

import argparse
import contextlib
import functools
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from _harness import (
    ROOT,
    SECRETARY,
    Pgbench,
    migrated_app,
    run_workers,
    sample_waits,
    seed_community,
    server_url,
    vacuum,
)

FLASK = ROOT / ".venv" / "bin" / "flask"
BENCH_DB = "coop_bench_ledger"
PGBENCH_DB = "coop_pgbench_ledger"
WORKER = "coop-bench-ledger-worker"  # application_name of the workers' connections
VOLUNTEERS, RECORDS = 2000, 60000
HOURS = 2  # a record's hours: 20 points at the default 10 points an hour
# Runs the command given as arguments and reports its peak RSS: the only child of this process.
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print(f'peak_rss_kb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}',"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def seed(app) -> None:
    """A community, its secretary, volunteers with open accounts, and pending records."""
    from coop.activities.models import Activity
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.ledger import service as ledger
    from coop.ledger.models import AccountType

    now = utcnow()
    with app.app_context():
        community = seed_community()
        activity = Activity(
            community_id=community.id,
            title="压测活动",
            place="党群服务中心",
            starts_at=now - timedelta(days=400),
            ends_at=now - timedelta(days=400) + timedelta(hours=HOURS),
            capacity=VOLUNTEERS,
        )
        db.session.add(activity)
        ledger.account_for(AccountType.POOL, community.id)
        db.session.flush()
        params = {"c": community.id, "a": activity.id, "n": VOLUNTEERS, "now": now}
        for statement in (
            "INSERT INTO users (username, password_hash, display_name, is_active, created_at)"
            " SELECT 'bench-v' || g, '-', '志愿者' || g, true, :now"
            " FROM generate_series(1, :n) g",
            "INSERT INTO role_grants (user_id, role, community_id, created_at)"
            " SELECT id, 'volunteer', :c, :now FROM users WHERE username LIKE 'bench-v%'",
            "INSERT INTO accounts (type, owner_id, community_id, balance, created_at)"
            " SELECT 'volunteer', id, :c, 0, :now FROM users WHERE username LIKE 'bench-v%'",
        ):
            db.session.execute(sa.text(statement), params)
        # Record r belongs to volunteer r % n on day r // n, so nobody passes 24 h a day; each
        # day has a session of its own (one record per volunteer and activity).
        db.session.execute(
            sa.text(
                "INSERT INTO activities (community_id, title, description, place, starts_at,"
                " ends_at, capacity, checkin_code, status, confirmed_count, created_at)"
                " SELECT community_id, title, description, place, starts_at + d * interval '1 day',"
                " ends_at + d * interval '1 day', capacity, checkin_code, status, 0, :now"
                " FROM activities, generate_series(1, (:records - 1) / :n) d WHERE id = :a"
            ),
            {**params, "records": RECORDS},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO service_records (community_id, volunteer_id, activity_id,"
                " service_date, hours, origin, status, note, reject_reason, created_at)"
                " SELECT :c, v.id, :a + g / :n, CAST(:day AS date) + g / :n, :hours, 'checkin',"
                " 'pending', '', '', :now"
                " FROM generate_series(0, :records - 1) g"
                " JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users"
                "       WHERE username LIKE 'bench-v%') v ON v.k = g % :n"
            ),
            {
                **params,
                "day": date.today() - timedelta(days=400),
                "hours": HOURS,
                "records": RECORDS,
            },
        )
        db.session.commit()


def pending_records(app) -> list[int]:
    from coop.extensions import db

    with app.app_context():
        return list(
            db.session.scalars(sa.text("SELECT id FROM service_records WHERE status = 'pending'"))
        )


def secretary_id(app) -> int:
    from coop.auth.models import User
    from coop.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == SECRETARY))


def request(app, actor_id: int, record_id: int) -> str:
    """One verification as a web request would make it: 'verified' or the refusal's code."""
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db
    from coop.hours import service
    from coop.uow import unit_of_work

    with app.app_context():
        try:
            actor = db.session.get(User, actor_id)
            with unit_of_work(actor):
                return service.verify_record(actor, record_id, now=utcnow()).status.value
        except DomainError as error:
            return error.code
        except Exception as error:  # a bug, not a refusal: count it and keep going
            return f"error:{type(error).__name__}"


def warm_up(app, actor_id: int, records: list[int]) -> None:
    """Verifications rolled back, so mappers, statement caches and prepared statements are
    ready; the records stay pending and are verified again in the timed loop."""
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.hours import service

    for record_id in records[:5]:
        with app.app_context():
            service.verify_record(db.session.get(User, actor_id), record_id, now=utcnow())
            db.session.rollback()


def setup(app, n: int, args) -> list:
    actor_id, records = args
    warm_up(app, actor_id, records)
    return [actor_id, iter(records)]


def step(app, state) -> str | None:
    """The worker's next record, or None when it has verified all of its own."""
    actor_id, records = state
    record_id = next(records, None)
    return None if record_id is None else request(app, actor_id, record_id)


def run_verify(url: sa.URL, app, workers: int, seconds: float) -> dict:
    actor_id = secretary_id(app)
    pending = pending_records(app)
    random.Random(workers).shuffle(pending)
    waits = Counter()
    run = run_workers(
        url,
        setup=setup,
        step=step,
        args=[(actor_id, pending[n::workers]) for n in range(workers)],
        seconds=seconds,
        name=WORKER,
        during=functools.partial(sample_waits, url, WORKER, waits=waits),
    )
    return {**run, "rate": run["outcomes"]["verified"] / run["elapsed"], "waits": waits}


def check(app) -> dict:
    """Verified by SQL and by the ledger's own check: every verified record posted once."""
    from coop.extensions import db
    from coop.ledger import service as ledger

    with app.app_context():
        report = ledger.check()
        unposted = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM service_records r WHERE r.status = 'verified'"
                " AND NOT EXISTS (SELECT 1 FROM postings p"
                "  WHERE p.idempotency_key = 'service_record:' || r.id)"
            )
        )
        db.session.rollback()
    return {"postings": report.postings, "unposted": unposted, "ledger_ok": report.ok}


def build(url: sa.URL, postings: int, accounts: int, batch: int) -> dict:
    """``postings`` balanced postings of two entries over ``accounts`` new volunteer accounts,
    set-based, committed batch by batch with the cached balances moved alongside."""
    engine = sa.create_engine(url)
    amount = "(10 + g % 50 * 5)"  # 10–255 points
    began = time.monotonic()
    with engine.begin() as connection:
        community, pool = connection.execute(
            sa.text("SELECT community_id, id FROM accounts WHERE type = 'pool'")
        ).one()
        # Owners 1e9 + k: accounts point at their owner by type, without a foreign key.
        first = connection.scalar(
            sa.text(
                "WITH made AS (INSERT INTO accounts (type, owner_id, community_id, balance,"
                " created_at) SELECT 'volunteer', 1000000000 + k, :c, 0, now()"
                " FROM generate_series(1, :n) k ORDER BY k RETURNING id) SELECT min(id) FROM made"
            ),
            {"c": community, "n": accounts},
        )
        last = connection.scalar(
            sa.text("SELECT max(id) FROM accounts WHERE owner_id > 1000000000")
        )
        if last - first + 1 != accounts:
            sys.exit("the new accounts' ids are not contiguous: was something else writing?")
    params = {"pool": pool, "first": first, "n": accounts}
    for lo in range(1, postings + 1, batch):
        hi = min(lo + batch - 1, postings)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "WITH p AS ("
                    " INSERT INTO postings (idempotency_key, kind, source_type, source_id, memo,"
                    "  created_at)"
                    " SELECT 'bench:' || g, 'hours', 'bench', g, '', now()"
                    " FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g RETURNING id, source_id AS g)"
                    " INSERT INTO entries (posting_id, account_id, amount, created_at)"
                    f" SELECT p.id, e.account_id, e.amount, now() FROM p CROSS JOIN LATERAL"
                    f" (VALUES (CAST(:pool AS integer), -{amount}),"
                    f"  (CAST(:first AS integer) + g % :n, {amount})) AS e(account_id, amount)"
                ),
                {**params, "lo": lo, "hi": hi},
            )
            connection.execute(
                sa.text(
                    "UPDATE accounts a SET balance = a.balance + d.delta FROM ("
                    f" SELECT CAST(:first AS integer) + g % :n AS id, sum({amount}) AS delta"
                    "  FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g GROUP BY 1"
                    f" UNION ALL SELECT CAST(:pool AS integer), -sum({amount})"
                    "  FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g"
                    ") d WHERE a.id = d.id"
                ),
                {**params, "lo": lo, "hi": hi},
            )
        # The commit ran the deferred balance triggers for each new posting and entry.
    built = time.monotonic() - began
    began = time.monotonic()
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE accounts, postings, entries")
        )
    vacuumed = time.monotonic() - began
    with engine.connect() as connection:
        counts = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM postings), (SELECT count(*) FROM entries),"
                " (SELECT count(*) FROM accounts),"
                " pg_size_pretty(pg_total_relation_size('entries')"
                " + pg_total_relation_size('postings'))"
            )
        ).one()
    engine.dispose()
    return {"seconds": built, "vacuum": vacuumed, "counts": counts, "postings": postings}


def temp_bytes(url: sa.URL) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.scalar(
            sa.text("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        )
    engine.dispose()
    return value


def run_check(url: sa.URL) -> dict:
    """``flask --app coop ledger check`` in a child of a child that reports its peak RSS."""
    env = {
        **os.environ,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "COOP_ENV": "development",
    }
    spilled = temp_bytes(url)
    time.sleep(0.6)  # pg_stat_database is updated at most every 500 ms
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(FLASK), "--app", "coop", "ledger", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    wall = time.monotonic() - began
    time.sleep(0.6)
    own = re.search(r"checked in ([\d.]+) s", done.stdout)
    return {
        "wall": wall,
        "own": float(own[1]) if own else float("nan"),
        "rss_mb": int(re.search(r"peak_rss_kb=(\d+)", done.stderr)[1]) / 1024,
        "code": done.returncode,
        "output": done.stdout.rstrip(),
        "spilled_mb": (temp_bytes(url) - spilled) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="8,32")
    parser.add_argument("--postings", type=int, default=5_000_000, help="0: skip the scale part")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=250_000)
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]

    url = server_url()
    bench_url, app = migrated_app(url, BENCH_DB)
    seed(app)
    pgbench = Pgbench(url, PGBENCH_DB)

    print(
        f"coop ledger postings vs pgbench · 1 community, {VOLUNTEERS} volunteers,"
        f" {RECORDS} pending records · {options.seconds:g} s a run · workers as processes"
        f" · {os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f} before"
    )
    rows = []
    for workers in counts:
        vacuum(app)
        before = check(app)["postings"]
        verify = run_verify(bench_url, app, workers, options.seconds)
        verified = check(app)
        verified["new"] = verified["postings"] - before
        tps = pgbench.tps(workers, options.seconds)
        rows.append((workers, verify, tps, verified))
    pgbench.close()

    print(
        f"{'workers':>7} {'postings/s':>11} {'pgbench tps':>12} {'ratio %':>8} "
        f"{'postings':>9} {'unposted':>9}"
    )
    for workers, verify, tps, verified in rows:
        print(
            f"{workers:>7} {verify['rate']:>11.1f} {tps:>12.1f} "
            f"{100 * verify['rate'] / tps:>8.1f} {verified['new']:>9} "
            f"{verified['unposted']:>9}"
        )
    print()
    print("outcomes per run, latency, ledger check after the run:")
    for workers, verify, _tps, verified in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in verify["outcomes"].most_common())
        print(
            f"  {workers:>2} workers: {outcomes}; p50 {verify['p50']:.1f} ms,"
            f" p95 {verify['p95']:.1f} ms; {verify['statements']:.1f} SQL statements and"
            f" {verify['cpu']:.1f} ms of Python CPU a request;"
            f" ledger {'OK' if verified['ledger_ok'] else 'NOT OK'}"
        )
        total = sum(verify["waits"].values()) or 1
        print(
            "     their server connections: "
            + ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in verify["waits"].most_common(5))
        )
    print(f"load average {os.getloadavg()[0]:.1f} after (the CPUs are shared with the server)")
    failed = any(v["unposted"] or not v["ledger_ok"] for *_rest, v in rows)

    if options.postings:
        print()
        built = build(bench_url, options.postings, options.accounts, options.batch)
        postings, entries, accounts, size = built["counts"]
        print(
            f"built {built['postings']:,} postings ({2 * built['postings']:,} entries) over"
            f" {options.accounts:,} accounts in {built['seconds']:.1f} s"
            f" ({2 * built['postings'] / built['seconds']:,.0f} entries/s, batches of"
            f" {options.batch:,} postings, balance triggers on); VACUUM ANALYZE"
            f" {built['vacuum']:.1f} s"
        )
        print(
            f"ledger now: {postings:,} postings, {entries:,} entries, {accounts:,} accounts;"
            f" postings + entries take {size} with their indexes"
        )
        checked = run_check(bench_url)
        print(
            f"flask --app coop ledger check: exit {checked['code']}, {checked['wall']:.1f} s wall"
            f" ({checked['own']:.1f} s in check()), peak RSS {checked['rss_mb']:.0f} MB,"
            f" server temp files {checked['spilled_mb']:.0f} MB"
        )
        print("\n".join(f"  | {line}" for line in checked["output"].splitlines()))
        failed = failed or checked["code"] != 0
    if failed:
        sys.exit("FAILED: unposted records or a ledger that does not check")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
