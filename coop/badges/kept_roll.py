"""The 月月红 roll of a community's month, kept ``HONOUR_ROLL_SECONDS`` (300).

Every view of a community's dashboard loads it, and on a city community it ranks some 30,000
awards (about 40 ms of the database's time). The awards change only when ``monthly_badges`` runs
for the community and when one is granted or revoked by hand: each of those forgets the
community's kept rolls once it commits (a per-community generation in the key, bumped). With
Redis every web process sees that at once; without it (the embedded default) the clock's run
reaches the web process within the five minutes.
"""

import json

import sqlalchemy as sa
from flask import current_app

from coop import kept
from coop.badges import queries
from coop.badges.models import BadgeAward

MAX_AGE = 300
PREFIX = "coop:honour-roll:"


def seconds() -> int:
    config = current_app.config
    return int(config.get("HONOUR_ROLL_SECONDS", 0 if config.get("TESTING") else MAX_AGE))


def honour_roll(community_id: int, period: str, *, limit: int) -> dict[str, dict]:
    """``queries.honour_roll``, from the store when it holds it; Redis away means computing it."""
    ttl = seconds()
    if ttl <= 0:
        return queries.honour_roll(community_id, period, limit=limit)

    def build() -> bytes:
        roll = queries.honour_roll(community_id, period, limit=limit)
        return json.dumps(roll, ensure_ascii=False).encode()

    return json.loads(kept.kept(PREFIX, community_id, f"{period}:{limit}", ttl, build))


def forget(community_id: int) -> None:
    kept.forget(PREFIX, community_id)


def forget_after_commit(session, community_id: int) -> None:
    """The community's awards changed in this unit of work: its rolls are computed anew once
    it commits."""
    kept.forget_after_commit(session, PREFIX, community_id)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _awards_changing(session, _flush_context, _instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, BadgeAward) and obj.community_id is not None:
            forget_after_commit(session, obj.community_id)
