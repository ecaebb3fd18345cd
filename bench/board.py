"""The 公示栏 under 50 simultaneous anonymous readers, beside a static file from the same server.

    eval "$(scripts/services.sh env)"      # or DATABASE_URL=postgresql+psycopg://…/anything
    .venv/bin/python bench/board.py        # --readers 50 --seconds 15 --web-workers 2

The script uses ``DATABASE_URL`` only to find the PostgreSQL server. It drops, recreates and
migrates its own database (``coop_board_bench``, or ``--database``), loads the demo
(``demo.load``) and serves it with gunicorn as the Procfile does (``--web-workers`` sync
workers, ``COOP_ENV=production``, Redis from ``REDIS_URL`` when set). With ``--city`` it serves
``coop_bench_city`` instead, as ``bench/city.py`` left it (run that first; nothing is rebuilt).

Then, for each target in turn, ``--readers`` readers (threads spread over ``--client-processes``
processes) each loop for ``--seconds``: open a connection, GET the page, read it all, close (the
sync workers do not keep connections alive, as a phone's first look would not). No reader sends
a cookie or a token. The targets:

- ``static``: ``/static/board.css``, a file served by the same app and workers (no database);
- ``board``: ``/board/<id>``, the public page, rendered anew each time (no ``If-None-Match``);
- ``board 304``: the same with the ETag of the page: what a reader's reload within the minute,
  or a proxy's revalidation, costs;
- ``json``: ``/api/v1/public/communities/<id>/board``.

Before that, in the script's own process, a cache miss is timed one request at a time (the
board rendered from the database, ``BOARD_CACHE_SECONDS=0``): what the first reader of a minute
pays.

It prints requests per second and the latency percentiles (time from connect to the last byte)
per target, and the errors (any status other than the one expected, or a connection error).
"""

import argparse
import http.client
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, make_app, migrated_app, server_url

BIN = Path(sys.executable).parent


def build_demo(url: sa.URL, name: str) -> tuple[sa.URL, int]:
    from coop import demo
    from coop.alliance.models import Community
    from coop.extensions import db

    bench_url, app = migrated_app(url, name)
    with app.app_context():
        demo.load()
        db.session.commit()
        community_id = db.session.scalar(
            sa.select(Community.id).where(Community.name == "兴旺社区")
        )
        db.engine.dispose()
    return bench_url, community_id


def city(url: sa.URL) -> tuple[sa.URL, int]:
    city_url = url.set(database="coop_bench_city")
    engine = sa.create_engine(city_url)
    with engine.connect() as connection:
        community_id = connection.scalar(sa.text("SELECT min(id) FROM communities"))
    engine.dispose()
    if community_id is None:
        sys.exit("coop_bench_city has no community: run bench/city.py first")
    return city_url, community_id


def serve(url: sa.URL, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url.render_as_string(hide_password=False),
        COOP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
    )
    if not env.get("REDIS_URL"):
        env["COOP_ENV"] = "development"  # production wants Redis for its shared rate limits
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "coop:create_app()"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    began = time.monotonic()
    while time.monotonic() - began < 60:
        try:
            if get(port, "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"gunicorn did not answer in 60 s; see {log}")


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def _reader(port, path, headers, expected, deadline, out):
    latencies, errors = [], 0
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            status = get(port, path, headers)[0]
        except OSError:
            status = None
        if status == expected:
            latencies.append(time.perf_counter() - began)
        else:
            errors += 1
    out.append((latencies, errors))


def client_process(port, path, headers, expected, readers, start_at, seconds, queue):
    while time.time() < start_at:  # every process starts on the same clock
        time.sleep(0.001)
    deadline = time.monotonic() + seconds
    out: list = []
    threads = [
        threading.Thread(target=_reader, args=(port, path, headers, expected, deadline, out))
        for _ in range(readers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(([x for latencies, _ in out for x in latencies], sum(e for _, e in out)))


def load(port, path, headers, expected, readers, processes, seconds) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2
    shares = [readers // processes + (i < readers % processes) for i in range(processes)]
    children = [
        context.Process(
            target=client_process,
            args=(port, path, headers, expected, share, start_at, seconds, queue),
        )
        for share in shares
    ]
    for child in children:
        child.start()
    latencies, errors = [], 0
    for _ in children:
        found, failed = queue.get()
        latencies += found
        errors += failed
    for child in children:
        child.join()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "n": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": pct(50) if latencies else 0,
        "p95": pct(95) if latencies else 0,
        "p99": pct(99) if latencies else 0,
        "errors": errors,
    }


def cold(url: sa.URL, community_id: int, runs: int = 20) -> list[tuple[str, float, float, int]]:
    """A cache miss, in this process, one request at a time: (target, median ms, max ms,
    SQL statements) — what one reader in a minute pays, per web process or per Redis."""
    app = make_app(url, pool=1, name="bench-board-cold")
    app.config["BOARD_CACHE_SECONDS"] = 0
    client = app.test_client()
    statements = []
    with app.app_context():
        from coop.extensions import db

        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    found = []
    for name, path in (
        ("board", f"/board/{community_id}"),
        ("print", f"/board/{community_id}/print"),
        ("json", f"/api/v1/public/communities/{community_id}/board"),
    ):
        client.get(path)
        times = []
        for _ in range(runs):
            statements.clear()
            began = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        found.append((name, times[len(times) // 2], times[-1], len(statements)))
    with app.app_context():
        db.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--database", default="coop_board_bench")
    parser.add_argument("--city", action="store_true", help="serve coop_bench_city instead")
    args = parser.parse_args()

    url = server_url()
    began = time.monotonic()
    if args.city:
        data_url, community_id = city(url)
        data = "the city data set (coop_bench_city)"
    else:
        data_url, community_id = build_demo(url, args.database)
        data = "the demo"
    print(f"{data} ready in {time.monotonic() - began:.1f} s; community {community_id}")
    misses = cold(data_url, community_id)
    log = Path(f"/tmp/bench-board-{args.port}.log")
    server = serve(data_url, args.port, args.web_workers, log)
    try:
        board = f"/board/{community_id}"
        status, body, headers = get(args.port, board)
        assert status == 200, status
        assert "set-cookie" not in {k.lower() for k in headers}, "the board set a cookie"
        etag = headers.get("ETag")
        targets = [
            ("static", "/static/board.css", {}, 200),
            ("board", board, {}, 200),
            ("board 304", board, {"If-None-Match": etag}, 304),
            ("json", f"/api/v1/public/communities/{community_id}/board", {}, 200),
        ]
        for _name, path, extra, _expected in targets:  # warm every worker's caches
            for _ in range(args.web_workers * 4):
                get(args.port, path, extra)
        load_before = os.getloadavg()[0]
        rows = []
        for name, path, extra, expected in targets:
            result = load(
                args.port,
                path,
                extra,
                expected,
                args.readers,
                args.client_processes,
                args.seconds,
            )
            rows.append((name, result))
        print(
            f"公示栏 · {data} · {len(body) // 1024} KiB page · gunicorn {args.web_workers} sync"
            f" workers · {args.readers} anonymous readers for {args.seconds:.0f} s a target ·"
            f" {os.cpu_count()} CPUs (shared with the clients and PostgreSQL) · load average"
            f" {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
        )
        print(f"{'target':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
              f" {'p99 ms':>8} {'errors':>7}")  # fmt: skip
        for name, r in rows:
            print(
                f"{name:<10} {r['n']:>9} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
                f" {r['p99']:>8.1f} {r['errors']:>7}"
            )
        print("a cache miss, one request at a time in-process (BOARD_CACHE_SECONDS=0):")
        for name, median, worst, statements in misses:
            print(f"  {name:<6} median {median:6.1f} ms, worst {worst:6.1f} ms, {statements} SQL")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
