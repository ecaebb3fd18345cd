"""Load and faults: simulated volunteers claiming, signing up, checking in and reserving through
the JSON API of a running server, while a web worker is killed and PostgreSQL restarted.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/faults.py                 # both runs; as root (PostgreSQL's cluster)
    .venv/bin/python bench/faults.py --only sqlite   # or --only postgres
    [--users 200] [--sqlite-users 50] [--seconds 60] [--kill-at 20] [--restart-at 40]
    [--restart-mode fast|immediate] [--pg-port 55434] [--redis-port 56381] [--keep]

The PostgreSQL run starts its own throwaway servers and touches no other: a PostgreSQL 15
cluster (``initdb`` in ``--state``, port ``--pg-port``) and a Redis (``--redis-port``), both
stopped at the end. It is migrated (``flask db upgrade``), gets the demo (``demo.load``) and the
benchmark's own work, made through the services (see ``seed``), and is served by gunicorn with 4
sync workers, as the Procfile serves it (``COOP_ENV=production``). Each simulated user signs in
with ``POST /api/v1/tokens`` before the clock starts; locust (``faults_users.py``) then runs them
for ``--seconds``. ``--kill-at`` seconds in, one gunicorn worker gets SIGKILL; ``--restart-at``
seconds in, PostgreSQL is restarted with ``pg_ctl restart -m fast``. After the run it is
restarted once more with no traffic, and 16 requests follow one at a time (the quiet restart).

The SQLite run serves a fresh SQLite file the way ``make run`` does (``flask run``, one process
with a thread per request, ``COOP_ENV=development``, no Redis) to ``--sqlite-users`` users, with
no faults: there is one process and no database server to kill.

After each run the script prints the count of each outcome (operation × status and error code),
then holds the client's counts and the database against each other (bench/README.md defines
each figure): every request sent got an answer or a connection error the client saw; every write
acknowledged is in the database; no project has more approved claims than slots, no session more
confirmed sign-ups than seats, no item more reservations than its stock; every check-in belongs to
a confirmed sign-up; the points on hold equal the cost of the reserved items; and
``flask ledger check`` passes. It exits 1 when any of these fails, or when the SQLite run had an
error (a 5xx or a connection error).
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from _harness import ROOT

BIN = Path(sys.executable).parent
PGBIN = Path("/usr/lib/postgresql/15/bin")
DB_NAME = "coop_bench_faults"
LOGIN_LIMIT = "100000 per minute"  # every simulated user signs in from 127.0.0.1

# The benchmark's own work in 兴旺社区, on top of the demo.
PROJECTS = 24  # routine projects (1 slot each); every other one approves claims at once
SLOTS, PER_SLOT, SEATS = 5, 5, 6  # sessions: 5 time slots × 5 sessions × 6 seats
SLOT_MINUTES = 4
ITEMS = [  # (name, cost, stock, monthly limit)
    ("压测·理发券", 20, 12, 1),
    ("压测·鸡蛋", 20, 12, 2),
    ("压测·洗衣液", 20, 12, None),
    ("压测·毛巾", 20, 12, None),
    ("压测·大米", 30, 12, 1),
    ("压测·电影票", 30, 12, 2),
    ("压测·食用油", 30, 12, None),
    ("压测·纸巾", 10, 12, None),
]
HOURS = 8  # 补录 hours each simulated volunteer has verified before the run: 80 points


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- throwaway servers ---------------------------------------------------------------------


def _as_postgres(*command) -> list[str]:
    """initdb and pg_ctl refuse root: run them as postgres then (cd / so it may chdir)."""
    command = [str(c) for c in command]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _port_answers(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Cluster:
    """A PostgreSQL 15 cluster of the benchmark's own, in ``state/pg``."""

    def __init__(self, state: Path, port: int):
        self.data, self.port = state / "pg", port
        self.log = state / "pg.log"

    def pg_ctl(self, *args, check=True):
        return subprocess.run(
            _as_postgres(PGBIN / "pg_ctl", "-D", self.data, "-l", self.log, *args),
            cwd="/",
            check=check,
            capture_output=True,
            text=True,
        )

    def start(self) -> None:
        if _port_answers(self.port):
            sys.exit(f"port {self.port} is taken; choose another with --pg-port")
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            self.log.touch()
            for path in (self.data, self.log):
                shutil.chown(path, "postgres", "postgres")
        self.data.chmod(0o700)
        subprocess.run(
            _as_postgres(
                PGBIN / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            cwd="/",
            check=True,
            capture_output=True,
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\n"
            )
        self.pg_ctl("-w", "-t", "60", "start")

    def restart(self, mode: str) -> float:
        began = time.monotonic()
        self.pg_ctl("-w", "-t", "60", "-m", mode, "restart")
        return time.monotonic() - began

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists():
            self.pg_ctl("-w", "-m", "fast", "stop", check=False)

    @property
    def url(self) -> sa.URL:
        return sa.make_url(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres")


class Redis:
    def __init__(self, state: Path, port: int):
        self.state, self.port = state, port

    def start(self) -> None:
        if _port_answers(self.port):
            sys.exit(f"port {self.port} is taken; choose another with --redis-port")
        subprocess.run(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize",
             "yes", "--save", "", "--appendonly", "no", "--dir", str(self.state),
             "--pidfile", str(self.state / "redis.pid"),
             "--logfile", str(self.state / "redis.log")],
            check=True,
        )  # fmt: skip
        for _ in range(100):
            if _port_answers(self.port):
                return
            time.sleep(0.05)
        sys.exit("redis did not start")

    def stop(self) -> None:
        pidfile = self.state / "redis.pid"
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text()), signal.SIGTERM)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Server:
    """The app on ``port``: gunicorn (its master is our child) or ``flask run``."""

    def __init__(self, command: list[str], env: dict, port: int, logfile: Path):
        self.port = port
        self.out_path = logfile
        self.out = open(logfile, "w")  # noqa: SIM115 (open for the server's lifetime)
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT
        )
        self.wait_ready(60)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, seconds: float, token: str | None = None) -> float:
        """Seconds until ``/healthz`` answers 200, or with ``token`` ``GET /api/v1/me`` (which
        reads the database)."""
        path, headers = "/healthz", {}
        if token is not None:
            path, headers = "/api/v1/me", {"Authorization": f"Bearer {token}"}
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode}; see {self.out.name}")
            request = urllib.request.Request(self.base + path, headers=headers)
            with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=5):
                return time.monotonic() - began
            time.sleep(0.2)
        sys.exit(f"the server did not answer in {seconds:.0f} s; see {self.out.name}")

    def workers(self) -> list[int]:
        """gunicorn's workers: the processes whose parent is the master we started."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    children.append(int(stat.parent.name))
        return sorted(children)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.out.close()


# --- the data --------------------------------------------------------------------------------


def migrate(uri: str):
    from flask_migrate import upgrade

    from coop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "LOGIN_RATE_LIMIT": LOGIN_LIMIT})
    with app.app_context():
        upgrade()
    return app


def seed(app, users: int, first_session_in: timedelta) -> dict:
    """The demo, then through the services: volunteers up to ``users`` (兴旺社区's demo
    volunteers first), the routine projects, the sessions (check-in already open), the items,
    and 8 verified hours (80 points) for each volunteer. Returns the plan the users read."""
    from coop import demo
    from coop.activities import service as activities
    from coop.alliance.models import Community
    from coop.auth.models import Role, RoleGrant, User
    from coop.categories import Category
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.hours import service as hours
    from coop.needs import service as needs
    from coop.needs.models import Beneficiary, NeedSource
    from coop.people import service as people
    from coop.projects import service as projects
    from coop.projects.models import ProjectMode
    from coop.rewards import stocking
    from coop.timeutil import local_today
    from coop.uow import unit_of_work

    with app.app_context():
        began = time.monotonic()
        with unit_of_work():
            demo.load()
        log(f"  demo loaded in {time.monotonic() - began:.1f} s")
        by_name = {u.username: u for u in db.session.scalars(sa.select(User))}
        secretary, staff = by_name["secretary"], by_name["staff"]
        community = db.session.scalar(sa.select(Community).where(Community.name == "兴旺社区"))
        volunteers = list(
            db.session.scalars(
                sa.select(User)
                .where(User.grants.any(sa.and_(RoleGrant.role == Role.VOLUNTEER,
                                               RoleGrant.community_id == community.id)))
                .order_by(User.id)
            )
        )  # fmt: skip
        with unit_of_work(secretary):
            for n in range(len(volunteers), users):
                person = people.add_person(
                    secretary,
                    community.id,
                    role=Role.VOLUNTEER,
                    username=f"bench-v{n + 1:03d}",
                    display_name=f"压测志愿者{n + 1}",
                    joined_on=local_today(),
                ).person
                # as if she had set it with her invitation: the bench signs in as her
                person.set_password(demo.DEMO_PASSWORD)
                volunteers.append(person)
        volunteers = volunteers[:users]
        now = utcnow()
        plan = {"users": [], "projects": [], "activities": [], "items": [], "stock": {}}
        with unit_of_work(secretary):
            for n in range(PROJECTS):
                category = list(Category)[n % len(Category)]
                need = needs.record_need(
                    secretary,
                    community.id,
                    title=f"压测需求 {n + 1}",
                    description="压测用的需求。",
                    category=category,
                    source=NeedSource.HALL,
                    beneficiary_group=Beneficiary.ELDERLY,
                )
                project = projects.create_project(
                    secretary,
                    community.id,
                    need_ids=[need.id],
                    title=f"压测日常项目 {n + 1}",
                    description="压测用的日常型项目。",
                    category=category,
                    mode=ProjectMode.ROUTINE,
                    slots=1,
                    starts_at=now + timedelta(days=30),
                    ends_at=now + timedelta(days=60),
                    claim_deadline=now + timedelta(days=20),
                    auto_approve=n % 2 == 0,
                )
                projects.publish_project(secretary, project.id, now=now)
                plan["projects"].append(project.id)
            first = now + first_session_in
            for slot in range(SLOTS):
                starts = first + timedelta(minutes=SLOT_MINUTES * slot)
                for n in range(PER_SLOT):
                    activity = activities.schedule_activity(
                        secretary,
                        community.id,
                        title=f"压测场次 {slot + 1}-{n + 1}",
                        place="党群服务中心",
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=SLOT_MINUTES),
                        capacity=SEATS,
                    )
                    plan["activities"].append({"id": activity.id, "code": activity.checkin_code})
            for name, cost, stock, limit in ITEMS:
                item = stocking.add_item(
                    staff, community.id, name=name, cost=cost, stock=stock, monthly_limit=limit
                )
                plan["items"].append(item.id)
                plan["stock"][str(item.id)] = stock
            yesterday = now - timedelta(days=1)
            source = activities.schedule_activity(
                secretary,
                community.id,
                title="压测·积分来源",
                place="党群服务中心",
                starts_at=yesterday - timedelta(hours=HOURS),
                ends_at=yesterday,
                capacity=1,
            )
        began = time.monotonic()
        records = []
        with unit_of_work(staff):
            for volunteer in volunteers:
                record = hours.enter_hours(
                    staff,
                    community.id,
                    volunteer_id=volunteer.id,
                    activity_id=source.id,
                    hours=Decimal(HOURS),
                    note="压测：补录",
                )
                records.append(record.id)
        with unit_of_work(secretary):
            for record_id in records:
                hours.verify_record(secretary, record_id, now=utcnow())
        log(
            f"  {len(records)} × {HOURS} h entered and verified in {time.monotonic() - began:.1f} s"
        )
        plan["users"] = [{"id": v.id, "username": v.username} for v in volunteers]
        plan["password"] = demo.DEMO_PASSWORD
        plan["community_id"] = community.id
        db.session.remove()
        db.engine.dispose()
    return plan


def sign_in(base: str, plan: dict) -> tuple[float, Counter]:
    """Every user's token through ``POST /api/v1/tokens``, four at a time. This is set-up, not
    the measured run: a 5xx or a connection error is retried (up to 20 times) and counted.
    Returns the seconds it took and the failed tries by outcome."""
    began, failed, lock = time.monotonic(), Counter(), threading.Lock()

    def token(user: dict) -> None:
        body = json.dumps({"username": user["username"], "password": plan["password"]}).encode()
        for attempt in range(21):
            request = urllib.request.Request(
                base + "/api/v1/tokens", data=body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    user["token"] = json.loads(response.read())["token"]
                    return
            except urllib.error.HTTPError as error:
                if error.code < 500 or attempt == 20:
                    raise
                with lock:
                    failed[str(error.code)] += 1
            except OSError as error:
                if attempt == 20:
                    raise
                with lock:
                    failed[f"error {type(error).__name__}"] += 1
            time.sleep(min(0.5 * (attempt + 1), 3))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(token, plan["users"]))
    return time.monotonic() - began, failed


# --- the run ---------------------------------------------------------------------------------


def load(base: str, plan: dict, users: int, seconds: int, wait: str, work: Path, faults) -> dict:
    """locust, headless, for ``seconds``; ``faults(started)`` runs beside it in a thread."""
    plan_file, out_file = work / "plan.json", work / "outcomes.json"
    plan_file.write_text(json.dumps(plan))
    out_file.unlink(missing_ok=True)
    env = dict(
        os.environ,
        FAULTS_PLAN=str(plan_file),
        FAULTS_OUT=str(out_file),
        FAULTS_SECONDS=str(seconds),
        FAULTS_WAIT=wait,
    )
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "faults_users.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(max(users // 10, 1)),
        # The users stop themselves after ``seconds``, each between two tasks, and the last one
        # ends the test (faults_users.py); the run time is only a backstop.
        "--run-time",
        f"{seconds + 120}s",
        "--stop-timeout",
        "30",
        "--loglevel",
        "WARNING",
        "--only-summary",
    ]
    events: list[str] = []
    with open(work / "locust.log", "w") as output:
        started = time.monotonic()
        locust = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
        thread = threading.Thread(target=faults, args=(started, events))
        thread.start()
        locust.wait()
        thread.join()
    if not out_file.exists():
        sys.exit(f"locust wrote no outcomes (exit {locust.returncode}); see {work / 'locust.log'}")
    result = json.loads(out_file.read_text())
    result["events"] = events
    result["wall"] = time.monotonic() - started
    return result


def pg_faults(server: Server, cluster: Cluster, kill_at: float, restart_at: float, mode: str):
    def run(started: float, events: list[str]) -> None:
        for at, what in sorted([(kill_at, "kill"), (restart_at, "restart")]):
            time.sleep(max(0.0, started + at - time.monotonic()))
            if what == "kill":
                before = server.workers()
                victim = before[len(before) // 2]
                os.kill(victim, signal.SIGKILL)
                events.append(
                    f"{time.monotonic() - started:5.1f} s  SIGKILL gunicorn worker {victim}"
                    f" (workers were {before})"
                )
                began = time.monotonic()
                while time.monotonic() - began < 30:
                    now = server.workers()
                    if len(now) == len(before) and victim not in now:
                        events.append(
                            f"{time.monotonic() - started:5.1f} s  gunicorn replaced it"
                            f" within {time.monotonic() - began:.1f} s (workers {now})"
                        )
                        break
                    time.sleep(0.1)
            else:
                at_ = time.monotonic() - started
                took = cluster.restart(mode)
                events.append(
                    f"{at_:5.1f} s  pg_ctl restart -m {mode}: PostgreSQL back in {took:.1f} s"
                )

    return run


def quiet_restart(server: Server, cluster: Cluster, plan: dict, mode: str) -> str:
    """PostgreSQL restarted while nobody uses the app (a night's maintenance): what do the next
    requests get? Each worker's pool still holds connections to the old server."""

    def me(user: dict) -> str:
        request = urllib.request.Request(
            server.base + "/api/v1/me", headers={"Authorization": f"Bearer {user['token']}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return str(response.status)
        except urllib.error.HTTPError as error:
            return str(error.code)
        except OSError as error:
            return f"error {type(error).__name__}"

    users = plan["users"][:16]
    with ThreadPoolExecutor(4) as pool:  # every worker has used its pool
        list(pool.map(me, users))
    took = cluster.restart(mode)
    answers = Counter(me(user) for user in users)
    return (
        f"quiet restart: pg_ctl restart -m {mode} with no traffic ({took:.1f} s), then"
        f" {len(users)} requests one at a time: "
        + ", ".join(f"{o} ×{n}" for o, n in sorted(answers.items()))
    )


def no_faults(started: float, events: list[str]) -> None:
    pass


# --- afterwards ------------------------------------------------------------------------------


def _ids(engine, sql: str, **params) -> set:
    with engine.connect() as connection:
        return {tuple(r) if len(r) > 1 else r[0] for r in connection.execute(sa.text(sql), params)}


def _in(ids) -> str:
    return "(" + ",".join(str(int(i)) for i in ids) + ")" if ids else "(NULL)"


def check_database(uri: str, plan: dict, acked: dict) -> tuple[list[str], bool]:
    """Lines to print, and whether every check holds."""
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    projects, items = _in(plan["projects"]), _in(plan["items"])
    activities = _in([a["id"] for a in plan["activities"]])
    users = _in([u["id"] for u in plan["users"]])
    lines, ok = [], True

    # Writes: acknowledged (2xx) vs in the database.
    writes = {
        "claim": f"SELECT id FROM claims WHERE project_id IN {projects}",
        "sign up": f"SELECT id FROM signups WHERE activity_id IN {activities}",
        "check in": f"SELECT activity_id, volunteer_id FROM signups"
        f" WHERE activity_id IN {activities} AND checked_in_at IS NOT NULL",
        "reserve": f"SELECT id FROM redemptions WHERE item_id IN {items}",
        "withdraw": f"SELECT id FROM claims WHERE project_id IN {projects}"
        " AND status = 'withdrawn'",
        "cancel sign-up": f"SELECT id FROM signups WHERE activity_id IN {activities}"
        " AND status = 'cancelled'",
        "cancel reservation": f"SELECT id FROM redemptions WHERE item_id IN {items}"
        " AND status = 'cancelled'",
    }
    lines.append("writes: acknowledged (2xx) · in the database · acknowledged but missing ·"
                 " in the database but never acknowledged")  # fmt: skip
    for what, sql in writes.items():
        stored = _ids(engine, sql)
        told = {tuple(x) if isinstance(x, list) else x for x in acked.get(what, [])}
        missing, silent = told - stored, stored - told
        ok &= not missing
        lines.append(
            f"  {what:<19} {len(told):6} {len(stored):6} {len(missing):6} {len(silent):6}"
            + ("   LOST" if missing else "")
        )

    with engine.connect() as c:
        q = lambda sql: c.execute(sa.text(sql)).all()  # noqa: E731
        slots = q(
            "SELECT p.id, p.slots, p.approved_count, (SELECT count(*) FROM claims c"
            "  WHERE c.project_id = p.id AND c.status IN ('approved', 'fulfilled'))"
            f" FROM projects p WHERE p.id IN {projects}"
        )
        seats = q(
            "SELECT a.id, a.capacity, a.confirmed_count, (SELECT count(*) FROM signups s"
            "  WHERE s.activity_id = a.id AND s.status = 'confirmed')"
            f" FROM activities a WHERE a.id IN {activities}"
        )
        stock = q(
            "SELECT i.id, i.stock, (SELECT count(*) FROM redemptions r"
            "  WHERE r.item_id = i.id AND r.status IN ('reserved', 'picked_up'))"
            f" FROM reward_items i WHERE i.id IN {items}"
        )
        stray = q(
            f"SELECT count(*) FROM signups WHERE activity_id IN {activities}"
            " AND checked_in_at IS NOT NULL AND status <> 'confirmed'"
        )[0][0]
        holds = q(
            "SELECT a.owner_id, a.balance, COALESCE((SELECT sum(r.cost) FROM redemptions r"
            "  WHERE r.volunteer_id = a.owner_id AND r.community_id = a.community_id"
            "  AND r.status = 'reserved'), 0)"
            f" FROM accounts a WHERE a.type = 'hold' AND a.owner_id IN {users}"
        )
    oversold = sum(1 for _i, cap, _c, n in slots if n > cap)
    drift = sum(1 for _i, _cap, count, n in slots if count != n)
    lines.append(
        f"claims:    {sum(n for *_x, n in slots)} approved on {len(slots)} routine projects"
        f" of 1 slot; projects with more approved claims than slots {oversold},"
        f" approved_count drift {drift}"
    )
    ok &= not oversold and not drift
    oversold = sum(1 for _i, cap, _c, n in seats if n > cap)
    drift = sum(1 for _i, _cap, count, n in seats if count != n)
    lines.append(
        f"sign-ups:  {sum(n for *_x, n in seats)} confirmed in {len(seats)} sessions of"
        f" {SEATS} seats; sessions over capacity {oversold}, confirmed_count drift {drift}"
    )
    ok &= not oversold and not drift
    initial = {int(k): v for k, v in plan["stock"].items()}
    oversold = sum(1 for i, _left, taken in stock if taken > initial[i])
    drift = sum(1 for i, left, taken in stock if left + taken != initial[i] or left < 0)
    lines.append(
        f"stock:     {sum(t for *_x, t in stock)} reserved of {sum(initial.values())} on"
        f" {len(stock)} items; items oversold {oversold}, stock + reserved ≠ initial {drift}"
    )
    ok &= not oversold and not drift
    lines.append(f"check-ins: {stray} without a confirmed sign-up")
    ok &= not stray
    off = sum(1 for _o, balance, cost in holds if balance != cost)
    lines.append(f"holds:     {off} of {len(holds)} hold accounts ≠ the cost of her reserved items")
    ok &= not off
    engine.dispose()
    return lines, ok


def ledger_check(env: dict) -> tuple[list[str], bool]:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "coop", "ledger", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = [f"flask ledger check: exit {done.returncode}"]
    lines += [f"  | {line}" for line in (done.stdout + done.stderr).strip().splitlines()[-8:]]
    return lines, done.returncode == 0


def report(title: str, result: dict) -> tuple[list[str], int, int]:
    """The outcome table; returns its lines, the requests unaccounted for, and the errors
    (5xx and connection errors)."""
    sent = Counter(result["sent"])
    table: dict[str, Counter] = defaultdict(Counter)
    for op, outcome, n in result["outcomes"]:
        table[op][outcome] += n
    lines = [title, f"  {'operation':<26} {'sent':>6} {'answered':>8} {'conn.err':>8}"
             f" {'lost':>5} {'p50 ms':>7} {'p95 ms':>7}   outcomes"]  # fmt: skip
    lost_total = errors = 0
    order = ["claim", "sign up", "check in", "reserve", "withdraw", "cancel sign-up",
             "cancel reservation", "read"]  # fmt: skip
    ops = sorted(sent, key=lambda op: (order.index(op.removesuffix(" (retry)")), op))
    for op in ops:
        outcomes = table[op]
        conn = sum(n for o, n in outcomes.items() if o.startswith("error"))
        answered = sum(outcomes.values()) - conn
        lost = sent[op] - answered - conn
        lost_total += lost
        errors += conn + sum(n for o, n in outcomes.items() if o[:1] == "5")
        times = result["latencies"].get(op, [])
        p50 = 1000 * times[len(times) // 2] if times else 0
        p95 = 1000 * times[int(len(times) * 0.95)] if times else 0
        shown = ", ".join(f"{o} ×{n}" for o, n in sorted(outcomes.items()))
        lines.append(
            f"  {op:<26} {sent[op]:>6} {answered:>8} {conn:>8} {lost:>5} {p50:>7.0f} {p95:>7.0f}"
            f"   {shown}"
        )
    for op, what, n in result.get("interrupted", []):
        lines.append(f"  cut off by the client itself ({what}): {op} ×{n}")
    total = sum(sent.values())
    lines.append(
        f"  {total} requests in {result['wall']:.0f} s ({total / result['wall']:.0f}/s),"
        f" {errors} errors (5xx or connection error), {lost_total} lost,"
        f" {sum(result['retried'].values())} writes retried once"
    )
    return lines, lost_total, errors


def server_errors(logfile: Path, offset: int) -> list[str]:
    """The exceptions behind the server's 500s, from its log after ``offset``: the last line of
    each traceback Flask logged ("Exception on …"), counted."""
    causes: Counter = Counter()
    current = None
    with open(logfile, "rb") as log_:
        log_.seek(offset)
        text = log_.read().decode(errors="replace")
    for line in text.splitlines():
        if "Exception on " in line:
            if current:
                causes[current] += 1
            current = "?"
        elif current and re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b", line):
            current = line.strip()
    if current:
        causes[current] += 1
    return [f"  {n:5} × {cause[:150]}" for cause, n in causes.most_common()]


def run_engine(args, engine: str, work: Path) -> bool:
    users = args.users if engine == "postgres" else args.sqlite_users
    log(f"{engine}: preparing")
    env = dict(os.environ, LOGIN_RATE_LIMIT=LOGIN_LIMIT)
    cluster = redis = server = None
    try:
        if engine == "postgres":
            cluster, redis = Cluster(work, args.pg_port), Redis(work, args.redis_port)
            cluster.start()
            redis.start()
            admin = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {DB_NAME}"))
            admin.dispose()
            uri = cluster.url.set(database=DB_NAME).render_as_string(hide_password=False)
            env.update(
                DATABASE_URL=uri,
                REDIS_URL=redis.url,
                COOP_ENV="production",
                SECRET_KEY=secrets.token_urlsafe(48),
            )
            command = [str(BIN / "gunicorn"), "--workers", "4", "--bind",
                       f"127.0.0.1:{args.http_port}", "coop:create_app()"]  # fmt: skip
        else:
            database = work / "coop.sqlite3"
            database.unlink(missing_ok=True)
            uri = f"sqlite:///{database}"
            env.update(DATABASE_URL=uri, COOP_ENV="development")
            command = [str(BIN / "flask"), "--app", "coop", "run", "--host", "127.0.0.1",
                       "--port", str(args.http_port + 1)]  # fmt: skip
        began = time.monotonic()
        app = migrate(uri)
        log(f"  migrated in {time.monotonic() - began:.1f} s")
        # The sessions start after the run: check-in (30 minutes before) is open all along.
        plan = seed(app, users, timedelta(seconds=args.seconds + 300))
        port = args.http_port if engine == "postgres" else args.http_port + 1
        server = Server(command, env, port, work / f"server-{engine}.log")
        took, failed = sign_in(server.base, plan)
        signed_in = (
            f"{len(plan['users'])} users signed in through POST /api/v1/tokens (4 at a time)"
            f" in {took:.1f} s; failed tries, retried: "
            + (", ".join(f"{o} ×{n}" for o, n in failed.most_common()) or "none")
        )
        log("  " + signed_in)
        faults = no_faults
        if engine == "postgres":
            faults = pg_faults(server, cluster, args.kill_at, args.restart_at, args.restart_mode)
        log(f"  load: {users} users for {args.seconds} s")
        load_avg = os.getloadavg()[0]
        offset = server.out_path.stat().st_size  # the run's 500s are logged after this
        wait = args.wait if engine == "postgres" else args.sqlite_wait
        result = load(server.base, plan, users, args.seconds, wait, work, faults)
        ready = server.wait_ready(60, plan["users"][0]["token"])
        causes = server_errors(server.out_path, offset)
        if engine == "postgres":
            result["events"].append(f"after the run the server answered within {ready:.1f} s")
            result["events"].append(quiet_restart(server, cluster, plan, args.restart_mode))
        served = (
            "gunicorn, 4 sync workers, Redis" if engine == "postgres" else "flask run (threaded)"
        )
        title = (
            f"coop load and faults · {engine} · {served} · {users} users for {args.seconds} s,"
            f" {wait.replace(',', '–')} s between tasks"
            f" · {os.cpu_count()} CPUs · load average {load_avg:.1f} before,"
            f" {os.getloadavg()[0]:.1f} after"
        )
        lines, lost, errors = report(title, result)
        lines.insert(1, "  before the clock: " + signed_in)
        if result["events"]:
            lines.append("faults:")
            lines += [f"  {e}" for e in result["events"]]
        if causes:
            lines.append("the server's 500s during the run, by exception (from its log):")
            lines += causes
        checks, ok = check_database(uri, plan, result["acked"])
        lines += checks
        ledger, ledger_ok = ledger_check(env)
        lines += ledger
        ok = ok and ledger_ok and lost == 0
        if engine == "sqlite" and errors:
            lines.append(f"FAIL: {errors} errors on the embedded default (must be 0)")
            ok = False
        lines.append(f"{engine}: {'PASS' if ok else 'FAIL'}")
        print("\n".join(lines), flush=True)
        return ok
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            if cluster is not None:
                cluster.stop()
            if redis is not None:
                redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["postgres", "sqlite"])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--sqlite-users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--wait", default="3,12", help="seconds between a user's tasks: min,max")
    parser.add_argument("--sqlite-wait", default="1,5")
    parser.add_argument("--kill-at", type=float, default=20)
    parser.add_argument("--restart-at", type=float, default=40)
    parser.add_argument("--restart-mode", choices=["fast", "immediate"], default="fast")
    parser.add_argument("--pg-port", type=int, default=55434)
    parser.add_argument("--redis-port", type=int, default=56381)
    parser.add_argument("--http-port", type=int, default=8790, help="gunicorn; flask run +1")
    parser.add_argument("--state", type=Path, default=Path(tempfile.gettempdir()) / "coop-faults")
    parser.add_argument("--keep", action="store_true", help="leave PostgreSQL and Redis running")
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):  # the shell's servers are never used
        os.environ.pop(name, None)
    if not (BIN / "locust").exists():
        sys.exit("locust is missing: .venv/bin/pip install -e '.[bench]'")
    args.state.mkdir(parents=True, exist_ok=True)
    args.state.chmod(0o755)  # postgres must reach its data directory inside
    engines = [args.only] if args.only else ["postgres", "sqlite"]
    results = {engine: run_engine(args, engine, args.state) for engine in engines}
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
