"""A need reopened by a low rating (回访) is open again everywhere: not solved, counted as solved
in no month until it is solved again, due again from the reopening; the earlier solution, the
rating and the reopening stay in its record as history."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop import stats_monthly
from coop.audit import AuditLog
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs import rates, ratings, service, time_limits
from coop.needs.models import NeedStatus, ServiceCommitment, Urgency
from coop.public import queries as board_queries
from coop.timeutil import COMMUNITY_TZ, local_midnight, month_start
from tests.factories import (
    make_community,
    make_need,
    make_project,
    make_resident,
    make_secretary,
)

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def resident(community):
    return make_resident(community)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _solved_long_ago(community, resident, **overrides):
    """Came in 60 days before NOW (its 30-day time limit long gone), solved 5 days before."""
    return make_need(
        community,
        requester_id=resident.id,
        status=NeedStatus.RESOLVED,
        created_at=NOW - timedelta(days=60),
        resolved_at=NOW - timedelta(days=5),
        resolution="换了新灯泡",
        **overrides,
    )


def _local_month(moment: datetime):
    return month_start(moment.astimezone(COMMUNITY_TZ).date())


def _solved_count(community, moment: datetime) -> int:
    period = stats_monthly.month(_local_month(moment))
    found = stats_monthly.needs_solved([community.id], [period])
    return stats_monthly.by_community(found, 0).get(community.id, 0)


def test_a_reopened_need_is_no_longer_solved(community, resident):
    need = _solved_long_ago(community, resident)
    ratings.rate(resident, need.id, stars=1, comment="灯还是不亮", now=NOW)
    assert need.status is NeedStatus.LISTED
    assert need.resolved_at is None and need.resolution == "" and need.closed_at is None


def test_an_archived_need_reopened_is_no_longer_closed(community, resident, secretary):
    need = _solved_long_ago(community, resident)
    service.close_need(secretary, need.id)
    ratings.rate(resident, need.id, stars=2, now=NOW)
    assert need.status is NeedStatus.LISTED
    assert need.closed_at is None and need.resolved_at is None


def test_a_reopened_need_is_due_again_from_the_reopening(community, resident):
    need = _solved_long_ago(community, resident)
    respond_by = need.respond_by
    ratings.rate(resident, need.id, stars=1, now=NOW)
    # an ordinary need: 30 days to solve (DEFAULT_COMMITMENTS), counted from the rating
    assert need.resolve_by == NOW + timedelta(days=30)
    assert need.respond_by == respond_by  # it was answered long ago; that stays as it was
    assert not time_limits.is_overdue(need, NOW)
    assert not time_limits.is_overdue(need, NOW + timedelta(days=29))
    assert time_limits.is_overdue(need, NOW + timedelta(days=31))


def test_a_reopened_need_is_due_by_the_communitys_own_commitment_in_force(community, resident):
    need = _solved_long_ago(community, resident, urgency=Urgency.URGENT)
    db.session.add(
        ServiceCommitment(
            community_id=community.id,
            category=Category.CARE,
            urgency=Urgency.URGENT,
            respond_hours=12,
            resolve_days=2,
        )
    )
    db.session.flush()
    ratings.rate(resident, need.id, stars=2, now=NOW)
    assert need.resolve_by == NOW + timedelta(days=2)


def test_reclassifying_a_reopened_need_counts_its_time_limit_from_the_reopening(
    community, resident, secretary
):
    need = _solved_long_ago(community, resident)
    ratings.rate(resident, need.id, stars=1, now=NOW)
    service.edit_need(secretary, need.id, version=need.version, urgency=Urgency.SOON)
    assert need.resolve_by == NOW + timedelta(days=7)
    assert need.respond_by == need.created_at + timedelta(hours=48)


def test_a_reopened_need_solved_again_starts_a_new_round(community, resident, secretary):
    need = _solved_long_ago(community, resident)
    ratings.rate(resident, need.id, stars=1, now=NOW)
    service.resolve_need(secretary, need.id, resolution="请电工重新布线")
    assert need.status is NeedStatus.RESOLVED and need.resolution_round == 2
    assert need.resolved_at is not None and need.resolution == "请电工重新布线"
    assert ratings.rateable(need) and ratings.rating_of_round(need) is None


def test_a_reopened_need_leaves_its_project_step_behind(community, resident):
    need = make_need(community, requester_id=resident.id)
    project = make_project(community, needs=[need])
    service.resolve_with(project)
    assert need.resolution.startswith("已通过项目")
    ratings.rate(resident, need.id, stars=1, now=NOW)
    assert need.project_id is None and need.in_project_at is None
    assert need.resolution == "" and need.resolved_at is None


def test_a_reopened_need_is_counted_as_solved_in_no_month(community, resident, secretary):
    now = utcnow()
    last_month = local_midnight(_local_month(now)) - timedelta(days=3)
    solved_last_month = make_need(
        community,
        requester_id=resident.id,
        status=NeedStatus.RESOLVED,
        created_at=last_month - timedelta(days=2),
        resolved_at=last_month,
    )
    solved_this_month = make_need(
        community, requester_id=resident.id, status=NeedStatus.RESOLVED, resolved_at=now
    )
    assert _solved_count(community, last_month) == 1 and _solved_count(community, now) == 1
    for need in (solved_last_month, solved_this_month):
        ratings.rate(resident, need.id, stars=1, now=now)
    assert _solved_count(community, last_month) == 0 and _solved_count(community, now) == 0
    for moment in (last_month, now):
        assert rates.month_rates(community.id, _local_month(moment), now)["resolved"] == 0
    assert board_queries.month_figures(community.id, now).people_served == 0


def test_a_reopened_need_solved_again_counts_in_the_month_it_is_solved_again(
    community, resident, secretary
):
    now = utcnow()
    last_month = local_midnight(_local_month(now)) - timedelta(days=3)
    need = make_need(
        community,
        requester_id=resident.id,
        status=NeedStatus.RESOLVED,
        created_at=last_month - timedelta(days=2),
        resolved_at=last_month,
    )
    ratings.rate(resident, need.id, stars=2, now=now)
    service.resolve_need(secretary, need.id, resolution="重新处理好了")
    assert _solved_count(community, last_month) == 0
    assert _solved_count(community, need.resolved_at) == 1
    assert board_queries.month_figures(community.id, need.resolved_at).people_served == 1


def test_the_board_shows_a_reopened_need_open_without_its_old_solution(community, resident):
    need = make_need(community, requester_id=resident.id)
    project = make_project(community, needs=[need])
    service.resolve_with(project)
    ratings.rate(resident, need.id, stars=1, now=utcnow())
    (shown,) = board_queries.board(community.id, utcnow()).needs
    assert shown.status is NeedStatus.LISTED
    assert [(s.code, s.reached) for s in shown.timeline] == [
        ("received", True),
        ("listed", True),
        ("resolved", False),
    ]


def test_a_need_released_from_a_cancelled_project_shows_no_project_step(community, secretary):
    need = make_need(community, status=NeedStatus.LISTED)
    project = make_project(community, needs=[need])
    assert need.in_project_at is not None
    service.release_from(project)
    assert need.status is NeedStatus.LISTED and need.in_project_at is None
    (shown,) = board_queries.board(community.id, utcnow()).needs
    assert "in_project" not in [s.code for s in shown.timeline]


def test_the_board_shows_the_rating_of_the_solution_it_shows(community, resident, secretary):
    need = make_need(community, requester_id=resident.id, status=NeedStatus.RESOLVED)
    ratings.rate(resident, need.id, stars=1, now=utcnow())
    service.resolve_need(secretary, need.id)  # solved again, not rated yet
    (shown,) = board_queries.board(community.id, utcnow()).needs
    assert [s.code for s in shown.timeline][-1] == "resolved"
    ratings.rate(resident, need.id, stars=5, now=utcnow())
    (shown,) = board_queries.board(community.id, utcnow()).needs
    assert (shown.timeline[-1].code, shown.timeline[-1].detail) == ("rated", "5 星")


def test_the_earlier_solution_and_the_reopening_stay_in_the_needs_record(community, resident):
    need = _solved_long_ago(community, resident)
    rating = ratings.rate(resident, need.id, stars=1, comment="灯还是不亮", now=NOW)
    changes = [
        row.before
        for row in db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "needs", AuditLog.object_id == str(need.id))
            .where(AuditLog.action == "update")
        )
    ]
    assert any(
        (before or {}).get("resolution") == "换了新灯泡"
        and (before or {}).get("status") == NeedStatus.RESOLVED.value
        and (before or {}).get("resolved_at")
        for before in changes
    )
    assert rating.reopened and rating.round == 1 and need.ratings == [rating]
