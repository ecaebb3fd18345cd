"""The clock as real processes on PostgreSQL: two clocks started together run each job once (the
second stands by on the advisory lock, then finds every period done), and a job killed half way
and run again leaves the same rows as one clean run."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.jobruns import periods
from coop.jobruns.models import JobRun
from coop.jobruns.periods import Cadence
from coop.rewards import service as rewards
from coop.rewards.models import Redemption, RedemptionStatus
from jobs import JOBS
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

ROOT = Path(__file__).resolve().parents[2]
OVERDUE = 400  # two batches of the expiry job: the kill lands between them


def environment(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "COOP_ENV": "development", "PYTHONPATH": str(ROOT)}


def start(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def flask_jobs(url: str, *args: str) -> subprocess.Popen:
    return start(url, "-m", "flask", "--app", "coop", "jobs", *args)


def with_overdue_reservations(url: str, n: int) -> None:
    """n reservations, 30 days old, by 10 volunteers of one community: committed."""
    app = make_app(url)
    with app.app_context():
        community = factories.make_community()
        item = factories.make_reward_item(community, cost=5, stock=n)
        volunteers = [factories.make_volunteer(community) for _ in range(10)]
        for volunteer in volunteers:
            factories.give_points(volunteer, community, 5 * n)
        past = utcnow() - timedelta(days=30)
        for i in range(n):
            rewards.reserve(volunteers[i % 10], item.id, now=past)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def clone(url: str, name: str) -> str:
    """A copy of the database (PostgreSQL's template copy), for a run to compare against."""
    source = sa.engine.make_url(url)
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
    admin.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


def snapshot(url: str) -> dict:
    """Every row the job touches, in a form two databases can be compared by."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = {
            "redemptions": connection.execute(
                sa.text("SELECT id, status, closed_at IS NOT NULL FROM redemptions ORDER BY id")
            ).all(),
            "stock": connection.execute(
                sa.text("SELECT id, stock FROM reward_items ORDER BY id")
            ).all(),
            "balances": connection.execute(
                sa.text("SELECT type, owner_id, balance FROM accounts ORDER BY type, owner_id")
            ).all(),
            "postings": connection.execute(
                sa.text(
                    "SELECT p.idempotency_key, p.kind, sum(abs(e.amount)) FROM postings p"
                    " JOIN entries e ON e.posting_id = p.id"
                    " GROUP BY p.idempotency_key, p.kind ORDER BY p.idempotency_key"
                )
            ).all(),
            "notices": connection.execute(
                sa.text("SELECT user_id, count(*) FROM notices GROUP BY user_id ORDER BY user_id")
            ).all(),
            "runs": connection.execute(
                sa.text("SELECT name, period, status FROM job_runs ORDER BY name, period")
            ).all(),
        }
    engine.dispose()
    return rows


def expired_count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM redemptions WHERE status = 'expired'")
        ).scalar()
    engine.dispose()
    return count


def test_a_job_killed_half_way_and_run_again_leaves_the_rows_of_one_clean_run(tmp_path):
    url = _database_url("killed", tmp_path)
    with_overdue_reservations(url, OVERDUE)
    clean_url = clone(url, sa.engine.make_url(url).database + "_clean")
    period = periods.current(Cadence.HOURLY, utcnow())

    killed = flask_jobs(url, "run", "expire_redemptions", "--period", period)
    deadline = time.monotonic() + 60
    while expired_count(url) == 0 and time.monotonic() < deadline and killed.poll() is None:
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    halfway = expired_count(url)
    assert 0 < halfway < OVERDUE, f"the kill did not land half way ({halfway} expired)"

    rerun = flask_jobs(url, "run", "expire_redemptions", "--period", period)
    assert rerun.wait(timeout=120) == 0, rerun.stdout.read()
    clean = flask_jobs(clean_url, "run", "expire_redemptions", "--period", period)
    assert clean.wait(timeout=120) == 0, clean.stdout.read()

    assert snapshot(url) == snapshot(clean_url)
    assert expired_count(url) == OVERDUE


def test_two_clocks_started_together_run_each_job_once(tmp_path):
    url = _database_url("clocks", tmp_path)
    with_overdue_reservations(url, 100)

    clocks = [start(url, "-m", "jobs.clock", "--once") for _ in range(2)]
    outputs = [clock.communicate(timeout=120)[0] for clock in clocks]

    assert [clock.returncode for clock in clocks] == [0, 0], outputs
    app = make_app(url)
    with app.app_context():
        runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.name)).all()
        assert sorted(run.name for run in runs) == sorted(n for n, j in JOBS.items() if j.recorded)
        assert all(run.attempts == 1 and run.status.value == "done" for run in runs)
        expired = db.session.scalar(
            sa.select(sa.func.count()).where(Redemption.status == RedemptionStatus.EXPIRED)
        )
        assert expired == 100
        db.session.remove()
        db.engine.dispose()
    joined = "\n".join(outputs)
    assert joined.count("expire_redemptions") >= 2  # both logged it: one ran, one found it done
    assert "already_done" in joined
