"""满意度评价 of a need's resolution: once per resolution, by the requester or 代评 by staff for a
requester without an account; two stars or fewer reopen it (回访); the satisfaction rate."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.needs import ratings, service
from coop.needs.errors import AlreadyRated, NeedNotRateable
from coop.needs.models import NeedRating, NeedStatus
from coop.notices.models import Notice
from coop.todo import service as todo
from tests.factories import (
    make_community,
    make_need,
    make_project,
    make_resident,
    make_secretary,
    make_user,
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


def _solved(community, requester=None, **overrides):
    fields = {"requester_id": requester.id} if requester is not None else {}
    return make_need(community, status=NeedStatus.RESOLVED, **{**fields, **overrides})


def _ratings_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(NeedRating))


def _notices(user) -> list[Notice]:
    return list(db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id)))


def test_resolving_a_need_counts_its_resolutions(community, secretary):
    need = make_need(community)
    assert need.resolution_round == 0
    service.resolve_need(secretary, need.id)
    assert need.resolution_round == 1


def test_the_requester_rates_her_solved_need(community, resident):
    need = _solved(community, resident)
    rating = ratings.rate(resident, need.id, stars=5, comment="很满意", now=NOW)
    assert (rating.stars, rating.round, rating.on_behalf, rating.reopened) == (5, 1, False, False)
    assert rating.created_at == NOW and rating.rated_by_id == resident.id
    assert need.status is NeedStatus.RESOLVED


def test_three_stars_keep_the_need_solved(community, resident):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=3, now=NOW)
    assert need.status is NeedStatus.RESOLVED


@pytest.mark.parametrize("stars", [1, 2])
def test_two_stars_or_fewer_reopen_the_need_with_the_comment(community, resident, secretary, stars):
    need = _solved(community, resident)
    rating = ratings.rate(resident, need.id, stars=stars, comment="灯还是不亮", now=NOW)
    assert need.status is NeedStatus.LISTED and rating.reopened
    assert ratings.open_callback(need) is rating and rating.comment == "灯还是不亮"


def test_a_reopened_need_tells_the_communitys_staff(community, resident, secretary):
    need = _solved(community, resident)
    staff = make_secretary(community)
    outsider = make_secretary(make_community())
    ratings.rate(resident, need.id, stars=2, comment="灯还是不亮", now=NOW)
    for person in (secretary, staff):
        (notice,) = _notices(person)
        assert notice.link == f"/needs/{need.id}" and "灯还是不亮" in notice.body
    assert _notices(outsider) == []


def test_a_reopened_need_waits_in_the_secretarys_todo_until_solved_again(
    community, resident, secretary
):
    need = _solved(community, resident, title="楼道灯不亮")
    ratings.rate(resident, need.id, stars=1, comment="没人来修", now=NOW)
    item = todo.needs_reopened(secretary, community.id, NOW)
    assert item.count == 1 and "楼道灯不亮" in item.entries[0].text
    assert "没人来修" in item.entries[0].text and item.entries[0].link == f"/needs/{need.id}"
    service.resolve_need(secretary, need.id)
    assert todo.needs_reopened(secretary, community.id, NOW) is None


def test_a_good_rating_puts_nothing_in_the_todo(community, resident, secretary):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=4, now=NOW)
    assert todo.needs_reopened(secretary, community.id, NOW) is None


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_outside_one_to_five_are_refused_and_change_nothing(community, resident, stars):
    need = _solved(community, resident)
    with pytest.raises(Invalid) as refused:
        ratings.rate(resident, need.id, stars=stars, now=NOW)
    assert "1 到 5 星" in refused.value.errors["stars"][0]
    assert _ratings_count() == 0 and need.status is NeedStatus.RESOLVED


def test_a_second_rating_of_the_same_resolution_is_refused(community, resident):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=4, now=NOW)
    with pytest.raises(AlreadyRated) as refused:
        ratings.rate(resident, need.id, stars=1, comment="改主意了", now=NOW)
    assert refused.value.status == 409 and "已经评价过" in refused.value.message
    assert _ratings_count() == 1 and need.status is NeedStatus.RESOLVED


def test_rating_again_after_her_low_rating_reopened_it_says_already_rated(community, resident):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=1, comment="没修好", now=NOW)
    with pytest.raises(AlreadyRated):
        ratings.rate(resident, need.id, stars=2, now=NOW)
    assert [r.stars for r in need.ratings] == [1] and need.status is NeedStatus.LISTED


def test_a_need_solved_again_is_rated_again(community, resident, secretary):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=2, comment="没修好", now=NOW)
    service.resolve_need(secretary, need.id, resolution="换了新灯")
    second = ratings.rate(resident, need.id, stars=5, now=NOW + timedelta(days=3))
    assert second.round == 2 and need.status is NeedStatus.RESOLVED
    assert [r.stars for r in need.ratings] == [2, 5]
    assert ratings.open_callback(need) is None


@pytest.mark.parametrize("status", [NeedStatus.SUBMITTED, NeedStatus.LISTED])
def test_a_need_not_solved_cannot_be_rated(community, resident, status):
    need = make_need(community, status=status, requester_id=resident.id)
    with pytest.raises(NeedNotRateable) as refused:
        ratings.rate(resident, need.id, stars=5, now=NOW)
    assert refused.value.status == 409 and "还没有解决" in refused.value.message
    assert _ratings_count() == 0 and need.status is status


def test_a_rejected_and_archived_need_cannot_be_rated(community, resident, secretary):
    need = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    service.reject_need(secretary, need.id, reason="不属于社区职责")
    service.close_need(secretary, need.id)
    with pytest.raises(NeedNotRateable):
        ratings.rate(resident, need.id, stars=1, now=NOW)
    assert need.status is NeedStatus.CLOSED and _ratings_count() == 0


def test_a_solved_need_archived_can_still_be_rated_and_reopened(community, resident, secretary):
    need = _solved(community, resident)
    service.close_need(secretary, need.id)
    ratings.rate(resident, need.id, stars=2, comment="其实没解决", now=NOW)
    assert need.status is NeedStatus.LISTED


def test_another_resident_cannot_rate_a_need_she_can_see(community, resident):
    need = _solved(community, make_resident(community))  # solved needs are on the public list
    with pytest.raises(Forbidden):
        ratings.rate(resident, need.id, stars=1, now=NOW)
    assert _ratings_count() == 0 and need.status is NeedStatus.RESOLVED


def test_a_need_of_another_community_is_not_found(community, resident):
    need = _solved(make_community(), make_resident(community))
    with pytest.raises(NotFound):
        ratings.rate(make_resident(make_community()), need.id, stars=1, now=NOW)


def test_staff_rate_on_behalf_of_a_requester_without_an_account(community, secretary):
    need = _solved(community)  # recorded at the hall for someone with no account
    rating = ratings.rate(
        secretary, need.id, stars=2, comment="电话回访：还漏水", now=NOW, on_behalf=True
    )
    assert rating.on_behalf and rating.rated_by_id == secretary.id
    assert need.status is NeedStatus.LISTED


def test_staff_do_not_speak_for_a_resident_who_rates_herself(community, resident, secretary):
    need = _solved(community, resident)
    with pytest.raises(Forbidden) as refused:
        ratings.rate(secretary, need.id, stars=5, now=NOW, on_behalf=True)
    assert "本人" in refused.value.message and _ratings_count() == 0


def test_staff_rate_only_as_on_behalf(community, secretary):
    need = _solved(community)
    with pytest.raises(Forbidden):
        ratings.rate(secretary, need.id, stars=5, now=NOW)
    assert _ratings_count() == 0


def test_a_resident_cannot_rate_on_behalf(community, resident):
    need = _solved(community)
    with pytest.raises(Forbidden):
        ratings.rate(resident, need.id, stars=5, now=NOW, on_behalf=True)


def test_staff_of_another_community_cannot_rate_on_behalf(community):
    need = _solved(community)
    with pytest.raises(NotFound):
        ratings.rate(make_secretary(make_community()), need.id, stars=5, now=NOW, on_behalf=True)


def test_the_database_keeps_one_rating_per_resolution(community, resident):
    need = _solved(community, resident)
    ratings.rate(resident, need.id, stars=4, now=NOW)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(NeedRating(need_id=need.id, round=1, stars=5, rated_by_id=resident.id))
        db.session.flush()


@pytest.mark.parametrize("stars", [0, 6])
def test_the_database_refuses_stars_outside_one_to_five(community, resident, stars):
    need = _solved(community, resident)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(NeedRating(need_id=need.id, round=1, stars=stars, rated_by_id=resident.id))
        db.session.flush()


# --- 满意率 ---------------------------------------------------------------------------------


def _rated(community, stars: int, at: datetime):
    rater = make_user()
    need = _solved(community, rater)
    ratings.rate(rater, need.id, stars=stars, now=at)


def test_the_satisfaction_rate_is_the_share_of_four_and_five_stars_rated_that_month(community):
    november = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    for stars in (5, 4, 4, 3, 2, 1):  # by hand: 3 of 6 satisfied
        _rated(community, stars, november)
    _rated(community, 5, datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 local: October
    _rated(community, 1, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 00:00 local: December
    _rated(make_community(), 5, november)  # another community's
    assert ratings.satisfaction(community.id, datetime(2026, 11, 1).date()) == (3, 6)
    assert ratings.satisfaction_rate(community.id, datetime(2026, 11, 15).date()) == 0.5
    assert ratings.satisfaction_rate(community.id, datetime(2026, 10, 1).date()) == 1.0
    assert ratings.satisfaction_rate(community.id, datetime(2026, 12, 1).date()) == 0.0


def test_a_month_without_ratings_has_no_satisfaction_rate(community):
    assert ratings.satisfaction_rate(community.id, datetime(2026, 11, 1).date()) is None


def test_a_reopened_need_leaves_its_finished_project(community, resident, secretary):
    need = make_need(community, requester_id=resident.id)
    project = make_project(community, needs=[need])
    service.resolve_need(secretary, need.id)
    ratings.rate(resident, need.id, stars=1, comment="没修好", now=NOW)
    assert need.project_id is None and need.status is NeedStatus.LISTED
    db.session.refresh(project)
    assert need not in project.needs
