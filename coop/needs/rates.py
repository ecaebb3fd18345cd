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
    return months_rates(community_id, [month], now)[0]


def recent_months(community_id: int, now: datetime, months: int = 6) -> list[dict]:
    """The last ``months`` months' rates, the current one first."""
    month = now.astimezone(COMMUNITY_TZ).date().replace(day=1)
    firsts = []
    for _ in range(months):
        firsts.append(month)
        month = (month - date.resolution).replace(day=1)
    return months_rates(community_id, firsts, now)


def months_rates(community_id: int, months: list[date], now: datetime) -> list[dict]:
    """``month_rates`` for each of ``months``, in their order, in three statements whatever
    their number: the counts of every month in one pass over the community's needs, the solved
    needs' durations, and the ratings."""
    firsts = [month_start(m) for m in months]
    # (start, end of "came in" and "solved": up to now in the current month, end of "due")
    bounds = [
        (local_midnight(m), min(local_midnight(next_month(m)), now), local_midnight(next_month(m)))
        for m in firsts
    ]
    # The first answer: listed, or rejected (a need listed and later turned down was answered
    # when it was listed).
    answered_in_time = sa.or_(
        Need.listed_at <= Need.respond_by, Need.rejected_at <= Need.respond_by
    )
    solved_in_time = Need.resolved_at <= Need.resolve_by
    columns = []
    for start, end, due_end in bounds:
        came_in = sa.and_(Need.created_at >= start, Need.created_at < end)
        due_in_month = sa.and_(
            Need.resolve_by >= start, Need.resolve_by < due_end, Need.rejected_at.is_(None)
        )
        columns += [
            sa.func.count().filter(came_in, sa.or_(answered_in_time, Need.respond_by <= now)),
            sa.func.count().filter(came_in, answered_in_time),
            sa.func.count().filter(due_in_month, sa.or_(solved_in_time, Need.resolve_by <= now)),
            sa.func.count().filter(due_in_month, solved_in_time),
        ]
    lowest = min(start for start, _end, _due in bounds)
    counts = db.session.execute(
        sa.select(*columns).where(
            Need.community_id == community_id,
            sa.or_(
                sa.and_(
                    Need.created_at >= lowest,
                    Need.created_at < max(end for _start, end, _due in bounds),
                ),
                sa.and_(
                    Need.resolve_by >= lowest,
                    Need.resolve_by < max(due for _start, _end, due in bounds),
                    Need.rejected_at.is_(None),
                ),
            ),
        )
    ).one()
    durations: list[list[float]] = [[] for _ in months]
    for created, resolved in db.session.execute(
        sa.select(Need.created_at, Need.resolved_at).where(
            Need.community_id == community_id,
            Need.resolved_at >= lowest,
            Need.resolved_at < max(end for _start, end, _due in bounds),
        )
    ):
        for i, (start, end, _due) in enumerate(bounds):
            if start <= resolved < end:
                # in Python: SQLite cannot subtract two timestamps
                durations[i].append((resolved - created).total_seconds() / 3600)
    satisfaction = ratings.satisfaction_by_month(community_id, firsts)
    rows = []
    for i, first in enumerate(firsts):
        responded_decided, responded_in_time, due_decided, resolved_in_time = counts[
            4 * i : 4 * i + 4
        ]
        median = _median(sorted(durations[i]))
        satisfied, rated = satisfaction[i]
        rows.append(
            {
                "month": first.strftime("%Y-%m"),
                "response_rate": _rate(responded_in_time, responded_decided),
                "responded_in_time": responded_in_time,
                "response_decided": responded_decided,
                "resolution_rate": _rate(resolved_in_time, due_decided),
                "resolved_in_time": resolved_in_time,
                "resolution_decided": due_decided,
                "median_hours_to_resolve": round(median, 1) if median is not None else None,
                "resolved": len(durations[i]),
                # 满意率: the month's ratings (coop.needs.ratings) with 4 or 5 stars
                "satisfaction_rate": _rate(satisfied, rated),
                "satisfied": satisfied,
                "rated": rated,
            }
        )
    return rows
