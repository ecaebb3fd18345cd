"""三率 per month, counted by SQL over the needs' own columns (never the audit log).

A month is a calendar month in community time (Asia/Shanghai), up to ``now`` for the current
one. A need's fate against a deadline is *decided* once it met it or the deadline has passed;
a need still inside its time limit counts nowhere yet.

- **Response rate** (响应率): needs that came in that month (``created_at``) and whose answer is
  decided; the share answered (``listed_at`` or ``rejected_at``, whichever came first) by
  ``respond_by``. A need the secretary recorded at the counter is answered as it comes in.
- **Resolution rate** (办结率): needs due that month (``resolve_by`` in the month), not turned
  down (no ``rejected_at``), whose outcome is decided; the share solved (``resolved_at``) by
  ``resolve_by``.
- **Median hours to resolve**: over needs solved that month (``resolved_at`` in the month), the
  median of ``resolved_at - created_at`` in hours (one decimal). The durations are fetched in
  SQL order and the middle taken in Python: one community's month is at most a few hundred
  rows, and this reads the same on SQLite and PostgreSQL (which alone has percentile_cont).

Each is None when there is nothing to count.
"""

from datetime import date, datetime

import sqlalchemy as sa

from coop.extensions import db
from coop.needs import ratings
from coop.needs.models import Need
from coop.timeutil import COMMUNITY_TZ, local_midnight, month_start, next_month


def _rate(met: int | None, decided: int | None) -> float | None:
    return round(met / decided, 4) if decided else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def month_rates(community_id: int, month: date, now: datetime) -> dict:
    """The month's response and resolution rates (with their counts) and median hours."""
    start = local_midnight(month_start(month))
    end = min(local_midnight(next_month(month)), now)
    came_in = sa.and_(Need.created_at >= start, Need.created_at < end)
    # The first answer: listed, or rejected (a need listed and later turned down was answered
    # when it was listed).
    answered_in_time = sa.or_(
        Need.listed_at <= Need.respond_by, Need.rejected_at <= Need.respond_by
    )
    solved_in_time = Need.resolved_at <= Need.resolve_by
    due_in_month = sa.and_(
        Need.resolve_by >= start,
        Need.resolve_by < local_midnight(next_month(month)),
        Need.rejected_at.is_(None),
    )

    def count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    row = db.session.execute(
        sa.select(
            count(sa.and_(came_in, sa.or_(answered_in_time, Need.respond_by <= now))),
            count(sa.and_(came_in, answered_in_time)),
            count(sa.and_(due_in_month, sa.or_(solved_in_time, Need.resolve_by <= now))),
            count(sa.and_(due_in_month, solved_in_time)),
        ).where(Need.community_id == community_id, sa.or_(came_in, due_in_month))
    ).one()
    responded_decided, responded_in_time, due_decided, resolved_in_time = (v or 0 for v in row)
    durations = [
        (resolved - created).total_seconds() / 3600
        for created, resolved in db.session.execute(
            sa.select(Need.created_at, Need.resolved_at).where(
                Need.community_id == community_id,
                Need.resolved_at >= start,
                Need.resolved_at < end,
            )
        )
    ]
    durations.sort()  # in Python: SQLite cannot subtract two timestamps
    median = _median(durations)
    satisfied, rated = ratings.satisfaction(community_id, month)
    return {
        "month": month_start(month).strftime("%Y-%m"),
        "response_rate": _rate(responded_in_time, responded_decided),
        "responded_in_time": responded_in_time,
        "response_decided": responded_decided,
        "resolution_rate": _rate(resolved_in_time, due_decided),
        "resolved_in_time": resolved_in_time,
        "resolution_decided": due_decided,
        "median_hours_to_resolve": round(median, 1) if median is not None else None,
        "resolved": len(durations),
        # 满意率: the month's ratings (coop.needs.ratings) with 4 or 5 stars
        "satisfaction_rate": _rate(satisfied, rated),
        "satisfied": satisfied,
        "rated": rated,
    }


def recent_months(community_id: int, now: datetime, months: int = 6) -> list[dict]:
    """The last ``months`` months' rates, the current one first."""
    month = now.astimezone(COMMUNITY_TZ).date().replace(day=1)
    rows = []
    for _ in range(months):
        rows.append(month_rates(community_id, month, now))
        month = (month.replace(day=1) - date.resolution).replace(day=1)
    return rows
