"""The monthly 台账 of a community with 40 photos: time and peak memory to make its PDF.

    eval "$(scripts/services.sh env)"          # or DATABASE_URL=postgresql+psycopg://…/anything
    .venv/bin/python bench/ledger_report.py     # --activities 20 --photos 40 --runs 3

The script uses ``DATABASE_URL`` only to find the PostgreSQL server. It drops, recreates and
migrates its own database (``coop_ledger_report_bench``, or ``--database``), seeds one community
with ``--activities`` activities held last month and ``--photos`` photos spread over them, each
uploaded as a 4000 × 3000 camera-like JPEG through ``coop.photos.service.add_photo`` (so they are
stored re-encoded, ≤ 1600 px, as in production), then makes the 台账 as the queue's task does
(``coop.printables.ledger.ledger_pdf``) ``--runs`` times: wall time of each, then once more under
``tracemalloc`` for the peak of Python allocations (WeasyPrint's and Pillow's C buffers are
not in it; the process's peak RSS is printed beside it).
"""

import argparse
import io
import random
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import migrated_app, seed_community, server_url


def camera_jpeg(noise, seed: int) -> bytes:
    """A distinct photo each time (identical ones would be stored once in the PDF)."""
    from PIL import Image

    rng = random.Random(seed)
    tint = Image.new("RGB", noise.size, (rng.randrange(256), rng.randrange(256), 120))
    image = Image.blend(noise, tint, 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="coop_ledger_report_bench")
    parser.add_argument("--activities", type=int, default=20)
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    _url, app = migrated_app(server_url(), args.database)
    from coop.activities.models import Activity
    from coop.auth.models import User
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.photos import service as photos
    from coop.printables.ledger import ledger_pdf
    from coop.timeutil import local_midnight, local_today, month_start
    from coop.uow import unit_of_work

    first = month_start(month_start(local_today()) - timedelta(days=1))
    with app.test_request_context("/"):
        with unit_of_work():
            community = seed_community()
        secretary = db.session.scalar(db.select(User).where(User.username == "bench-secretary"))
        from PIL import Image, ImageFilter

        noise = Image.effect_noise((4000, 3000), 40).filter(ImageFilter.GaussianBlur(2))
        uploads = [camera_jpeg(noise.convert("RGB"), n) for n in range(args.photos)]
        started = time.perf_counter()
        with unit_of_work(secretary):
            activities = []
            for n in range(args.activities):
                start = local_midnight(first) + timedelta(days=n % 28, hours=9)
                activity = Activity(
                    community_id=community.id,
                    title=f"压测活动{n + 1}",
                    place="党群服务中心",
                    description="为辖区老人理发、测血压，发放防诈骗宣传资料。",
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    capacity=30,
                )
                db.session.add(activity)
                activities.append(activity)
            db.session.flush()
            for n in range(args.photos):
                photos.add_photo(
                    secretary,
                    activities[n % len(activities)].id,
                    uploads[n],
                    caption=f"现场照片{n + 1}",
                )
        upload_s = time.perf_counter() - started
        stored = db.session.scalar(db.select(db.func.sum(photos.ActivityPhoto.size)))
        print(
            f"seeded {args.activities} activities, {args.photos} photos "
            f"({sum(map(len, uploads)) / 1e6:.1f} MB uploads → {stored / 1e6:.1f} MB stored) "
            f"in {upload_s:.1f} s ({upload_s / args.photos * 1000:.0f} ms a photo)"
        )
        db.session.expire_all()
        times = []
        for _ in range(args.runs):
            community = db.session.get(type(community), community.id)
            t = time.perf_counter()
            pdf = ledger_pdf(community, first.strftime("%Y-%m"), now=utcnow())
            times.append(time.perf_counter() - t)
            db.session.expire_all()
        tracemalloc.start()
        community = db.session.get(type(community), community.id)
        ledger_pdf(community, first.strftime("%Y-%m"), now=utcnow())
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"台账 {first:%Y-%m}: {len(pdf) / 1e6:.1f} MB PDF; time "
            + ", ".join(f"{s:.2f}" for s in times)
            + f" s (best {min(times):.2f} s); peak Python allocations {peak / 1e6:.0f} MB; "
            f"process peak RSS {rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
