"""`flask --app coop jobs list` and `flask --app coop jobs run NAME [--period …]`."""

import click

from coop.dbtypes import utcnow
from coop.jobruns import guard
from coop.jobruns.periods import BadPeriod


def register(app) -> None:
    @app.cli.group("jobs", help="The clock's scheduled jobs, run once per period.")
    def jobs_group():
        pass

    @jobs_group.command("list", help="Every job, its schedule and its last run.")
    def list_command():
        from jobs import JOBS

        last = guard.last_runs()
        for name, job in JOBS.items():
            schedule = " ".join(f"{k}={v}" for k, v in job.trigger.items())
            click.echo(f"{name:<20} {job.cadence.value:<12} {schedule:<20} {job.description}")
            run = last.get(name)
            if run is not None:
                click.echo(
                    f"{'':<20} 上次：{run.period} {run.status.label} 第 {run.attempts} 次"
                    f" {_counts(run.result) or run.error}"
                )

    @jobs_group.command("run", help="Run a job once for a period (default: the one due now).")
    @click.argument("name")
    @click.option("--period", help="e.g. 2026-10 (monthly), 2026-11-23 (daily), 2026H2")
    @click.option("--force", is_flag=True, help="Run again even if the period is done.")
    def run_command(name, period, force):
        from jobs import JOBS

        job = JOBS.get(name)
        if job is None:
            raise click.BadParameter(f"没有这个任务；可用：{', '.join(JOBS)}", param_hint="NAME")
        period = period or job.period_at(utcnow())

        def progress(done: int) -> None:
            click.echo(f"\r  已处理 {done} …", nl=False)

        try:
            outcome = job.run(period, progress=progress, force=force)
        except BadPeriod as error:
            raise click.BadParameter(str(error), param_hint="--period") from None
        click.echo("")
        if outcome.status == "already_done":
            click.echo(f"{name} {period}：已运行过，未重复运行（--force 可强制重跑）。")
        elif outcome.status == "busy":
            click.echo(f"{name} {period}：另一个进程正在运行它，本次跳过。")
        else:
            click.echo(f"{name} {period}：完成。{_counts(outcome.result)}")


def _counts(result: dict) -> str:
    return "，".join(f"{key} {value}" for key, value in (result or {}).items())
