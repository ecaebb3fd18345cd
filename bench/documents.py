"""Time and peak memory to make a 志愿服务记录证明 for a volunteer with 500 verified records.

    eval "$(scripts/services.sh env)"      # or DATABASE_URL=postgresql+psycopg://…/anything
    .venv/bin/python bench/documents.py    # --records 500 --runs 5

The script uses ``DATABASE_URL`` only to find the PostgreSQL server. It drops, recreates and
migrates its own database (``coop_documents_bench``), seeds one community, its secretary, a
verifier and a volunteer with ``--records`` verified records (one in ten 补录), each on its own
activity. Then, ``--runs`` times, it times the two steps a download makes:

- **issue**: ``certificates.service.issue`` (the totals, the records, the snapshot) and commit;
- **pdf**: ``certificates.documents.certificate_pdf`` (Jinja, then WeasyPrint), bytes in memory.

and prints the median and worst wall time of each, the PDF's pages and size, and the peak
Python memory of one more pdf step, made untimed under tracemalloc, beside the process's peak resident size
(``ru_maxrss``, which includes pango's and the fonts' C allocations that tracemalloc cannot see).
The first run is a warm-up (fonts loaded, templates compiled) and is reported apart.
"""

import argparse
import io
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="coop_documents_bench")
    args = parser.parse_args()

    from pypdf import PdfReader

    from coop.auth.models import User
    from coop.certificates import documents, service
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.uow import unit_of_work

    _, app = migrated_app(server_url(), args.database)
    app.config["SERVER_NAME"] = "coop.example"
    with app.app_context():
        volunteer_id = seed(args.records)

    issue_times, pdf_times, peaks = [], [], []
    pages = size = 0
    for run in range(args.runs + 1):
        with app.test_request_context():
            actor = db.session.get(User, volunteer_id)
            started = time.perf_counter()
            with unit_of_work(actor):
                certificate = service.issue(actor, volunteer_id, now=utcnow())
            issued = time.perf_counter()
            pdf = documents.certificate_pdf(certificate)
            done = time.perf_counter()
        if run == 0:
            print(f"warm-up: issue {issued - started:.3f} s, pdf {done - issued:.3f} s")
            continue
        issue_times.append(issued - started)
        pdf_times.append(done - issued)
        pages, size = len(PdfReader(io.BytesIO(pdf)).pages), len(pdf)

    # Memory apart from the timed runs: tracemalloc slows Python several times over.
    with app.test_request_context():
        tracemalloc.start()
        documents.certificate_pdf(certificate)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"certificate for {args.records} verified records, {args.runs} runs after the warm-up")
    print(
        f"  issue (totals, records, snapshot, commit): median {statistics.median(issue_times):.3f} s, worst {max(issue_times):.3f} s"
    )
    print(
        f"  pdf (Jinja + WeasyPrint):                  median {statistics.median(pdf_times):.3f} s, worst {max(pdf_times):.3f} s"
    )
    print(f"  pdf: {pages} A4 pages, {size / 1024:.0f} KiB")
    print(f"  peak Python memory of one pdf (tracemalloc): {max(peaks) / 2**20:.1f} MiB")
    print(f"  peak resident size of the process (ru_maxrss): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
