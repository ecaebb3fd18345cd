"""Running a job's independent units (communities) on a few database connections at once.

The clock's heaviest jobs go community by community, one unit of work each, and communities
share no rows they write; on PostgreSQL, ``JOB_WORKERS`` threads (default 2) each take the next
community with an app context, and so a session and connection, of their own, so the server's
cores work side by side. SQLite allows one writer at a time, so there it is always one.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterable

from flask import current_app

from coop.extensions import db
from coop.uow import unit_of_work
from jobs.base import Progress


def workers() -> int:
    if db.engine.dialect.name != "postgresql":
        return 1
    return max(1, int(current_app.config.get("JOB_WORKERS", 2)))


def each(items: Iterable, one: Callable[..., dict], progress: Progress) -> Counter:
    """``one(item)`` for every item, each in its own unit of work, summing the counts it returns;
    ``progress`` hears how many are done. After a failure no further item starts, the ones under
    way finish, and the first error is raised: whole items only are committed, as on one thread.
    """
    pending = list(items)
    totals: Counter = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []
    done = 0

    def next_item():
        with lock:
            return pending.pop(0) if pending and not failures else None

    def work() -> None:
        nonlocal done
        while (item := next_item()) is not None:
            try:
                with unit_of_work():
                    counts = one(item)
                with lock:
                    totals.update(counts)
                    done += 1
                    progress(done)
            except BaseException as error:  # a kill (KeyboardInterrupt) too
                with lock:
                    failures.append(error)
                return

    count = min(workers(), len(pending))
    if count <= 1:
        work()
    else:
        app = current_app._get_current_object()

        def thread_main() -> None:
            with app.app_context():  # a session and a connection of its own
                try:
                    work()
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=thread_main, daemon=True) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return totals
