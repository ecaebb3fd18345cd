"""Coop under a crowd, on the city data set, beside hello-world and a one-query Flask page
served the same way: requests per second and each page's p50/p95/p99, in one run.

    .venv/bin/pip install -e '.[bench]'
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/load.py [--scale 1] [--reuse] [--users 50] [--seconds 60]
        [--think 1,5] [--workers 4] [--threads 4] [--single 15] [--warm 20]
        [--only single,saturation,think]

DATABASE_URL only names the server. The city (``bench/city.py``: 50 communities, 1 M volunteers,
200 k needs, 5 M service records at scale 1) is built, or kept with ``--reuse``, then cloned as
``coop_bench_city_load`` where ``monthly_badges`` and ``match`` run first, as in a street that
has run for a month (``--reuse`` also keeps that clone when it was made from the same build).
The benchmark gives ``--users`` accounts per role a password (70 % volunteers, 20 % secretaries
of different communities, 10 % unit liaisons) and serves the clone with gunicorn ``--workers``
× ``--threads`` (``COOP_ENV=production``, Redis when ``REDIS_URL`` is set), warms it up with
``--warm`` seconds of the crowd below (not counted: every worker has then compiled every page's
templates and statements, as a server that has run a while has), then runs:

1. **single**: one signed-in person per role opens each page ``--single`` times, one request at
   a time (after 3 untimed ones); the median and the slowest are that page's cost alone.
2. **saturation**: ``--users`` simulated people (``bench/load_users.py``) sign in through the
   form and open pages with no pause for ``--seconds``; then hello-world and the one-query page
   (``bench/load_baseline.py``) under the same gunicorn settings and the same number of users.
   Coop's requests per second is put beside theirs.
3. **think**: the same people with ``--think`` seconds between pages, the load a street has.

Every client runs in one locust process on the same machine as the server and PostgreSQL, as
the issue measured; the load average is printed before and after each run. Beside locust's
figures, each page's p50/p95/p99 inside the server (gunicorn's access log, the page named by a
header the simulated people send): what a client on another machine would see, less the
network, without the time locust's own process waited for the shared CPUs.
"""

import argparse
import contextlib
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import city
import sqlalchemy as sa
from _harness import ROOT, server_url
from load_pages import PAGE_HEADER

BIN = Path(sys.executable).parent
LOAD_DB = "coop_bench_city_load"
PASSWORD = "bench-load-Pa55"
SHARES = {"volunteer": 0.7, "secretary": 0.2, "liaison": 0.1}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --- the data ---------------------------------------------------------------------------------


def city_built(url: sa.URL, scale: float, period: str, reuse: bool) -> dict:
    mark = city.built_mark(url) if reuse else None
    if mark and (mark["scale"], mark["period"], mark.get("schema")) == (
        scale,
        period,
        city.schema_head(),
    ):
        log(f"reusing {city.BENCH_DB} built on {mark['built_on']}")
        return mark
    log(f"building {city.BENCH_DB} at scale {scale:g} …")
    return city.build(url, scale, period, jobs=2)


def _comment(url: sa.URL, database: str) -> dict:
    admin = sa.create_engine(url.set(database="postgres"), poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        text = connection.execute(
            sa.text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = :name"
            ),
            {"name": database},
        ).scalar()
    admin.dispose()
    with contextlib.suppress(TypeError, ValueError):
        return json.loads(text)
    return {}


def after_jobs(url: sa.URL, mark: dict, reuse: bool) -> None:
    """The clone the server runs on, after the month's badges and a matching run."""
    wanted = {"built_on": mark["built_on"], "jobs": "monthly_badges,match"}
    if reuse and _comment(url, LOAD_DB) == wanted:
        log(f"reusing {LOAD_DB} (the month's badges and matching already run)")
        return
    log(f"cloning {city.BENCH_DB} as {LOAD_DB} … {city.clone(url, LOAD_DB):.1f} s")
    for job, period in (("monthly_badges", mark["period"]), ("match", None)):
        log(f"running {job} on it …")
        result = city.run_job(job, LOAD_DB, period, timeout=900, profile=False)
        if result.get("status") != "ran":
            sys.exit(f"{job} did not run: {result}")
        log(f"  {job}: {result['seconds']:.1f} s")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        text = json.dumps(wanted).replace("'", "''")
        connection.execute(sa.text(f"COMMENT ON DATABASE \"{LOAD_DB}\" IS '{text}'"))
    admin.dispose()


def accounts(url: sa.URL, users: int) -> dict:
    """``users`` accounts per role with ``PASSWORD``, spread over the communities."""
    from werkzeug.security import generate_password_hash

    engine = sa.create_engine(url.set(database=LOAD_DB), poolclass=sa.pool.NullPool)
    picked: dict[str, list[dict]] = {}
    queries = {
        "volunteer": "SELECT u.id, u.username, g.community_id FROM users u"
        " JOIN role_grants g ON g.user_id = u.id AND g.role = 'volunteer'"
        " WHERE u.username LIKE 'city-v%' ORDER BY u.id LIMIT :n",
        "secretary": "SELECT u.id, u.username, g.community_id FROM users u"
        " JOIN role_grants g ON g.user_id = u.id AND g.role = 'secretary'"
        " ORDER BY u.id LIMIT :n",
        "liaison": "SELECT DISTINCT ON (u.id) u.id, u.username, m.community_id FROM users u"
        " JOIN role_grants g ON g.user_id = u.id AND g.role = 'unit_liaison'"
        " JOIN memberships m ON m.unit_id = g.unit_id ORDER BY u.id, m.community_id LIMIT :n",
    }
    password_hash = generate_password_hash(PASSWORD)
    with engine.begin() as connection:
        for role, sql in queries.items():
            rows = connection.execute(sa.text(sql), {"n": users}).all()
            picked[role] = [
                {"username": r.username, "password": PASSWORD, "community_id": r.community_id}
                for r in rows
            ]
            connection.execute(
                sa.text("UPDATE users SET password_hash = :h WHERE id = ANY(:ids)"),
                {"h": password_hash, "ids": [r.id for r in rows]},
            )
    engine.dispose()
    return {"users": picked}


# --- the servers ------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, app: str, env: dict, port: int, workers: int, threads: int, log_to: Path):
        self.base = f"http://127.0.0.1:{port}"
        self.out = open(log_to, "w")  # noqa: SIM115 (open for the server's lifetime)
        # Each request's page (the header load_users.py sends) and its time inside the server.
        self.access_log = log_to.with_suffix(".access")
        command = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads)]
        command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        command += ["--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT]
        command.append(app)
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT
        )
        began = time.monotonic()
        while time.monotonic() - began < 60:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with {self.process.returncode}; see {log_to}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.base + "/healthz"):
                return
            # the baseline has no /healthz (an HTTPError is an OSError)
            with contextlib.suppress(OSError), urllib.request.urlopen(self.base + "/hello"):
                return
            time.sleep(0.3)
        sys.exit(f"gunicorn did not answer in 60 s; see {log_to}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.out.close()


ACCESS_FORMAT = "%({" + PAGE_HEADER.lower() + "}i)s %(D)s"  # the page's name, microseconds


def inside_the_server(access_log: Path, since: int) -> dict[str, list[float]]:
    """Milliseconds each named page took inside gunicorn, from byte ``since`` of its access log
    (what a client on another machine would see, less the network): the client's own process
    shares the CPUs here, and its waits for them are in locust's figures, not in these."""
    times: dict[str, list[float]] = {}
    with open(access_log, "rb") as f:
        f.seek(since)
        for line in f.read().decode().splitlines():
            name, _, micros = line.rpartition(" ")
            if name and name != "-":
                times.setdefault(urllib.parse.unquote(name), []).append(int(micros) / 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def server_env(database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, COOP_ENV="production")
    env.update(SECRET_KEY=secrets.token_urlsafe(48), PYTHONPATH=str(ROOT))
    return env


# --- one request at a time --------------------------------------------------------------------


class Browser:
    """One signed-in person over urllib, carrying the session cookie by hand (it is Secure)."""

    def __init__(self, base: str, account: dict):
        self.base, self.cookie = base, ""
        opener = urllib.request.build_opener(NoRedirect)
        self.open = opener.open
        form = self.get("/login")[1]
        token = form.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        body = urllib.parse.urlencode(
            {"csrf_token": token, "username": account["username"], "password": PASSWORD}
        ).encode()
        status, _ = self.request("/login", body)
        if status != 302:
            sys.exit(f"{account['username']} could not sign in: {status}")

    def request(self, path: str, body: bytes | None = None, hx: bool = False) -> tuple[int, str]:
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        if hx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = self.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for value in response.headers.get_all("Set-Cookie") or []:
                if value.startswith("session="):
                    self.cookie = value.split(";", 1)[0].removeprefix("session=")
            return response.status, response.read().decode("utf-8", "replace")

    def get(self, path: str, hx: bool = False) -> tuple[int, str]:
        return self.request(path, hx=hx)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def single_requests(base: str, plan: dict, times: int) -> list[tuple]:
    from load_pages import HX_GET, LOAD_TAG, PAGES, fragment_name

    rows = []
    for role, pages in PAGES.items():
        account = plan["users"][role][-1]
        browser = Browser(base, account)
        for name, template, _ in pages:
            path = template.format(c=account["community_id"])
            status, body = browser.get(path)
            fragments = [HX_GET.search(t).group(1) for t in LOAD_TAG.findall(body)]
            for label, target, hx in [(name, path, False)] + [
                (fragment_name(f), f.replace("&amp;", "&"), True) for f in fragments
            ]:
                if any(row[0] == label for row in rows):
                    continue
                for _ in range(2):
                    browser.get(target, hx=hx)
                took = []
                for _ in range(times):
                    began = time.perf_counter()
                    status, body = browser.get(target, hx=hx)
                    took.append((time.perf_counter() - began) * 1000)
                took.sort()
                rows.append((label, status, took[len(took) // 2], took[-1], len(body)))
    return rows


# --- a crowd ----------------------------------------------------------------------------------


def locust(server: Gunicorn, env: dict, users: int, seconds: int, work: Path, tag: str) -> list:
    """locust's rows, each with the same page's times inside the server (``inside``)."""
    base, prefix = server.base, work / tag
    since = server.access_log.stat().st_size
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load_users.py"), "--headless"]
    command += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", base]
    command += ["--csv", str(prefix), "--only-summary", "--stop-timeout", "10"]
    load = os.getloadavg()[0]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if not Path(f"{prefix}_stats.csv").exists():
        sys.exit(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    inside = inside_the_server(server.access_log, since)
    for row in rows:
        row["load"], row["inside"] = load, inside.get(row["Name"], [])
    return rows


def table(rows: list[dict], skip_sign_in: bool = True) -> tuple[list[str], float]:
    lines = [
        f"  {'page':38} {'requests':>8} {'rps':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5}"
        f"  {'server p50':>10} {'p95':>6} {'p99':>6}"
    ]
    total = 0.0
    for row in sorted(rows, key=lambda r: r["Name"]):
        if row["Name"] == "Aggregated" or (skip_sign_in and row["Name"].startswith("sign in")):
            continue
        rps = float(row["Requests/s"])
        total += rps
        inside = row.get("inside")
        server = (
            f"  {percentile(inside, 0.5):10.0f} {percentile(inside, 0.95):6.0f}"
            f" {percentile(inside, 0.99):6.0f}"
            if inside
            else ""
        )
        lines.append(
            f"  {row['Name']:38} {int(row['Request Count']):8,} {rps:7.1f}"
            f" {row['50%']:>6} {row['95%']:>6} {row['99%']:>6} {row['Failure Count']:>5}{server}"
        )
    lines.append(
        f"  {'all pages and fragments':38} {'':8} {total:7.1f}   (ms; rps over the run;"
        " server: inside gunicorn, from its access log)"
    )
    return lines, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reuse", action="store_true", help="keep the city and its clone")
    parser.add_argument("--period", help="the city's month, e.g. 2026-11; default: the last")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think", default="1,5", help="seconds between pages, low,high")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--single", type=int, default=15, help="timed requests per page")
    parser.add_argument("--warm", type=int, default=20, help="seconds of load before timing")
    parser.add_argument("--only", default="single,saturation,think")
    parser.add_argument("--port", type=int, default=8791)
    options = parser.parse_args()
    only = {x.strip() for x in options.only.split(",")}

    url = server_url()
    period = options.period or city.previous_month(datetime.now().date())
    log(
        f"coop load · city scale {options.scale:g} · {options.users} users · gunicorn"
        f" {options.workers} workers × {options.threads} threads · {os.cpu_count()} CPUs"
    )
    mark = city_built(url, options.scale, period, options.reuse)
    after_jobs(url, mark, options.reuse)
    plan = accounts(url, options.users)
    work = Path(tempfile.mkdtemp(prefix="coop-load-"))
    (work / "plan.json").write_text(json.dumps(plan))
    database_url = url.set(database=LOAD_DB).render_as_string(hide_password=False)
    shape = (options.port, options.workers, options.threads)
    client_env = dict(os.environ, LOAD_PLAN=str(work / "plan.json"), PYTHONPATH=str(ROOT))

    coop = Gunicorn("coop:create_app()", server_env(database_url), *shape, work / "coop.log")
    try:
        if options.warm:
            # A server that has run a while: every worker has compiled each page's templates
            # and statements (a cold first view costs hundreds of ms, and with a dozen views
            # of a page per run it would be the page's p95).
            log(f"warming up: {options.users} users, no pause, {options.warm} s (not counted)")
            env = dict(client_env, LOAD_WAIT="0,0")
            locust(coop, env, options.users, options.warm, work, "warm")
        if "single" in only:
            log(f"single requests: {options.single} timed per page, one at a time")
            print(f"  {'page':38} {'status':>6} {'median':>8} {'slowest':>8} {'bytes':>9}")
            for label, status, median, slowest, size in single_requests(
                coop.base, plan, options.single
            ):
                flag = "" if median < 50 else "  ≥ 50 ms"
                print(f"  {label:38} {status:6} {median:8.1f} {slowest:8.1f} {size:9,}{flag}")
        results = {}
        if "saturation" in only:
            log(f"saturation: {options.users} users, no pause, {options.seconds} s")
            env = dict(client_env, LOAD_WAIT="0,0")
            results["coop"] = locust(coop, env, options.users, options.seconds, work, "sat")
        if "think" in only:
            log(f"think time {options.think} s: {options.users} users, {options.seconds} s")
            env = dict(client_env, LOAD_WAIT=options.think)
            think = locust(coop, env, options.users, options.seconds, work, "think")
            lines, _ = table(think)
            print("\n".join(lines))
    finally:
        coop.stop()

    if "saturation" in only:
        baseline = Gunicorn(
            "bench.load_baseline:app", server_env(database_url), *shape, work / "base.log"
        )
        try:
            for path in ("/hello", "/one-query"):
                log(f"baseline {path}: {options.users} users, no pause, {options.seconds} s")
                env = dict(client_env, LOAD_TARGET="baseline", LOAD_BASELINE_PATH=path)
                results[path] = locust(
                    baseline, env, options.users, options.seconds, work, path.strip("/")
                )
        finally:
            baseline.stop()
        lines, coop_rps = table(results["coop"])
        print(
            f"saturation, {options.users} users, no pause (load average before"
            f" {results['coop'][0]['load']:.1f}):"
        )
        print("\n".join(lines))
        for path in ("/one-query", "/hello"):
            agg = next(r for r in results[path] if r["Name"] == path)
            rps = float(agg["Requests/s"])
            print(
                f"  {path:38} {int(agg['Request Count']):8,} {rps:7.1f} {agg['50%']:>6}"
                f" {agg['95%']:>6} {agg['99%']:>6}   Coop is {100 * coop_rps / rps:.1f} %"
            )
    log(f"done · load average {os.getloadavg()[0]:.1f} · files in {work}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
