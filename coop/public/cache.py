"""The rendered 公示栏, kept for as long as readers may keep it (``Cache-Control: max-age``).

It is the page most people see, and the same for all of them: each web process would otherwise
run the same queries and render the same page for every reader. A rendered board is kept in
Redis (``REDIS_URL``, shared by every web process) or, without Redis, in the process, for
``BOARD_CACHE_SECONDS`` (60; 0 turns it off, as the tests do unless they are about it).

A need taken off the board must leave it at once, not a minute later: whenever a need's
``public`` changes, the community's boards are forgotten once the change commits (the key holds
a per-community generation, which that bumps). Other changes (a new need, a need solved) show
within the minute, as they would from a reader's own cache.
"""

import contextlib
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import current_app

from coop.kept import store as _store
from coop.needs.models import Need

MAX_AGE = 60
PREFIX = "coop:board:"
_FORGET = "coop.board_forget"


def seconds() -> int:
    config = current_app.config
    return int(config.get("BOARD_CACHE_SECONDS", 0 if config.get("TESTING") else MAX_AGE))


def _generation_key(community_id: int) -> str:
    return f"{PREFIX}{community_id}:generation"


def cached(community_id: int, variant: str, build: Callable[[], bytes]) -> bytes:
    """The board ``build`` renders, from the cache when it holds this variant; Redis away
    means rendering it, never an error."""
    ttl = seconds()
    if ttl <= 0:
        return build()
    store = _store()
    try:
        generation = (store.get(_generation_key(community_id)) or b"0").decode()
        key = f"{PREFIX}{community_id}:{generation}:{variant}"
        body = store.get(key)
    except redis.RedisError:
        return build()
    if body is None:
        body = build()
        with contextlib.suppress(redis.RedisError):  # kept next time, if Redis is back
            store.set(key, body, ex=ttl)
    return body


def forget(community_id: int) -> None:
    """The community's boards are rendered anew from the next request."""
    try:
        _store().incr(_generation_key(community_id))
    except redis.RedisError:
        current_app.logger.warning("board cache: could not forget community %s", community_id)


@sa.event.listens_for(Need.public, "set")
def _public_changed(need: Need, value, previous, _initiator) -> None:
    session = sa.orm.object_session(need)
    if session is not None and value != previous and need.community_id is not None:
        session.info.setdefault(_FORGET, set()).add(need.community_id)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _forget_after_commit(session) -> None:
    for community_id in session.info.pop(_FORGET, ()):
        forget(community_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _nothing_to_forget(session) -> None:
    session.info.pop(_FORGET, None)
