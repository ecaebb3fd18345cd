"""Jobs run once per (job, period): a done period is skipped, a failed or killed one runs again,
and `flask jobs` runs them through the same guard as the clock."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.jobruns import guard, periods
from coop.jobruns.models import JobRun, RunStatus
from coop.jobruns.periods import BadPeriod, Cadence
from coop.rewards import service as rewards
from coop.rewards.models import RedemptionStatus
from jobs import JOBS
from jobs.base import Job
from tests.factories import give_points, make_community, make_reward_item, make_volunteer

pytestmark = pytest.mark.committed  # the guard commits; each test gets a fresh database


@pytest.fixture
def fresh(app, tmp_path):
    from tests.conftest import _database_url, make_app

    fresh_app = make_app(_database_url("jobs", tmp_path))
    with fresh_app.app_context():
        yield fresh_app
        db.session.remove()
        db.engine.dispose()


def counting_job(calls: list, fail_first: bool = False) -> Job:
    def work(start, finish, progress):
        calls.append((start, finish))
        if fail_first and len(calls) == 1:
            raise RuntimeError("killed half way")
        progress(len(calls))
        return {"calls": len(calls)}

    return Job("test_job", "测试任务", Cadence.MONTHLY, {"day": 1}, work, on_previous=True)


def run_row(name="test_job", period="2026-10") -> JobRun:
    db.session.expire_all()
    return db.session.scalar(sa.select(JobRun).where(JobRun.name == name, JobRun.period == period))


def test_a_period_runs_once(fresh):
    calls = []
    job = counting_job(calls)
    assert job.run("2026-10").status == "ran"
    assert job.run("2026-10").status == "already_done"
    assert len(calls) == 1
    row = run_row()
    assert row.status is RunStatus.DONE and row.result == {"calls": 1} and row.attempts == 1


def test_each_period_runs_on_its_own(fresh):
    calls = []
    job = counting_job(calls)
    job.run("2026-09")
    job.run("2026-10")
    assert [start.month for start, _ in calls] == [9, 10]


def test_a_failed_run_is_recorded_and_runs_again(fresh):
    calls = []
    job = counting_job(calls, fail_first=True)
    with pytest.raises(RuntimeError):
        job.run("2026-10")
    assert run_row().status is RunStatus.FAILED and "killed half way" in run_row().error
    assert job.run("2026-10").status == "ran"
    assert run_row().attempts == 2 and run_row().status is RunStatus.DONE


def test_force_runs_a_done_period_again(fresh):
    calls = []
    job = counting_job(calls)
    job.run("2026-10")
    assert job.run("2026-10", force=True).status == "ran"
    assert len(calls) == 2


def test_a_monthly_job_works_on_the_month_just_ended(fresh):
    job = counting_job([])
    first_of_november = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 Nov in Beijing
    assert job.period_at(first_of_november) == "2026-10"


@pytest.mark.parametrize(
    ("cadence", "period", "start", "end"),
    [
        (Cadence.HOURLY, "2026-11-23T23", "2026-11-23 23:00", "2026-11-24 00:00"),
        (Cadence.DAILY, "2026-12-31", "2026-12-31 00:00", "2027-01-01 00:00"),
        (Cadence.MONTHLY, "2026-12", "2026-12-01 00:00", "2027-01-01 00:00"),
        (Cadence.HALF_YEARLY, "2026H1", "2026-01-01 00:00", "2026-07-01 00:00"),
        (Cadence.HALF_YEARLY, "2026H2", "2026-07-01 00:00", "2027-01-01 00:00"),
    ],
)
def test_periods_cover_community_time(app, cadence, period, start, end):
    fmt = "%Y-%m-%d %H:%M"
    assert periods.start(cadence, period).strftime(fmt) == start
    assert periods.end(cadence, period).strftime(fmt) == end
    assert periods.current(cadence, periods.start(cadence, period)) == period
    assert periods.previous(cadence, periods.end(cadence, period)) == period


@pytest.mark.parametrize(
    ("cadence", "period"),
    [
        (Cadence.MONTHLY, "2026-13"),
        (Cadence.MONTHLY, "2026/10"),
        (Cadence.MONTHLY, ""),
        (Cadence.DAILY, "2026-02-30"),
        (Cadence.DAILY, "2026-10"),
        (Cadence.HOURLY, "2026-11-23T24"),
        (Cadence.HALF_YEARLY, "2026H3"),
    ],
)
def test_a_bad_period_is_refused(app, cadence, period):
    with pytest.raises(BadPeriod):
        periods.start(cadence, period)


def overdue_reservations(n: int) -> int:
    community = make_community()
    item = make_reward_item(community, cost=10, stock=n)
    past = utcnow() - timedelta(days=30)
    for _ in range(n):
        volunteer = make_volunteer(community)
        give_points(volunteer, community, 10)
        rewards.reserve(volunteer, item.id, now=past)
    db.session.commit()
    return item.id


def test_the_cli_runs_a_job_once_and_prints_its_counts(fresh):
    overdue_reservations(3)
    runner = fresh.test_cli_runner()
    period = JOBS["expire_redemptions"].period_at(utcnow())
    first = runner.invoke(args=["jobs", "run", "expire_redemptions"])
    assert first.exit_code == 0, first.output
    assert f"expire_redemptions {period}：完成。expired 3" in first.output
    again = runner.invoke(args=["jobs", "run", "expire_redemptions"])
    assert "已运行过" in again.output
    listed = runner.invoke(args=["jobs", "list"])
    assert "expire_redemptions" in listed.output and "settle_points" in listed.output
    assert "expired 3" in listed.output


def test_the_cli_refuses_an_unknown_job_or_period(fresh):
    runner = fresh.test_cli_runner()
    unknown = runner.invoke(args=["jobs", "run", "make_coffee"])
    assert unknown.exit_code == 2 and "没有这个任务" in unknown.output
    bad = runner.invoke(args=["jobs", "run", "settle_points", "--period", "2026-10"])
    assert bad.exit_code == 2 and "2026-11-23" in bad.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0


def test_expiry_by_the_clock_takes_the_hours_start_as_now(fresh):
    overdue_reservations(2)
    outcome = JOBS["expire_redemptions"].run(periods.current(Cadence.HOURLY, utcnow()))
    assert outcome.result == {"expired": 2}
    statuses = db.session.scalars(sa.select(rewards.Redemption.status)).all()
    assert statuses == [RedemptionStatus.EXPIRED] * 2


def test_the_advisory_lock_is_a_no_op_on_sqlite_and_exclusive_on_postgres(fresh):
    with guard.advisory_lock("test") as first:
        assert first
        with guard.advisory_lock("test") as second:
            assert second is (db.engine.dialect.name != "postgresql")
