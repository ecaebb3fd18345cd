"""积分超市 reservations per second through the service layer, beside pgbench on the same
PostgreSQL; then a sell-out that must not oversell.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/redeem.py [--seconds 10] [--workers 32] [--sellout-stock 10]
        [--profile 5]

DATABASE_URL only names the server. The script (re)creates two databases of its own there:
``coop_bench_redeem`` (migrated, then one community with its secretary and 2,000 volunteers,
each with 100,000 points posted from the pool and her hold account open) and
``coop_pgbench_redeem`` (``pgbench -i -s 1``). For each worker count it runs, one after the
other:

- stock: 10 hot items are put on the shelf with ``stocking.add_item`` (stock 100,000 each, so
  the run measures reservations and not refusals; every third has a monthly limit of 50, never
  reached, so the limit's count query runs too). Every worker loops for ``--seconds``, each
  request a random volunteer reserving a random one of the 10 with
  ``coop.rewards.service.reserve`` inside ``unit_of_work``, in a fresh app context like a web
  request (the volunteer is loaded each time). Workers are processes, each with its own
  ``create_app()`` and a one-connection pool.
- pgbench: a one-row UPDATE per transaction, same client count and duration, ``-j 2``.
- sell-out: 10 new items with ``--sellout-stock`` each, the same workers for
  ``--sellout-seconds``: the stock runs out and the rest are ``out_of_stock`` refusals.

After each run SQL checks every item of the run: its reservations plus its remaining stock must
equal its initial stock ("oversold" counts reservations past the initial stock, "drift" the
items where the sum is off; both must be 0), the points held must equal the reserved items'
cost, and ``coop.ledger.service.check`` must find the books in order. While the workers run, a sampler reads
``pg_stat_activity`` every 20 ms (lock waits on the hot items' rows). ``--profile N`` first
runs one uncontended worker for N seconds under cProfile and prints where its time goes.
"""

import argparse
import contextlib
import functools
import os
import random
import sys
from collections import Counter

import sqlalchemy as sa
from _harness import (
    SECRETARY,
    Pgbench,
    migrated_app,
    profile,
    run_workers,
    sample_waits,
    seed_community,
    server_url,
    vacuum,
)

BENCH_DB = "coop_bench_redeem"
PGBENCH_DB = "coop_pgbench_redeem"
VOLUNTEERS, POINTS = 2000, 100_000
ITEMS, BIG_STOCK, COST = 10, 100_000, 10
WORKER = "coop-bench-redeem-worker"  # application_name of the workers' connections


def seed(app) -> None:
    """A community, its secretary, and volunteers with points and open hold accounts."""
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.ledger import service as ledger
    from coop.ledger.models import AccountType

    now = utcnow()
    with app.app_context():
        community = seed_community()
        pool = ledger.account_for(AccountType.POOL, community.id)
        db.session.flush()
        params = {"c": community.id, "n": VOLUNTEERS, "now": now, "pool": pool.id, "p": POINTS}
        for statement in (
            "INSERT INTO users (username, password_hash, display_name, is_active, created_at)"
            " SELECT 'bench-v' || g, '-', '志愿者' || g, true, :now"
            " FROM generate_series(1, :n) g",
            "INSERT INTO role_grants (user_id, role, community_id, created_at)"
            " SELECT id, 'volunteer', :c, :now FROM users WHERE username LIKE 'bench-v%'",
            "INSERT INTO accounts (type, owner_id, community_id, balance, created_at)"
            " SELECT t.type, u.id, :c, 0, :now FROM users u"
            " CROSS JOIN (VALUES ('volunteer'), ('hold')) AS t(type)"
            " WHERE u.username LIKE 'bench-v%'",
            # One balanced posting each (pool → volunteer), with the cached balances moved.
            "WITH p AS (INSERT INTO postings (idempotency_key, kind, source_type, source_id,"
            "  memo, created_at)"
            " SELECT 'bench-points:' || a.id, 'adjustment', 'bench', a.id, '压测积分', :now"
            " FROM accounts a WHERE a.type = 'volunteer' RETURNING id, source_id)"
            " INSERT INTO entries (posting_id, account_id, amount, created_at)"
            " SELECT p.id, e.account_id, e.amount, :now FROM p CROSS JOIN LATERAL"
            " (VALUES (CAST(:pool AS integer), -:p), (p.source_id, :p)) AS e(account_id, amount)",
            "UPDATE accounts SET balance = :p WHERE type = 'volunteer'",
            "UPDATE accounts SET balance = -:p * :n WHERE id = :pool",
        ):
            db.session.execute(sa.text(statement), params)
        db.session.commit()


def stock_shelf(app, label: str, stock: int) -> dict[int, int]:
    """Ten new items with ``stock`` each, through ``stocking.add_item``: {item id: stock}."""
    from coop.auth.models import User
    from coop.extensions import db
    from coop.rewards import stocking
    from coop.uow import unit_of_work

    with app.app_context():
        secretary = db.session.scalars(sa.select(User).where(User.username == SECRETARY)).one()
        community_id = secretary.grants[0].community_id
        with unit_of_work(secretary):
            items = [
                stocking.add_item(
                    secretary,
                    community_id,
                    name=f"压测物品 {label} {k}",
                    cost=COST,
                    stock=stock,
                    monthly_limit=50 if k % 3 == 0 else None,
                )
                for k in range(ITEMS)
            ]
        return {item.id: stock for item in items}


def volunteer_ids(app) -> list[int]:
    from coop.extensions import db

    with app.app_context():
        return list(
            db.session.scalars(sa.text("SELECT id FROM users WHERE username LIKE 'bench-v%'"))
        )


def request(app, volunteer_id: int, item_id: int) -> str:
    """One reservation as a web request would make it: 'reserved' or the refusal's code."""
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db
    from coop.rewards import service
    from coop.uow import unit_of_work

    with app.app_context():
        try:
            actor = db.session.get(User, volunteer_id)
            with unit_of_work(actor):
                return service.reserve(actor, item_id, now=utcnow()).status.value
        except DomainError as error:
            return error.code
        except Exception as error:  # a bug, not a refusal: count it and keep going
            return f"error:{type(error).__name__}"


def warm_up(app, volunteers: list[int], items: list[int]) -> None:
    """Reservations rolled back, so mappers, statement caches and prepared statements are
    ready; the stock and the points stay as they were."""
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db
    from coop.rewards import service

    for volunteer_id, item_id in zip(volunteers[:5], items[:5], strict=False):
        with app.app_context():
            with contextlib.suppress(DomainError):
                service.reserve(db.session.get(User, volunteer_id), item_id, now=utcnow())
            db.session.rollback()


def setup(app, n: int, args) -> tuple:
    volunteers, items = args
    warm_up(app, volunteers, items)
    return random.Random(n), volunteers, items


def step(app, state) -> str:
    rng, volunteers, items = state
    return request(app, rng.choice(volunteers), rng.choice(items))


def check(app, shelf: dict[int, int]) -> dict:
    """Verified by SQL and by the ledger's own check, for the run's items."""
    from coop.extensions import db
    from coop.ledger import service as ledger

    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT i.id, i.stock, (SELECT count(*) FROM redemptions r WHERE r.item_id = i.id"
                "  AND r.status = 'reserved') FROM reward_items i WHERE i.id = ANY(:ids)"
            ),
            {"ids": list(shelf)},
        ).all()
        held, reserved_cost = db.session.execute(
            sa.text(
                "SELECT (SELECT coalesce(sum(balance), 0) FROM accounts WHERE type = 'hold'),"
                " (SELECT coalesce(sum(cost), 0) FROM redemptions WHERE status = 'reserved')"
            )
        ).one()
        report = ledger.check()
        db.session.rollback()
    return {
        "reserved": sum(count for _id, _stock, count in rows),
        "left": sum(stock for _id, stock, _count in rows),
        "oversold": sum(max(0, count - shelf[id_]) for id_, _stock, count in rows),
        "drift": sum(count + stock != shelf[id_] for id_, stock, count in rows),
        "held_ok": held == reserved_cost,
        "ledger_ok": report.ok,
    }


def run(bench_url, app, volunteers, shelf, workers: int, seconds: float) -> dict:
    vacuum(app)
    items, waits = list(shelf), Counter()
    result = run_workers(
        bench_url,
        setup=setup,
        step=step,
        args=[(volunteers, items)] * workers,
        seconds=seconds,
        name=WORKER,
        during=functools.partial(sample_waits, bench_url, WORKER, waits=waits),
    )
    result["reserved_rate"] = result["outcomes"]["reserved"] / result["elapsed"]
    return {**result, **check(app, shelf), "waits": waits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="32")
    parser.add_argument("--sellout-stock", type=int, default=10, help="each of the 10 items")
    parser.add_argument("--sellout-seconds", type=float, default=6)
    parser.add_argument("--profile", type=float, default=0, help="seconds; 0: no profile")
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]

    url = server_url()
    bench_url, app = migrated_app(url, BENCH_DB, pool=4)
    seed(app)
    pgbench = Pgbench(url, PGBENCH_DB)
    volunteers = volunteer_ids(app)

    if options.profile:
        shelf = stock_shelf(app, "profile", BIG_STOCK)
        print(profile(app, setup, step, (volunteers, list(shelf)), options.profile))
        print()

    print(
        f"coop reservations vs pgbench · {ITEMS} hot items, {VOLUNTEERS} volunteers ·"
        f" {options.seconds:g} s a run, sell-out {options.sellout_seconds:g} s with"
        f" {options.sellout_stock} each · workers as processes · {os.cpu_count()} CPUs"
        f" · load average {os.getloadavg()[0]:.1f} before"
    )
    rows = []
    for workers in counts:
        shelf = stock_shelf(app, f"{workers}w", BIG_STOCK)
        stocked = run(bench_url, app, volunteers, shelf, workers, options.seconds)
        tps = pgbench.tps(workers, options.seconds)
        rows.append((workers, "stock", stocked, tps, shelf))
        shelf = stock_shelf(app, f"{workers}w sell-out", options.sellout_stock)
        sold = run(bench_url, app, volunteers, shelf, workers, options.sellout_seconds)
        rows.append((workers, "sell-out", sold, None, shelf))
    pgbench.close()

    print(
        f"{'workers':>7} {'phase':<8} {'reserved/s':>10} {'pgbench tps':>12} {'ratio %':>8}"
        f" {'initial':>8} {'reserved':>9} {'left':>7} {'oversold':>9}"
    )
    for workers, phase, result, tps, shelf in rows:
        pg = f"{tps:>12.1f} {100 * result['reserved_rate'] / tps:>8.1f}" if tps else f"{'':>21}"
        print(
            f"{workers:>7} {phase:<8} {result['reserved_rate']:>10.1f} {pg}"
            f" {sum(shelf.values()):>8} {result['reserved']:>9} {result['left']:>7}"
            f" {result['oversold']:>9}"
        )
    print()
    print("outcomes per run (refusals are completed requests), latency, checks after the run:")
    for workers, phase, result, _tps, _shelf in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in result["outcomes"].most_common())
        print(
            f"  {workers:>2} workers, {phase}: {outcomes}; p50 {result['p50']:.1f} ms,"
            f" p95 {result['p95']:.1f} ms; {result['statements']:.1f} SQL statements and"
            f" {result['cpu']:.1f} ms of Python CPU a request; stock drift {result['drift']},"
            f" held points {'=' if result['held_ok'] else '≠'} reserved cost,"
            f" ledger {'OK' if result['ledger_ok'] else 'NOT OK'}"
        )
        total = sum(result["waits"].values()) or 1
        print(
            "     their server connections: "
            + ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in result["waits"].most_common(5))
        )
    print(f"load average {os.getloadavg()[0]:.1f} after (the CPUs are shared with the server)")
    bad = [r for _w, _p, r, _t, _s in rows]
    if any(r["oversold"] or r["drift"] or not r["held_ok"] or not r["ledger_ok"] for r in bad):
        sys.exit("FAILED: oversold or drifting stock, held points off, or a ledger that fails")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
