"""The migration that opens again the needs a low rating reopened before the ratings service
cleared their solution: no solution, no stamps older than the reopening, due afresh from it;
needs solved since, or never reopened, are left alone."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from coop.categories import Category
from coop.extensions import db
from coop.needs.models import Need, NeedRating, NeedStatus, ServiceCommitment, Urgency
from tests import factories
from tests.conftest import ON_POSTGRES, _database_url, make_app

BEFORE = "a1c3e5f7b9d2"
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]
REOPENED_AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SOLVED_AT = REOPENED_AT - timedelta(days=5)

pytestmark = pytest.mark.committed


def _need(community, **fields):
    """A need as the ratings service used to leave it once reopened: back on the list, its
    project gone, everything else of its solution still there."""
    return factories.make_need(community, created_at=REOPENED_AT - timedelta(days=60), **fields)


def _rating(need, rater, *, round=1, stars=1, at=REOPENED_AT):
    db.session.add(
        NeedRating(
            need_id=need.id,
            round=round,
            stars=stars,
            rated_by_id=rater.id,
            reopened=stars <= 2,
            created_at=at,
        )
    )


@pytest.fixture(params=BACKENDS)
def old_app(request, tmp_path):
    """A database at the revision before, holding needs reopened, solved again and never
    reopened; ``ids`` names them."""
    url = (
        _database_url("reopenmig", tmp_path)
        if request.param == "postgres" and ON_POSTGRES
        else f"sqlite:///{tmp_path}/reopenmig.sqlite3"
    )
    app = make_app(url)
    with app.app_context():
        community = factories.make_community()
        resident = factories.make_resident(community)
        db.session.add(
            ServiceCommitment(
                community_id=community.id,
                category=Category.CARE,
                urgency=Urgency.URGENT,
                respond_hours=12,
                resolve_days=2,
            )
        )
        old = {
            "status": NeedStatus.LISTED,
            "requester_id": resident.id,
            "resolution_round": 1,
            "resolved_at": SOLVED_AT,
            "resolution": "换了新灯泡",
        }
        archived = _need(
            community,
            **old,
            in_project_at=SOLVED_AT - timedelta(days=10),
            closed_at=SOLVED_AT + timedelta(days=1),
        )
        urgent = _need(community, **old, urgency=Urgency.URGENT)
        recompiled = _need(community, **old)
        factories.make_project(community, needs=[recompiled])
        recompiled.in_project_at = REOPENED_AT + timedelta(days=1)  # a new project since
        solved_again = _need(
            community,
            **{
                **old,
                "status": NeedStatus.RESOLVED,
                "resolution": "重新布线",
                "resolution_round": 2,
            },
        )
        solved_again.resolved_at = REOPENED_AT + timedelta(days=3)
        rated_well = _need(community, **{**old, "status": NeedStatus.RESOLVED})
        # Released back to the list by a cancelled project, before release cleared the stamp.
        released = _need(community, status=NeedStatus.LISTED, in_project_at=SOLVED_AT)
        for need in (archived, urgent, recompiled, solved_again):
            _rating(need, resident)
        _rating(rated_well, resident, stars=5)
        db.session.flush()
        app.ids = {
            name: need.id
            for name, need in {
                "archived": archived,
                "urgent": urgent,
                "recompiled": recompiled,
                "solved_again": solved_again,
                "rated_well": rated_well,
                "released": released,
            }.items()
        }
        app.before = {
            need.id: (need.resolved_at, need.resolution, need.resolve_by)
            for need in (solved_again, rated_well)
        }
        db.session.commit()
        downgrade(revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def _needs(app) -> dict[str, Need]:
    db.session.expire_all()
    found = {n.id: n for n in db.session.scalars(sa.select(Need))}
    return {name: found[need_id] for name, need_id in app.ids.items()}


def test_reopened_needs_lose_their_solution_and_are_due_from_the_reopening(old_app):
    with old_app.app_context():
        upgrade()
        needs = _needs(old_app)
        archived, urgent, recompiled = needs["archived"], needs["urgent"], needs["recompiled"]
        for need in (archived, urgent, recompiled):
            assert need.resolved_at is None and need.resolution == ""
        assert archived.in_project_at is None and archived.closed_at is None
        assert archived.resolve_by == REOPENED_AT + timedelta(days=30)  # the default, 一般
        assert urgent.resolve_by == REOPENED_AT + timedelta(days=2)  # the community's own
        assert recompiled.in_project_at == REOPENED_AT + timedelta(days=1)
        assert recompiled.project_id is not None
        assert needs["released"].in_project_at is None


def test_needs_solved_again_or_rated_well_are_left_alone(old_app):
    with old_app.app_context():
        upgrade()
        needs = _needs(old_app)
        for name in ("solved_again", "rated_well"):
            need = needs[name]
            assert (need.resolved_at, need.resolution, need.resolve_by) == old_app.before[need.id]
