"""The dashboards' series by period (a calendar month or year in community time, Asia/Shanghai).

One query per series, whatever the number of periods or communities: each row is put in its
period by a ``CASE`` over the periods' bounds (aware datetimes, or dates for a date column), so
the same SQL groups by local month on SQLite and PostgreSQL and needs no time-zone function
from either. Every series takes the communities it counts for, which lets the community page
(one community, twelve months) and the street's comparison (her communities, one period) share
the queries. The definitions match ``coop.stats`` (activities held) and the lists they link to.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from coop.activities.models import Activity, ActivityStatus
from coop.claims.models import Claim, ClaimStatus
from coop.extensions import db
from coop.hours.summary import MonthlyHours
from coop.ledger.summary import MonthlyPoints
from coop.needs.models import Need
from coop.timeutil import COMMUNITY_TZ, local_midnight, month_start, next_month


@dataclass(frozen=True)
class Period:
    """A calendar month (``key`` 'YYYY-MM') or year ('YYYY'), from ``first`` to ``after``."""

    key: str
    first: date
    after: date

    @property
    def starts(self) -> datetime:
        return local_midnight(self.first)

    @property
    def ends(self) -> datetime:
        return local_midnight(self.after)


def month(first: date) -> Period:
    first = month_start(first)
    return Period(first.strftime("%Y-%m"), first, next_month(first))


def year(number: int) -> Period:
    return Period(str(number), date(number, 1, 1), date(number + 1, 1, 1))


def parse_period(key: str) -> Period:
    """'YYYY-MM' or 'YYYY' (already validated by the schema) as its period."""
    if len(key) == 4:
        return year(int(key))
    return month(date(int(key[:4]), int(key[5:7]), 1))


def last_months(now: datetime, count: int = 12) -> list[Period]:
    """The ``count`` months up to and including ``now``'s month, oldest first."""
    first = month_start(now.astimezone(COMMUNITY_TZ).date())
    months = [first]
    for _ in range(count - 1):
        previous = months[-1].replace(day=1)
        months.append(month_start(date.fromordinal(previous.toordinal() - 1)))
    return [month(m) for m in reversed(months)]


# Each series' statement is built once per number of periods (building it took longer than
# PostgreSQL took to answer it); the communities and the periods' bounds are its parameters.
_COMMUNITIES = sa.bindparam("communities", expanding=True)


def _bucket(column, count: int):
    """The index of the period ``column`` falls in (NULL outside them all), and that range: the
    periods' bounds are the parameters ``lower`` and ``end_0`` … ``end_{count-1}``."""
    ends = [sa.bindparam(f"end_{i}", type_=column.type) for i in range(count)]
    index = sa.case(*[(column < end, i) for i, end in enumerate(ends)], else_=None)
    return index, sa.and_(column >= sa.bindparam("lower", type_=column.type), column < ends[-1])


def _rows(query, community_ids: list[int], periods: list[Period], *, dates=False, **more) -> dict:
    """{(community_id, period index[, key]): value} from (community, index[, key], value) rows."""
    params = {
        "communities": list(community_ids),
        "lower": periods[0].first if dates else periods[0].starts,
        **{f"end_{i}": p.after if dates else p.ends for i, p in enumerate(periods)},
        **more,
    }
    found = {}
    for *key, value in db.session.execute(query, params):
        found[tuple(key)] = value
    return found


@functools.cache
def _needs_by_category(column_name: str, count: int) -> sa.Select:
    index, in_range = _bucket(getattr(Need, column_name), count)
    return (
        sa.select(Need.community_id, index, Need.category, sa.func.count())
        .where(Need.community_id.in_(_COMMUNITIES), in_range)
        .group_by(Need.community_id, index, Need.category)
    )


def needs_in(community_ids: list[int], periods: list[Period]) -> dict:
    """Needs that came in (``created_at``), by community, period and category."""
    return _rows(_needs_by_category("created_at", len(periods)), community_ids, periods)


def needs_solved(community_ids: list[int], periods: list[Period]) -> dict:
    """Needs solved (``resolved_at``, the latest solution), by community, period and category."""
    return _rows(_needs_by_category("resolved_at", len(periods)), community_ids, periods)


_HELD_BEFORE = sa.bindparam("now", type_=Activity.ends_at.type)


@functools.cache
def _activities_held(count: int) -> sa.Select:
    index, in_range = _bucket(Activity.ends_at, count)
    return (
        sa.select(Activity.community_id, index, sa.func.count())
        .where(
            Activity.community_id.in_(_COMMUNITIES),
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.ends_at < _HELD_BEFORE,
            in_range,
        )
        .group_by(Activity.community_id, index)
    )


def activities_held(community_ids: list[int], periods: list[Period], now: datetime) -> dict:
    """Sessions held, as ``coop.stats.activities_held`` counts them, in the period they ended."""
    return _rows(_activities_held(len(periods)), community_ids, periods, now=now)


@functools.cache
def _verified_hours(count: int) -> sa.Select:
    index, in_range = _bucket(MonthlyHours.month, count)
    return (
        sa.select(MonthlyHours.community_id, index, sa.func.sum(MonthlyHours.hours))
        .where(MonthlyHours.community_id.in_(_COMMUNITIES), in_range)
        .group_by(MonthlyHours.community_id, index)
    )


def verified_hours(community_ids: list[int], periods: list[Period]) -> dict:
    """Verified hours still standing (not reversed) by the month they were served: read from
    ``coop.hours.summary`` (kept in the same transaction as each record, so the same figure
    as summing the records, without reading millions of them)."""
    found = _rows(_verified_hours(len(periods)), community_ids, periods, dates=True)
    return {key: Decimal(value or 0) for key, value in found.items() if value}


@functools.cache
def _units_taking_part(count: int) -> sa.Select:
    index, in_range = _bucket(Activity.ends_at, count)
    return (
        sa.select(Activity.community_id, index, sa.func.count(sa.distinct(Claim.unit_id)))
        .join(Claim, Claim.project_id == Activity.project_id)
        .where(
            Activity.community_id.in_(_COMMUNITIES),
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.ends_at < _HELD_BEFORE,
            Claim.unit_id.is_not(None),
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
            in_range,
        )
        .group_by(Activity.community_id, index)
    )


def units_taking_part(community_ids: list[int], periods: list[Period], now: datetime) -> dict:
    """Distinct units with an approved or fulfilled claim on a project one of whose sessions
    was held in the period."""
    return _rows(_units_taking_part(len(periods)), community_ids, periods, now=now)


@functools.cache
def _points_select(column_name: str, count: int) -> sa.Select:
    index, in_range = _bucket(MonthlyPoints.month, count)
    return (
        sa.select(
            MonthlyPoints.community_id, index, sa.func.sum(getattr(MonthlyPoints, column_name))
        )
        .where(MonthlyPoints.community_id.in_(_COMMUNITIES), in_range)
        .group_by(MonthlyPoints.community_id, index)
    )


def _points(community_ids: list[int], periods: list[Period], column_name: str) -> dict:
    found = _rows(_points_select(column_name, len(periods)), community_ids, periods, dates=True)
    return {key: int(value) for key, value in found.items() if value}


def points_issued(community_ids: list[int], periods: list[Period]) -> dict:
    """Points that left the community's pool for hours and honours, net of reversals: read
    from ``coop.ledger.summary`` (kept by the database with each entry, so the same figure as
    summing the pool's entries, without reading them)."""
    return _points(community_ids, periods, "issued")


def points_spent(community_ids: list[int], periods: list[Period]) -> dict:
    """Points the supermarket received: redemptions picked up (``coop.ledger.summary``)."""
    return _points(community_ids, periods, "spent")


def figures(community_ids: list[int], periods: list[Period], now: datetime) -> dict:
    """Every series for these communities and periods: {name: {(community, index[, …]): v}}.
    Seven queries in all."""
    return {
        "needs_in": needs_in(community_ids, periods),
        "needs_solved": needs_solved(community_ids, periods),
        "activities_held": activities_held(community_ids, periods, now),
        "verified_hours": verified_hours(community_ids, periods),
        "units_taking_part": units_taking_part(community_ids, periods, now),
        "points_issued": points_issued(community_ids, periods),
        "points_spent": points_spent(community_ids, periods),
    }


SERIES = (
    "needs_in",
    "needs_solved",
    "activities_held",
    "verified_hours",
    "units_taking_part",
    "points_issued",
    "points_spent",
)


def by_community(series: dict, index: int) -> dict:
    """{community_id: value} for one period, summed over any further key (the category)."""
    summed = {}
    for key, value in series.items():
        if key[1] == index:
            summed[key[0]] = summed.get(key[0], 0) + value
    return summed


def comparison(communities: list, period: Period, now: datetime) -> list[dict]:
    """The street's communities side by side for one period: a row per community with every
    series (seven queries in all, whatever the number of communities)."""
    found = figures([c.id for c in communities], [period], now)
    columns = {name: by_community(found[name], 0) for name in SERIES}
    return [
        {"community": c, **{name: columns[name].get(c.id, 0) for name in SERIES}}
        for c in communities
    ]


def latest_period(now: datetime) -> Period:
    """The month ``now`` is in (community time): the comparison's default."""
    return month(now.astimezone(COMMUNITY_TZ).date())


def is_future(period: Period, now: datetime) -> bool:
    """Nothing can have happened yet in a period that starts after ``now``."""
    return period.starts > now
