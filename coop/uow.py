"""One transaction per write request or job run: commit on success, roll back on any error."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from coop import audit, sqlite
from coop.extensions import db

_AFTER_COMMIT = "coop.after_commit"


@contextmanager
def unit_of_work(actor=None) -> Iterator[None]:
    """Services flush; this commits. ``actor`` is recorded on every audit row written inside.

    On SQLite the read transaction the request has open ends here and this one begins IMMEDIATE
    (``coop.sqlite.writing``): objects loaded before it, the actor too, reload on first use.
    """
    session = db.session
    with sqlite.writing(session()):  # the scoped session's Session
        token = audit.current_actor_id.set(actor.id if actor is not None else None)
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            session.info.pop(_AFTER_COMMIT, None)
            raise
        finally:
            audit.current_actor_id.reset(token)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (notices, emails)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)
