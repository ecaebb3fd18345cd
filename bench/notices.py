"""Notices delivered per second by one worker, and the delay from commit to delivery.

    .venv/bin/python bench/notices.py [--notices 2000] [--people 100] [--only sqlite|redis]
                                      [--rate 5] [--paced 150]

On a fresh migrated database (PostgreSQL ``<DATABASE_URL's database>_notices_bench`` when
DATABASE_URL points at PostgreSQL, else a SQLite file), with one ``python -m jobs.worker``
consumer (one thread) on the SQLite queue, and on Redis when REDIS_URL is set:

(a) in-app only: ``notify`` in units of work of 100, as requests and jobs call it; the inbox row
    is the delivery, so what counts is notices committed per second (no queue work at all);
(b) e-mail to a local aiosmtpd server: the same notices to people who chose e-mail; the worker
    sends each. Prints notices delivered per second (first commit to last ``sent_at``) and the
    delay from commit to delivery (``sent_at`` − the notice's ``created_at``), p50 and p95 — in a
    burst most of that delay is the backlog;
(c) e-mail at a steady ``--rate`` per second (below what the worker sends), one notice per unit
    of work as requests make them: the delay from commit to delivery when nothing waits.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COOP_ENV", "development")

BATCH = 100


def database(folder: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{folder}/notices-bench.sqlite3"
    parsed = sa.engine.make_url(url.replace("postgresql:", "postgresql+psycopg:", 1))
    name = f"{parsed.database}_notices_bench"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(backend: str, notices: int, people: int, folder: str, rate: float, paced: int) -> None:
    from coop.extensions import db
    from coop.notices.models import DeliveryStatus, Notice, NoticeDelivery
    from coop.notices.service import notify
    from coop.uow import unit_of_work
    from tests.conftest import make_app
    from tests.factories import make_community, make_volunteer
    from tests.notices.delivery_helpers import choose
    from tests.queue.worker import running_worker
    from tests.smtp_server import smtp_server

    queue = (
        {"REDIS_URL": os.environ["REDIS_URL"]}
        if backend == "redis"
        else {"QUEUE_SQLITE_PATH": f"{folder}/queue-{uuid.uuid4().hex}.sqlite3"}
    )
    with smtp_server() as server:
        mail = {
            "NOTICE_CHANNELS": "email",
            "SMTP_HOST": server.host,
            "SMTP_PORT": server.port,
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "noreply@coop.example.org",
        }
        app = make_app(
            database(folder),
            QUEUE_IMMEDIATE=False,
            QUEUE_NAME=f"coop-bench-{uuid.uuid4().hex}",
            **queue,
            **mail,
        )
        with app.app_context():
            community = make_community()
            inapp = [make_volunteer(community) for _ in range(people)]
            mailed = [make_volunteer(community, email=f"v{n}@example.com") for n in range(people)]
            for person in mailed:
                choose(person, "email")
            db.session.commit()
            inapp_ids, mailed_ids = [p.id for p in inapp], [p.id for p in mailed]

            def burst(ids: list[int]) -> float:
                started = time.perf_counter()
                for start in range(0, notices, BATCH):
                    with unit_of_work():
                        for n in range(start, min(start + BATCH, notices)):
                            notify(
                                ids[n % len(ids)], f"活动改期 {n}", body="新的时间：12月8日 09:00"
                            )
                return time.perf_counter() - started

            seconds = burst(inapp_ids)
            print(
                f"[{backend}] (a) in-app only: {notices} notices committed in {seconds:.2f} s"
                f" = {notices / seconds:.0f}/s; delay 0 (the inbox row is the delivery)"
            )

            def drained() -> None:
                deadline = time.monotonic() + 600
                while time.monotonic() < deadline:
                    left = db.session.scalar(
                        sa.select(sa.func.count()).where(
                            NoticeDelivery.status == DeliveryStatus.QUEUED
                        )
                    )
                    db.session.rollback()
                    if not left:
                        return
                    time.sleep(0.2)

            def delivered(title_like: str):
                return db.session.execute(
                    sa.select(Notice.created_at, NoticeDelivery.sent_at, NoticeDelivery.status)
                    .join(NoticeDelivery)
                    .where(Notice.title.like(title_like))
                ).all()

            env = {**mail, "SMTP_STARTTLS": "0"}
            with running_worker(app, workers=1, **env):
                burst(mailed_ids)
                drained()
                rows = delivered("活动改期%")
                for n in range(paced):  # (c): one at a time, at a steady rate
                    tick = time.perf_counter()
                    with unit_of_work():
                        notify(mailed_ids[n % len(mailed_ids)], f"稳定 {n}", body="新的时间")
                    time.sleep(max(0.0, 1 / rate - (time.perf_counter() - tick)))
                drained()
                steady = delivered("稳定%")
            db.session.remove()
            db.engine.dispose()
    if steady:
        waits = [(r.sent_at - r.created_at).total_seconds() for r in steady if r.sent_at]
        print(
            f"[{backend}] (c) e-mail at {rate:g}/s: {len(waits)}/{paced} sent;"
            f" commit→delivery p50 {percentile(waits, 0.5):.2f} s,"
            f" p95 {percentile(waits, 0.95):.2f} s"
        )
    sent = [r for r in rows if r.status is DeliveryStatus.SENT]
    delays = [(r.sent_at - r.created_at).total_seconds() for r in sent]
    span = (max(r.sent_at for r in sent) - min(r.created_at for r in sent)).total_seconds()
    print(
        f"[{backend}] (b) e-mail: {len(sent)}/{notices} sent, {len(server.messages)} arrived at"
        f" the SMTP server; {len(sent) / span:.0f} delivered/s;"
        f" commit→delivery p50 {percentile(delays, 0.5):.2f} s, p95 {percentile(delays, 0.95):.2f} s"
        f" (mean {statistics.mean(delays):.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "redis"])
    parser.add_argument("--rate", type=float, default=5, help="(c): notices a second")
    parser.add_argument("--paced", type=int, default=150, help="(c): how many")
    args = parser.parse_args()
    backends = ["sqlite"] + (["redis"] if os.environ.get("REDIS_URL") else [])
    with tempfile.TemporaryDirectory() as folder:
        for backend in [args.only] if args.only else backends:
            run(backend, args.notices, args.people, folder, args.rate, args.paced)


if __name__ == "__main__":
    main()
