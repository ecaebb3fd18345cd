"""Values kept a short while and shared by the web processes: in Redis (``REDIS_URL``) or,
without it, in the process (the embedded default runs one). Used for what many requests would
otherwise compute again: the rendered 公示栏 (``coop.public.cache``) and each person's 待办
badge (``coop.todo.badge``). Redis away means computing it, never an error."""

import threading
import time

import redis
from flask import current_app

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
