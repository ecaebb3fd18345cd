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

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from coop import kept
from coop.needs.models import Need

MAX_AGE = 60
PREFIX = "coop:board:"


def seconds() -> int:
    config = current_app.config
    return int(config.get("BOARD_CACHE_SECONDS", 0 if config.get("TESTING") else MAX_AGE))


def cached(community_id: int, variant: str, build: Callable[[], bytes]) -> bytes:
    """The board ``build`` renders, from the cache when it holds this variant; Redis away
    means rendering it, never an error."""
    ttl = seconds()
    if ttl <= 0:
        return build()
    return kept.kept(PREFIX, community_id, variant, ttl, build)


def forget(community_id: int) -> None:
    """The community's boards are rendered anew from the next request."""
    kept.forget(PREFIX, community_id)


@sa.event.listens_for(Need.public, "set")
def _public_changed(need: Need, value, previous, _initiator) -> None:
    session = sa.orm.object_session(need)
    if session is not None and value != previous and need.community_id is not None:
        kept.forget_after_commit(session, PREFIX, need.community_id)
