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

import functools
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


def _bounds(months: list[date], now: datetime) -> list[tuple[datetime, datetime, datetime]]:
    """Each month's (start, end of "came in" and "solved": up to now in the current month, end
    of "due")."""
    return [
        (local_midnight(m), min(local_midnight(next_month(m)), now), local_midnight(next_month(m)))
        for m in (month_start(m) for m in months)
    ]


# The statements are built once per number of months (building them cost more than their
# answer); each month's bounds are parameters: ``start_i``, ``end_i`` and ``due_end_i``.
_AT = Need.created_at.type


def _at(name: str) -> sa.BindParameter:
    return sa.bindparam(name, type_=_AT)


def _bound_params(bounds, now: datetime) -> dict:
    params = {"now": now}
    for i, (start, end, due_end) in enumerate(bounds):
        params |= {f"start_{i}": start, f"end_{i}": end, f"due_end_{i}": due_end}
    params |= {
        "lowest": min(start for start, _end, _due in bounds),
        "highest_end": max(end for _start, end, _due in bounds),
        "highest_due": max(due for _start, _end, due in bounds),
    }
    return params


def _count_columns(count: int) -> list:
    """Per month: response decided, answered in time, resolution decided, solved in time."""
    # The first answer: listed, or rejected (a need listed and later turned down was answered
    # when it was listed).
    answered_in_time = sa.or_(
        Need.listed_at <= Need.respond_by, Need.rejected_at <= Need.respond_by
    )
    solved_in_time = Need.resolved_at <= Need.resolve_by
    now = _at("now")
    columns = []
    for i in range(count):
        start = _at(f"start_{i}")
        came_in = sa.and_(Need.created_at >= start, Need.created_at < _at(f"end_{i}"))
        due_in_month = sa.and_(
            Need.resolve_by >= start,
            Need.resolve_by < _at(f"due_end_{i}"),
            Need.rejected_at.is_(None),
        )
        columns += [
            sa.func.count().filter(came_in, sa.or_(answered_in_time, Need.respond_by <= now)),
            sa.func.count().filter(came_in, answered_in_time),
            sa.func.count().filter(due_in_month, sa.or_(solved_in_time, Need.resolve_by <= now)),
            sa.func.count().filter(due_in_month, solved_in_time),
        ]
    return columns


# The needs any of the months' counts may read: came in or due within them.
_COUNTED = sa.or_(
    sa.and_(Need.created_at >= _at("lowest"), Need.created_at < _at("highest_end")),
    sa.and_(
        Need.resolve_by >= _at("lowest"),
        Need.resolve_by < _at("highest_due"),
        Need.rejected_at.is_(None),
    ),
)
_SOLVED_WITHIN = sa.and_(Need.resolved_at >= _at("lowest"), Need.resolved_at < _at("highest_end"))


@functools.cache
def _counts(count: int) -> sa.Select:
    return sa.select(*_count_columns(count)).where(
        Need.community_id == sa.bindparam("community_id"), _COUNTED
    )


_DURATIONS = sa.select(Need.created_at, Need.resolved_at).where(
    Need.community_id == sa.bindparam("community_id"), _SOLVED_WITHIN
)
# The street's list: one month, many communities.
_COUNTS_BY_COMMUNITY = (
    sa.select(Need.community_id, *_count_columns(1))
    .where(Need.community_id.in_(sa.bindparam("communities", expanding=True)), _COUNTED)
    .group_by(Need.community_id)
)
_DURATIONS_BY_COMMUNITY = sa.select(Need.community_id, Need.created_at, Need.resolved_at).where(
    Need.community_id.in_(sa.bindparam("communities", expanding=True)), _SOLVED_WITHIN
)


def _hours(created: datetime, resolved: datetime) -> float:
    return (resolved - created).total_seconds() / 3600  # in Python: SQLite cannot subtract


def months_rates(community_id: int, months: list[date], now: datetime) -> list[dict]:
    """``month_rates`` for each of ``months``, in their order, in three statements whatever
    their number: the counts of every month in one pass over the community's needs, the solved
    needs' durations, and the ratings."""
    firsts = [month_start(m) for m in months]
    bounds = _bounds(months, now)
    params = {"community_id": community_id, **_bound_params(bounds, now)}
    counts = db.session.execute(_counts(len(bounds)), params).one()
    durations: list[list[float]] = [[] for _ in months]
    for created, resolved in db.session.execute(_DURATIONS, params):
        for i, (start, end, _due) in enumerate(bounds):
            if start <= resolved < end:
                durations[i].append(_hours(created, resolved))
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


def month_rates_by_community(community_ids: list[int], month: date, now: datetime) -> dict:
    """community id → the month's response rate, resolution rate and median hours (as
    ``month_rates`` has them), for many communities in two statements: the street's list."""
    params = {"communities": list(community_ids), **_bound_params(_bounds([month], now), now)}
    counts = {row[0]: row[1:] for row in db.session.execute(_COUNTS_BY_COMMUNITY, params)}
    durations: dict[int, list[float]] = {}
    for community_id, created, resolved in db.session.execute(_DURATIONS_BY_COMMUNITY, params):
        durations.setdefault(community_id, []).append(_hours(created, resolved))
    found = {}
    for community_id in community_ids:
        decided, in_time, due_decided, solved = counts.get(community_id, (0, 0, 0, 0))
        median = _median(sorted(durations.get(community_id, [])))
        found[community_id] = {
            "response_rate": _rate(in_time, decided),
            "resolution_rate": _rate(solved, due_decided),
            "median_hours_to_resolve": round(median, 1) if median is not None else None,
        }
    return found
