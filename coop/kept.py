"""Values kept a short while and shared by the web processes: in Redis (``REDIS_URL``) or,
without it, in the process (the embedded default runs one). Used for what many requests would
otherwise compute again: the rendered 公示栏 (``coop.public.cache``), each person's 待办 badge
(``coop.todo.badge``) and the 月月红 roll (``coop.badges.kept_roll``). Redis away means
computing it, never an error.

What is kept for a community (``kept``) carries the community's generation in its key:
``forget`` bumps it, so everything kept for that community is built anew from the next request;
``forget_after_commit`` does so once the unit of work at hand commits."""

import contextlib
import threading
import time
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context

_CLIENT = "coop.kept"


class _Local:
    """The store of one process, for the embedded default (one process, no Redis)."""

    def __init__(self):
        self._rows: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            found = self._rows.get(key)
            if found is None or found[0] < time.monotonic():
                self._rows.pop(key, None)
                return None
            return found[1]

    def set(self, key: str, value, ex: int) -> None:
        with self._lock:
            if len(self._rows) > 1000:  # never unbounded
                self._rows.clear()
            self._rows[key] = (time.monotonic() + ex, value)

    def incr(self, key: str) -> None:
        with self._lock:
            _, value = self._rows.get(key, (0, b"0"))
            self._rows[key] = (float("inf"), str(int(value) + 1).encode())

    def delete(self, key: str) -> None:
        with self._lock:
            self._rows.pop(key, None)


def store():
    app = current_app._get_current_object()
    if _CLIENT not in app.extensions:
        url = app.config.get("REDIS_URL")
        app.extensions[_CLIENT] = (
            redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if url
            else _Local()
        )
    return app.extensions[_CLIENT]


def _generation_key(prefix: str, scope: int) -> str:
    return f"{prefix}{scope}:generation"


def kept(prefix: str, scope: int, variant: str, ttl: int, build: Callable[[], bytes]) -> bytes:
    """``build()``'s bytes, kept ``ttl`` seconds under the scope's current generation."""
    try:
        generation = (store().get(_generation_key(prefix, scope)) or b"0").decode()
        key = f"{prefix}{scope}:{generation}:{variant}"
        found = store().get(key)
    except redis.RedisError:
        return build()
    if found is not None:
        return found
    body = build()
    with contextlib.suppress(redis.RedisError):  # kept next time, if Redis is back
        store().set(key, body, ex=ttl)
    return body


def forget(prefix: str, scope: int) -> None:
    """What is kept for the scope is built anew from the next request."""
    try:
        store().incr(_generation_key(prefix, scope))
    except redis.RedisError:
        current_app.logger.warning("kept: could not forget %s%s", prefix, scope)


_FORGET = "coop.kept.forget"


def forget_after_commit(session, prefix: str, scope: int) -> None:
    session.info.setdefault(_FORGET, set()).add((prefix, scope))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _forget_after_commit(session) -> None:
    forgotten = session.info.pop(_FORGET, ())
    if forgotten and has_app_context():
        for prefix, scope in forgotten:
            forget(prefix, scope)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _nothing_to_forget(session) -> None:
    session.info.pop(_FORGET, None)
