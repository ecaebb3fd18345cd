"""The nightly match job: one period a day, every community, run through the guard."""

import pytest

from coop.categories import Category
from coop.jobruns.periods import Cadence, current
from coop.matching.models import CandidateType
from jobs import JOBS
from tests.factories import make_community, make_project, make_resource, make_unit

from .helpers import NOW, suggestions


@pytest.fixture
def community(ctx):
    return make_community()


def test_the_match_job_suggests_for_today_once(community):
    unit = make_unit(community)
    make_resource(unit, community, category=Category.CARE)
    project = make_project(community)
    job = JOBS["match"]
    assert job.cadence is Cadence.DAILY and job.trigger == {"hour": 1, "minute": 30}
    today = current(Cadence.DAILY, NOW)
    assert job.period_at(NOW) == today
    outcome = job.run(today)
    assert outcome.ran and outcome.result["suggestions"] >= 2
    assert [s.candidate_id for s in suggestions(project, CandidateType.UNIT)] == [unit.id]
    assert job.run(today).status == "already_done"
