"""The counts beside 待办 and 消息 in the menu, kept ``TODO_BADGE_SECONDS`` (30) per person.

Every page loads the badge after it is drawn, so it is a quarter of all requests, and its count
runs every to-do query of her roles. A person's counts are therefore kept half a minute
(``coop.kept``): what others do for her shows within that, what she does herself at once — her
counts are forgotten when a unit of work she acted in commits. The 待办 page itself is always
counted afresh."""

import contextlib
from datetime import datetime

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context

from coop import audit, kept
from coop.auth.models import User
from coop.notices import inbox as notices
from coop.todo import service

MAX_AGE = 30
PREFIX = "coop:todo-badge:"


def seconds() -> int:
    config = current_app.config
    return int(config.get("TODO_BADGE_SECONDS", 0 if config.get("TESTING") else MAX_AGE))


def counts(actor: User, now: datetime) -> tuple[int, int]:
    """(things waiting for her, unread notices)."""
    ttl = seconds()
    if ttl <= 0:
        return _counted(actor, now)
    key = f"{PREFIX}{actor.id}"
    try:
        found = kept.store().get(key)
    except redis.RedisError:
        return _counted(actor, now)
    if found is not None:
        todo, unread = found.decode().split(",")
        return int(todo), int(unread)
    todo, unread = _counted(actor, now)
    with contextlib.suppress(redis.RedisError):  # kept next time, if Redis is back
        kept.store().set(key, f"{todo},{unread}".encode(), ex=ttl)
    return todo, unread


def _counted(actor: User, now: datetime) -> tuple[int, int]:
    return service.count_for(actor, now), notices.unread_count(actor.id)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _forget_hers(session) -> None:
    actor_id = audit.current_actor_id.get()
    if actor_id is None or not has_app_context() or seconds() <= 0:
        return
    try:
        kept.store().delete(f"{PREFIX}{actor_id}")
    except redis.RedisError:
        current_app.logger.warning("todo badge: could not forget user %s", actor_id)
