"""Time importing 5,000 people from one workbook through the task queue, on SQLite and PostgreSQL.

    .venv/bin/python bench/people_import.py [--people 5000] [--units 100] [--residents 1000]

Builds the workbook as the template's sheets (联盟单位及联络员 with a liaison per unit, 志愿者,
居民), then on each engine, on a fresh migrated database: reading the upload (within its
budget), the job's check (every row, then the database, in batched queries) and its write (one
transaction: units through the alliance service, people, grants, profiles, an invitation each),
then the same workbook again (everybody matched by phone: nobody created), then printing the new
people's invitations (fresh codes). The job is queued as an upload queues it and run by a real
worker (``python -m jobs.worker``, one thread, on a SQLite queue file): the time is from the
commit that queues it to the job done. PostgreSQL is used when DATABASE_URL points at it; its
bench database is ``<that database>_people_bench``, dropped and made anew.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import SECRETARY, recreate, seed_community


def workbook(people: int, units: int, residents: int) -> bytes:
    """``units`` units with a liaison each, then volunteers and ``residents`` residents: ``people``
    people in all, every third volunteer a party member working at one of the units."""
    from openpyxl import Workbook

    from coop.people import excel

    volunteers = people - units - residents
    book = Workbook(write_only=True)
    sheets = {spec.kind: book.create_sheet(spec.name) for spec in excel.SHEETS}
    for spec in excel.SHEETS:
        sheets[spec.kind].append([c.header + ("*" if c.required else "") for c in spec.columns])
    unit_sheet, volunteer_sheet, resident_sheet = sheets.values()
    for n in range(units):
        unit_sheet.append(
            [f"压测单位{n}", "驻区单位企业", f"兴旺路{n}号", "", f"联络员{n}", f"136{n:08d}"]
        )
    for n in range(volunteers):
        work_unit = f"压测单位{n % units}" if units and n % 3 == 0 else None
        volunteer_sheet.append(
            [f"志愿者{n}", f"139{n:08d}", "是" if n % 3 == 0 else "否", work_unit,
             "理发，测血压" if n % 5 == 0 else None, "2024-03-05"]
        )  # fmt: skip
    for n in range(residents):
        resident_sheet.append([f"居民{n}", f"137{n:08d}", "邻里单元1", f"阳光苑{n % 40}号楼"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def start_worker(url: str, queue_path: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "QUEUE_SQLITE_PATH": queue_path,
        "QUEUE_NAME": "bench",
        "COOP_ENV": "development",
        "QUEUE_WORKERS": "1",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.worker"], env=env, cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run(label: str, url: str, data: bytes, queue_path: str) -> None:
    from flask_migrate import upgrade

    from coop import create_app, importing
    from coop.alliance.models import Neighbourhood
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.people import excel, imports
    from coop.uow import unit_of_work

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "QUEUE_IMMEDIATE": False, "QUEUE_NAME": "bench",
         "QUEUE_SQLITE_PATH": queue_path, "REDIS_URL": None}
    )  # fmt: skip
    with app.app_context():
        upgrade()
        community = seed_community()
        db.session.add(Neighbourhood(community=community, name="邻里单元1"))
        db.session.commit()
        community_id = community.id
        secretary = db.session.scalar(sa.select(User).where(User.username == SECRETARY))
    worker = start_worker(url, queue_path)

    def once(what: str) -> tuple[float, float, float, int, object]:
        with app.test_request_context():
            secretary = db.session.scalar(sa.select(User).where(User.username == SECRETARY))
            started = time.perf_counter()
            rows = excel.read_workbook(data)
            read = time.perf_counter()
            with unit_of_work(secretary):
                job = imports.create_import_job(
                    secretary, community_id, filename="bench.xlsx",
                    total_rows=sum(map(len, rows.values())),
                )  # fmt: skip
                importing.queue_job(job, data, locale="zh")
            job_id = job.id
            while True:  # the worker runs it; the job row says when it is done
                db.session.rollback()
                job = db.session.get(imports.PeopleImportJob, job_id)
                if not job.is_running:
                    break
                time.sleep(0.05)
            done = time.perf_counter()
            assert job.status.value == "done", (job.status, job.error_rows[:3], job.message)
            print(
                f"  {what}: {done - started:6.2f} s  (reading the upload {read - started:.2f} s, "
                f"queued, checked and written by the worker {done - read:.2f} s)  {job.counts}"
            )
            return job

    print(f"{label}:")
    try:
        first = once("first import ")
        once("same sheet again")
    finally:
        worker.terminate()
        worker.wait(30)
    with app.test_request_context():
        secretary = db.session.get(User, secretary.id)
        started = time.perf_counter()
        with unit_of_work(secretary):
            printed = imports.print_import_invitations(
                secretary, community_id, first.id, now=utcnow()
            )
        print(
            f"  printing {len(printed.sheets)} invitations (fresh codes): "
            f"{time.perf_counter() - started:.2f} s"
        )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--residents", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("COOP_ENV", "development")  # its secret will do for a throwaway database
    started = time.perf_counter()
    data = workbook(args.people, args.units, args.residents)
    print(
        f"workbook: {args.people} people ({args.units} units with their liaisons, "
        f"{args.people - args.units - args.residents} volunteers, {args.residents} residents), "
        f"{len(data) / 1024:.0f} KB, built in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/people-bench.sqlite3", data, f"{tmp}/queue.sqlite3")
    raw = os.environ.get("DATABASE_URL", "")
    if raw.startswith(("postgres:", "postgresql")):
        url = sa.make_url(raw.replace("postgresql:", "postgresql+psycopg:", 1))
        bench_url = recreate(url, f"{url.database}_people_bench")
        with tempfile.TemporaryDirectory() as tmp:
            url = bench_url.render_as_string(hide_password=False)
            run("PostgreSQL", url, data, f"{tmp}/queue.sqlite3")
    else:
        print("PostgreSQL: skipped (DATABASE_URL is not PostgreSQL)")


if __name__ == "__main__":
    main()
