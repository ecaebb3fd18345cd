"""Whether an open need is within its community's 服务承诺, read from its stored deadlines.

Each need carries ``respond_by`` (the first answer: listed or rejected) and ``resolve_by``
(solved), fixed when it came in (coop.needs.models, ``_fix_deadlines``). A low rating that
reopens a solved need (回访) starts its time to solve again from the reopening, by the
commitment then in force (``clock_start``; docs/decisions.md, "A reopened need"). A need is
open while it is submitted, listed or in a project. It is overdue once past ``resolve_by``, or
while still unanswered (submitted) past ``respond_by``.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from coop.extensions import db
from coop.needs.models import Need, NeedRating, NeedStatus

OPEN = (NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.IN_PROJECT)


def deadline(need: Need) -> datetime | None:
    """When the need must be solved (its 办结时限)."""
    return need.resolve_by


def clock_start(need: Need) -> datetime:
    """When the need's time to solve runs from: when it came in, or, once a low rating of its
    latest solution reopened it, when that rating was given."""
    if need.resolution_round < 1 or need.status not in OPEN:
        return need.created_at
    reopened = db.session.scalar(
        sa.select(NeedRating.created_at).where(
            NeedRating.need_id == need.id,
            NeedRating.round == need.resolution_round,
            NeedRating.reopened,
        )
    )
    return reopened or need.created_at


def due_before(moment: datetime) -> sa.ColumnElement[bool]:
    """Open needs with a time limit they have not met falling before ``moment``."""
    return sa.and_(
        Need.status.in_(OPEN),
        sa.or_(
            Need.resolve_by < moment,
            sa.and_(Need.status == NeedStatus.SUBMITTED, Need.respond_by < moment),
        ),
    )


def overdue(now: datetime) -> sa.ColumnElement[bool]:
    return due_before(now)


def due_within(now: datetime, window: timedelta) -> sa.ColumnElement[bool]:
    """Open needs not yet overdue whose time limit to solve comes within ``window`` of ``now``."""
    return sa.and_(
        Need.status.in_(OPEN),
        Need.resolve_by < now + window,
        sa.not_(due_before(now)),
    )


def is_overdue(need: Need, now: datetime) -> bool:
    """The same rule as ``overdue``, for one need already loaded."""
    if need.status not in OPEN:
        return False
    if need.resolve_by is not None and need.resolve_by < now:
        return True
    return (
        need.status is NeedStatus.SUBMITTED
        and need.respond_by is not None
        and need.respond_by < now
    )


def overdue_first(now: datetime) -> sa.ColumnElement[int]:
    """An ORDER BY key putting overdue needs before the rest."""
    return sa.case((due_before(now), 0), else_=1)
