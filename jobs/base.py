"""What every scheduled job declares, and running one for a period through the run-once guard."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from coop.jobruns import guard, periods
from coop.jobruns.periods import Cadence

Progress = Callable[[int], None]  # told how many items are done so far


def quiet(done: int) -> None:
    pass


@dataclass(frozen=True)
class Job:
    name: str
    description: str  # Chinese, as `flask jobs list` prints it
    cadence: Cadence
    trigger: dict  # APScheduler cron fields, community time
    # work(period_start, period_end, progress) -> counts; commits its own units of work
    work: Callable[[datetime, datetime, Progress], dict]
    # Monthly jobs work on the month just ended; the others on the period now is in.
    on_previous: bool = False
    # A sweep runs on every tick and is idempotent on its own rows: no job_runs row per period
    # (one a minute would bury the others), only the lock that keeps a twin from running beside.
    recorded: bool = True

    def period_at(self, now: datetime) -> str:
        return (periods.previous if self.on_previous else periods.current)(self.cadence, now)

    def run(self, period: str, *, progress: Progress = quiet, force: bool = False):
        """Run the job for ``period`` once. :raise BadPeriod: not a period of its cadence."""
        start = periods.start(self.cadence, period)
        finish = periods.end(self.cadence, period)
        if not self.recorded:
            return guard.run_unrecorded(
                self.name, period, lambda: self.work(start, finish, progress)
            )
        return guard.run_once(
            self.name, period, lambda: self.work(start, finish, progress), force=force
        )
