"""A community with an alliance, three member units (one without a live agreement), their
liaisons, a secretary, the current half year opened, and meeting helpers."""

from datetime import timedelta

import pytest

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.meetings import service
from coop.meetings.models import Meeting, MeetingKind
from coop.terms import queries as terms_queries
from coop.terms import service as terms_service
from tests.factories import make_community, make_liaison, make_secretary, make_unit

NOW = utcnow()
PERIOD = terms_queries.half_year_of(terms_queries.local_day(NOW))


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def units(community):
    """Two member units with a live agreement and one whose agreement is not live."""
    return [
        make_unit(community, name="康达物业测试"),
        make_unit(community, name="兴旺小学测试"),
        make_unit(community, name="鑫源超市测试", live=False),
    ]


@pytest.fixture
def liaison(units):
    return make_liaison(units[0], display_name="王丽")


@pytest.fixture
def term(community, units):
    terms_service.open_term_for(community.alliance.id, PERIOD, now=NOW)
    return terms_queries.term_at(community.alliance.id, terms_queries.local_day(NOW))


def schedule(secretary, community, *, starts_in=timedelta(days=3), **overrides) -> Meeting:
    """A meeting scheduled ``starts_in`` from NOW (scheduled earlier, so a past one can be made)."""
    fields = {
        "kind": MeetingKind.JOINT,
        "title": "第三季度联席会议",
        "starts_at": NOW + starts_in,
        "place": "党群服务中心二楼",
        "agenda": "1. 车棚改造\n2. 助餐点",
        **overrides,
    }
    scheduled_at = min(NOW, fields["starts_at"] - timedelta(days=1))
    return service.schedule_meeting(secretary, community.id, now=scheduled_at, **fields)


@pytest.fixture
def meeting(secretary, community, units):
    return schedule(secretary, community)


@pytest.fixture
def started(secretary, community, units):
    """A meeting that began ten minutes ago."""
    return schedule(secretary, community, starts_in=-timedelta(minutes=10))


def rows(model) -> int:
    return db.session.query(model).count()
