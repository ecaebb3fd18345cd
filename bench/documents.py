"""Time and peak memory to issue a 志愿服务记录证明 for a volunteer with 500 verified records, and
the time until its PDF, made by the task queue, is ready to download.

    eval "$(scripts/services.sh env)"      # or DATABASE_URL=postgresql+psycopg://…/anything
    .venv/bin/python bench/documents.py    # --records 500 --runs 5

The script uses ``DATABASE_URL`` only to find the PostgreSQL server. It drops, recreates and
migrates its own database (``coop_documents_bench``), seeds one community, its secretary, a
verifier and a volunteer with ``--records`` verified records (one in ten 补录), each on its own
activity. The app's queue is a SQLite file in a temporary folder, consumed by Huey's consumer
(one worker thread, polling every 50–100 ms) in this process, as ``python -m jobs.worker`` would.
Then, ``--runs`` times, it times:

- **issue**: ``certificates.service.issue`` (the totals, the records, the snapshot, the PDF's job
  row) and commit, which queues the PDF: what the request that issues it waits for;
- **ready**: from the start of the issue until the job row says ``done``, polled every 10 ms:
  what she waits for before the download button appears (queue latency, Jinja, WeasyPrint, and
  storing the bytes);
- **download**: reading the stored PDF back (what ``GET /certificates/{id}.pdf`` does).

and prints the median and worst wall time of each, the PDF's pages and size, and the peak
Python memory of one more render (``certificates.documents.certificate_pdf``), made untimed under
tracemalloc, beside the process's peak resident size (``ru_maxrss``, which includes pango's and
the fonts' C allocations that tracemalloc cannot see, and the consumer thread).
The first run is a warm-up (fonts loaded, templates compiled) and is reported apart.
"""

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import migrated_app, seed_community, server_url


def seed(records: int) -> int:
    from coop.activities.models import Activity
    from coop.auth.models import Role, RoleGrant, User
    from coop.extensions import db
    from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
    from coop.people.models import VolunteerProfile
    from coop.timeutil import local_midnight

    community = seed_community()
    verifier = User(
        username="bench-verifier",
        display_name="核实人",
        password_hash="-",
        grants=[RoleGrant(role=Role.SECRETARY, community=community)],
    )
    volunteer = User(
        username="bench-volunteer",
        display_name="张小燕",
        password_hash="-",
        grants=[RoleGrant(role=Role.VOLUNTEER, community=community)],
    )
    db.session.add_all([verifier, volunteer])
    db.session.flush()
    db.session.add(VolunteerProfile(user_id=volunteer.id, home_community_id=community.id))
    secretary = db.session.scalar(
        __import__("sqlalchemy").select(User).where(User.username == "bench-secretary")
    )
    first = date(2024, 1, 1)
    for n in range(records):
        day = first + timedelta(days=n)
        start = local_midnight(day) + timedelta(hours=9)
        activity = Activity(
            community_id=community.id,
            title=f"敬老院陪伴第{n + 1}次",
            description="陪伴老人聊天、读报，协助打扫公共区域。",
            place="党群服务中心",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=10,
        )
        db.session.add(activity)
        db.session.flush()
        entered = n % 10 == 0
        db.session.add(
            ServiceRecord(
                community_id=community.id,
                volunteer_id=volunteer.id,
                activity_id=activity.id,
                service_date=day,
                hours=Decimal("2.5") if entered else Decimal(2),
                origin=RecordOrigin.ENTERED if entered else RecordOrigin.CHECKIN,
                entered_by_id=secretary.id if entered else None,
                status=RecordStatus.VERIFIED,
                verified_by_id=verifier.id,
            )
        )
    db.session.commit()
    return volunteer.id


def _wait_until_done(app, certificate_id: int, timeout: float = 120.0) -> float:
    from coop.certificates.models import PDF_DONE, PDF_FAILED, CertificatePdf
    from coop.extensions import db

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with app.app_context():
            status = db.session.scalar(
                sa.select(CertificatePdf.status).where(
                    CertificatePdf.certificate_id == certificate_id
                )
            )
            db.session.remove()
        if status == PDF_DONE:
            return time.perf_counter()
        if status == PDF_FAILED:
            sys.exit(f"certificate {certificate_id}: the PDF failed (see the log)")
        time.sleep(0.01)
    sys.exit(f"certificate {certificate_id}: no PDF after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="coop_documents_bench")
    args = parser.parse_args()

    from pypdf import PdfReader

    from coop import queue
    from coop.auth.models import User
    from coop.certificates import documents, pdfs, service
    from coop.certificates.models import Certificate, CertificatePdf
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.uow import unit_of_work

    folder = tempfile.mkdtemp(prefix="coop-documents-bench-")
    os.environ["QUEUE_IMMEDIATE"] = "0"
    os.environ["QUEUE_SQLITE_PATH"] = os.path.join(folder, "queue.sqlite3")
    _, app = migrated_app(server_url(), args.database, pool=4)
    app.config["SERVER_NAME"] = "coop.example"
    with app.app_context():
        volunteer_id = seed(args.records)
    consumer = queue.huey_of(app).create_consumer(
        workers=1, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.1
    )
    consumer.start()

    issue_times, ready_times, download_times = [], [], []
    pages = size = 0
    try:
        for run in range(args.runs + 1):
            with app.test_request_context():
                actor = db.session.get(User, volunteer_id)
                started = time.perf_counter()
                with unit_of_work(actor):
                    certificate_id = service.issue(actor, volunteer_id, now=utcnow()).id
                issued = time.perf_counter()
            ready = _wait_until_done(app, certificate_id)
            with app.app_context():
                fetched = time.perf_counter()
                pdf = pdfs.stored_pdf(db.session.get(CertificatePdf, certificate_id))
                downloaded = time.perf_counter()
                db.session.remove()
            if run == 0:
                print(f"warm-up: issue {issued - started:.3f} s, ready {ready - started:.3f} s")
                continue
            issue_times.append(issued - started)
            ready_times.append(ready - started)
            download_times.append(downloaded - fetched)
            pages, size = len(PdfReader(io.BytesIO(pdf)).pages), len(pdf)
    finally:
        consumer.stop(graceful=True)

    # Memory apart from the timed runs: tracemalloc slows Python several times over.
    with app.test_request_context():
        certificate = db.session.get(Certificate, certificate_id)
        tracemalloc.start()
        documents.certificate_pdf(certificate)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def line(label, times):
        median, worst = statistics.median(times), max(times)
        print(f"  {label:<52} median {median:.3f} s, worst {worst:.3f} s")

    print(f"certificate for {args.records} verified records, {args.runs} runs after the warm-up")
    line("issue (totals, records, snapshot, job row, commit):", issue_times)
    line("ready (issue until the queue has stored the PDF):", ready_times)
    line("download (read the stored PDF):", download_times)
    print(f"  pdf: {pages} A4 pages, {size / 1024:.0f} KiB")
    print(f"  peak Python memory of one render (tracemalloc): {peak / 2**20:.1f} MiB")
    print(f"  peak resident size of the process (ru_maxrss): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
