from datetime import timedelta

import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs import commitments, time_limits
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


def test_a_need_keeps_the_deadlines_it_came_in_with_when_the_commitment_changes(ctx):
    community = factories.make_community()
    secretary = factories.make_secretary(community)
    before = factories.make_need(community, urgency=Urgency.URGENT)
    cells = [
        {**cell, "respond_hours": 2, "resolve_days": 1}
        for cell in commitments.commitments_of(community.id)
    ]
    commitments.set_commitments(secretary, community.id, cells)
    after = factories.make_need(community, urgency=Urgency.URGENT)
    assert before.resolve_by == before.created_at + timedelta(days=3)
    assert before.respond_by == before.created_at + timedelta(hours=24)
    assert after.resolve_by == after.created_at + timedelta(days=1)
    assert after.respond_by == after.created_at + timedelta(hours=2)
    assert time_limits.deadline(after) == after.resolve_by


def test_overdue_reads_the_stored_deadline(ctx):
    community = factories.make_community()
    now = utcnow()
    # Came in an hour ago, but its stored limit (a community's own short one) has passed.
    late = factories.make_need(
        community, created_at=now - timedelta(hours=1), resolve_by=now - timedelta(minutes=1)
    )
    db.session.flush()
    assert late.id in _ids(time_limits.overdue(now))
    assert time_limits.is_overdue(late, now)


def test_an_unanswered_need_is_overdue_once_past_its_time_to_answer(ctx):
    community = factories.make_community()
    now = utcnow()
    waiting = factories.make_need(
        community,
        status=NeedStatus.SUBMITTED,
        urgency=Urgency.URGENT,
        created_at=now - timedelta(hours=25),
    )
    listed = factories.make_need(
        community, urgency=Urgency.URGENT, created_at=now - timedelta(hours=25)
    )
    db.session.flush()
    overdue = _ids(time_limits.overdue(now))
    assert waiting.id in overdue and listed.id not in overdue
    assert time_limits.is_overdue(waiting, now) and not time_limits.is_overdue(listed, now)


def test_correcting_an_open_needs_urgency_recomputes_its_deadlines_from_when_it_came_in(ctx):
    from coop.needs import service

    community = factories.make_community()
    secretary = factories.make_secretary(community)
    need = factories.make_need(community, urgency=Urgency.NORMAL)
    service.edit_need(secretary, need.id, version=need.version, urgency=Urgency.URGENT)
    assert need.respond_by == need.created_at + timedelta(hours=24)
    assert need.resolve_by == need.created_at + timedelta(days=3)
