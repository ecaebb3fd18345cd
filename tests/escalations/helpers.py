from datetime import UTC, date, datetime, timedelta

from coop.escalations import service
from coop.uow import unit_of_work

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in the community
TODAY = date(2026, 12, 7)
NEXT_WEEK = TODAY + timedelta(days=7)


def raise_need(secretary, need, reason="需要城管协调拆除违建", now=NOW):
    with unit_of_work(secretary):
        return service.escalate_need(secretary, need.id, reason=reason, now=now)


def department(street, name):
    return next(d for d in street_departments(street) if d.name == name)


def street_departments(street):
    from coop.escalations import queries

    found = queries.departments(street.id)
    if not found:
        service.seed_departments(street)
        found = queries.departments(street.id)
    return found
