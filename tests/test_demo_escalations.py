"""The demo's 街道吹哨: one need solved with 城管 in the past, one still with 民政 before its
deadline, the resident account's own, which she follows on her need page."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop import demo
from coop.auth.models import User
from coop.escalations.models import Escalation, EscalationStatus
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.timeutil import COMMUNITY_TZ, local_today
from tests.factories import login


@pytest.fixture
def escalations(ctx):
    assert demo.load() is True
    return {
        e.status: e
        for e in db.session.scalars(sa.select(Escalation).order_by(Escalation.raised_at))
    }


def test_one_solved_with_chengguan_in_the_past(escalations):
    solved = escalations[EscalationStatus.RESOLVED]
    assert [d.name for d in solved.departments] == ["城管"]
    assert len(solved.entries) == 2
    assert all(e.on < local_today() for e in solved.entries)
    assert solved.need.status is NeedStatus.RESOLVED
    assert solved.need.resolved_at == solved.closed_at
    assert solved.closed_at.astimezone(COMMUNITY_TZ).date() < local_today() - timedelta(days=7)
    assert solved.days_taken == 9


def test_one_still_with_minzheng_before_its_deadline(escalations):
    still = escalations[EscalationStatus.ASSIGNED]
    assert [d.name for d in still.departments] == ["民政"]
    assert still.deadline > local_today() and not still.overdue(local_today())
    assert still.need.status is NeedStatus.LISTED
    resident = db.session.scalar(sa.select(User).where(User.username == "resident"))
    assert still.need.requester_id == resident.id
    assert set(escalations) == {EscalationStatus.RESOLVED, EscalationStatus.ASSIGNED}


def test_the_resident_sees_it_on_her_need_page(client, escalations):
    still = escalations[EscalationStatus.ASSIGNED]
    login(client, db.session.get(User, still.need.requester_id))
    html = client.get(f"/needs/{still.need_id}").get_data(as_text=True)
    section = html[html.index("街道协同处置") :]
    assert "民政" in section and still.deadline.isoformat() in section
