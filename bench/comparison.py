"""The street's comparison of its communities (``coop.stats_monthly.comparison``): time, SQL
statements and peak memory for one month and for one year, and for the community page's twelve
months of one community.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55433/anything \\
        .venv/bin/python bench/comparison.py [--database coop_bench_city] [--period 2026-11]

With ``--database`` it reads that database as ``bench/city.py`` left it (nothing is written);
without, it drops, recreates and migrates ``coop_comparison_bench`` and loads the demo. Each
figure is the best of ``--repeat`` runs (the first run warms the server's cache too, and is shown
apart). Peak RSS is the process's (``ru_maxrss``), Python and the app included.
"""

import argparse
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import make_app, server_url


def timed(app, fn) -> tuple[float, int]:
    from coop.extensions import db

    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
    return elapsed, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="an existing database (bench/city.py's)")
    parser.add_argument("--period", default="", help="YYYY-MM; default: this month")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    url = server_url()
    if options.database:
        app = make_app(url.set(database=options.database), pool=1)
    else:
        from _harness import migrated_app

        from coop import demo
        from coop.extensions import db

        _url, app = migrated_app(url, "coop_comparison_bench")
        with app.app_context():
            demo.load()
            db.session.commit()

    from coop import stats_monthly
    from coop.alliance.models import Community, Street
    from coop.extensions import db

    now = datetime.now(UTC)
    month = (
        stats_monthly.parse_period(options.period)
        if options.period
        else stats_monthly.latest_period(now)
    )
    year = stats_monthly.year(month.first.year)
    with app.app_context():
        street_id = db.session.scalar(sa.select(Street.id).order_by(Street.id))
        communities = list(
            db.session.scalars(sa.select(Community).where(Community.street_id == street_id))
        )
        ids = [c.id for c in communities]
        counts = {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("needs", "activities", "service_records", "entries")
        }
        db.session.remove()
    print(f"street {street_id}: {len(ids)} communities; rows: {counts}")

    def comparison(period):
        def run():
            found = list(db.session.scalars(sa.select(Community).where(Community.id.in_(ids))))
            stats_monthly.comparison(found, period, now)

        return run

    def trends():
        stats_monthly.figures(ids[:1], stats_monthly.last_months(now), now)

    for label, fn in (
        (f"comparison, month {month.key}", comparison(month)),
        (f"comparison, year {year.key}", comparison(year)),
        ("community page, 12 months of one community", trends),
    ):
        runs = [timed(app, fn) for _ in range(options.repeat)]
        first, statements = runs[0]
        best = min(t for t, _ in runs)
        print(
            f"{label}: first {first * 1000:.0f} ms, best of {options.repeat}"
            f" {best * 1000:.0f} ms, {statements} SQL statements"
        )
    # Each series on its own for the year: which of the seven queries the time goes to.
    series = {
        "needs_in": lambda: stats_monthly.needs_in(ids, [year]),
        "needs_solved": lambda: stats_monthly.needs_solved(ids, [year]),
        "activities_held": lambda: stats_monthly.activities_held(ids, [year], now),
        "verified_hours": lambda: stats_monthly.verified_hours(ids, [year]),
        "units_taking_part": lambda: stats_monthly.units_taking_part(ids, [year], now),
        "points_issued": lambda: stats_monthly.points_issued(ids, [year]),
        "points_spent": lambda: stats_monthly.points_spent(ids, [year]),
    }
    for name, fn in series.items():
        runs = [timed(app, fn)[0] for _ in range(options.repeat)]
        print(
            f"  year {year.key}, {name}: first {runs[0] * 1000:.0f} ms,"
            f" best of {options.repeat} {min(runs) * 1000:.0f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
