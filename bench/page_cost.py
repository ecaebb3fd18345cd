"""What one page costs on the city, alone: its statements, their time on the server and the
whole request's time, for the person who opens it; the slowest statements with ``--top``.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/page_cost.py city-sec-3 /communities/3 /communities/3/matching
        [--database coop_bench_city_load] [--repeat 5] [--top 5] [--production]

A path written ``hx:/communities/3/honours`` is asked for as htmx asks (``HX-Request``). The
person is signed in the way the sign-in form does it (a server-side session), so the figures
include her session and grants, as every request's do. The request's time is the median of
``--repeat`` runs after one untimed run (statement caches and mappers warm). Reads the clone
``load.py`` serves (``coop_bench_city_load``, after the month's badges and matching) unless told
another database.
"""

import argparse
import os
import statistics
import time

import sqlalchemy as sa
from _harness import make_app, server_url
from load import LOAD_DB


def _measure(app, client, path: str, repeat: int, top: int, width: int) -> None:
    from coop.extensions import db

    headers = {}
    if path.startswith("hx:"):
        path, headers = path[3:], {"HX-Request": "true"}
    statements: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - started.pop(id(cursor)), statement))

    client.get(path, headers=headers)  # warm
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    times, sizes, status = [], [], None
    try:
        for _ in range(repeat):
            statements.clear()
            begun = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append(time.perf_counter() - begun)
            sizes.append(len(response.data))
            status = response.status_code
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    sql = sum(seconds for seconds, _ in statements)
    print(
        f"{path:55} {status} {statistics.median(times) * 1000:7.1f} ms"
        f" · {len(statements):3d} statements {sql * 1000:6.1f} ms · {sizes[-1] / 1024:6.1f} KB"
    )
    for seconds, statement in sorted(statements, reverse=True)[:top]:
        print(f"    {seconds * 1000:6.1f} ms  {' '.join(statement.split())[:width]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--database", default=LOAD_DB)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--width", type=int, default=150, help="characters of each statement")
    parser.add_argument("--profile", type=int, default=0, help="print this many profile lines")
    parser.add_argument("--production", action="store_true", help="COOP_ENV=production settings")
    args = parser.parse_args()
    app = make_app(server_url().set(database=args.database), pool=2, name="page_cost")
    if args.production:
        app.config.update(DEBUG=False, TEMPLATES_AUTO_RELOAD=False, EXPLAIN_TEMPLATE_LOADING=False)
    from coop.auth import service
    from coop.auth.current import SESSION_KEY
    from coop.auth.models import User
    from coop.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == args.username))
        if user is None:
            raise SystemExit(f"no user {args.username!r} in {args.database}")
        raw = service.start_session(user)
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw
    for path in args.paths:
        _measure(app, client, path, args.repeat, args.top, args.width)
        if args.profile:
            _profile(client, path, args.profile)


def _profile(client, path: str, lines: int) -> None:
    """The request under cProfile, 20 times: where its Python time goes."""
    import cProfile
    import pstats

    headers = {"HX-Request": "true"} if path.startswith("hx:") else {}
    path = path.removeprefix("hx:")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(path, headers=headers)
    profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        lines
    )


if __name__ == "__main__":
    main()
