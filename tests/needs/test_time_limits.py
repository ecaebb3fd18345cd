from datetime import timedelta

import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs import time_limits
from coop.needs.models import Need, NeedStatus, Urgency
from tests import factories


def _ids(condition):
    return set(db.session.scalars(sa.select(Need.id).where(condition)))


def test_an_urgent_need_is_overdue_after_three_days_and_a_normal_one_after_thirty(ctx):
    community = factories.make_community()
    now = utcnow()
    urgent = factories.make_need(
        community, urgency=Urgency.URGENT, created_at=now - timedelta(days=4)
    )
    normal = factories.make_need(
        community, urgency=Urgency.NORMAL, created_at=now - timedelta(days=4)
    )
    solved = factories.make_need(
        community,
        urgency=Urgency.URGENT,
        created_at=now - timedelta(days=9),
        status=NeedStatus.RESOLVED,
    )
    db.session.flush()
    assert time_limits.deadline(urgent) == urgent.created_at + timedelta(days=3)
    overdue = _ids(time_limits.overdue(now))
    assert urgent.id in overdue
    assert normal.id not in overdue and solved.id not in overdue


def test_due_within_takes_only_needs_not_yet_overdue(ctx):
    community = factories.make_community()
    now = utcnow()
    soon = factories.make_need(
        community, urgency=Urgency.SOON, created_at=now - timedelta(days=6, hours=12)
    )
    late = factories.make_need(community, urgency=Urgency.SOON, created_at=now - timedelta(days=8))
    fresh = factories.make_need(community, urgency=Urgency.SOON, created_at=now)
    db.session.flush()
    due = _ids(time_limits.due_within(now, timedelta(days=1)))
    assert soon.id in due
    assert late.id not in due and fresh.id not in due
