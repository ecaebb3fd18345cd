"""The 月月红 roll of a community's month, kept ``HONOUR_ROLL_SECONDS`` (300).

Every view of a community's dashboard loads it, and on a city community it ranks some 30,000
awards (about 40 ms of the database's time). The awards change only when ``monthly_badges`` runs
for the community and when one is granted or revoked by hand: each of those forgets the
community's kept rolls once it commits (a per-community generation in the key, bumped). With
Redis every web process sees that at once; without it (the embedded default) the clock's run
reaches the web process within the five minutes.
"""

import contextlib
import json

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context

from coop.badges import queries
from coop.badges.models import BadgeAward
from coop.kept import store

MAX_AGE = 300
PREFIX = "coop:honour-roll:"
_FORGET = "coop.honour_roll_forget"


def seconds() -> int:
    config = current_app.config
    return int(config.get("HONOUR_ROLL_SECONDS", 0 if config.get("TESTING") else MAX_AGE))


def _generation_key(community_id: int) -> str:
    return f"{PREFIX}{community_id}:generation"


def honour_roll(community_id: int, period: str, *, limit: int) -> dict[str, dict]:
    """``queries.honour_roll``, from the store when it holds it; Redis away means computing it."""
    ttl = seconds()
    if ttl <= 0:
        return queries.honour_roll(community_id, period, limit=limit)
    try:
        generation = (store().get(_generation_key(community_id)) or b"0").decode()
        key = f"{PREFIX}{community_id}:{generation}:{period}:{limit}"
        found = store().get(key)
    except redis.RedisError:
        return queries.honour_roll(community_id, period, limit=limit)
    if found is not None:
        return json.loads(found)
    roll = queries.honour_roll(community_id, period, limit=limit)
    with contextlib.suppress(redis.RedisError):  # kept next time, if Redis is back
        store().set(key, json.dumps(roll, ensure_ascii=False).encode(), ex=ttl)
    return roll


def forget_after_commit(session, community_id: int) -> None:
    """The community's awards changed in this unit of work: its rolls are computed anew once
    it commits."""
    session.info.setdefault(_FORGET, set()).add(community_id)


def forget(community_id: int) -> None:
    try:
        store().incr(_generation_key(community_id))
    except redis.RedisError:
        current_app.logger.warning("honour roll: could not forget community %s", community_id)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _awards_changing(session, _flush_context, _instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, BadgeAward) and obj.community_id is not None:
            forget_after_commit(session, obj.community_id)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _forget_after_commit(session) -> None:
    communities = session.info.pop(_FORGET, ())
    if communities and has_app_context() and seconds() > 0:
        for community_id in communities:
            forget(community_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _nothing_to_forget(session) -> None:
    session.info.pop(_FORGET, None)
