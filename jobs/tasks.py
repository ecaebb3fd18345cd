"""The queue's side of the clock: a worker runs the job the clock queued."""

from coop import queue


@queue.task()
def run_scheduled(name: str, period: str) -> None:
    from jobs.clock import run_period

    run_period(name, period)
