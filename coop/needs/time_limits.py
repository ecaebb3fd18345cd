"""How long an open need may wait before it is solved, by its urgency (服务承诺).

Until a community sets its own commitments (the 公示栏 issue), every community has these: an
urgent need within 3 days, a soon one within 7, any other within 30, counted from when it came
in. A need is open while it is submitted, listed or in a project.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from coop.needs.models import Need, NeedStatus, Urgency

RESOLVE_WITHIN = {
    Urgency.URGENT: timedelta(days=3),
    Urgency.SOON: timedelta(days=7),
    Urgency.NORMAL: timedelta(days=30),
}
OPEN = (NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.IN_PROJECT)


def deadline(need: Need) -> datetime:
    return need.created_at + RESOLVE_WITHIN[need.urgency]


def due_before(moment: datetime) -> sa.ColumnElement[bool]:
    """Open needs whose time limit falls before ``moment`` (past it when ``moment`` is now)."""
    return sa.and_(
        Need.status.in_(OPEN),
        sa.or_(
            *(
                sa.and_(Need.urgency == urgency, Need.created_at < moment - within)
                for urgency, within in RESOLVE_WITHIN.items()
            )
        ),
    )


def overdue(now: datetime) -> sa.ColumnElement[bool]:
    return due_before(now)


def due_within(now: datetime, window: timedelta) -> sa.ColumnElement[bool]:
    """Open needs not yet overdue whose time limit comes within ``window`` of ``now``."""
    return sa.and_(due_before(now + window), sa.not_(due_before(now)))
