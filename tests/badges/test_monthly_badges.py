"""The month's 月月红 awards: computed from verified hours net of reversals and fulfilled claims,
idempotent, revoked with a reason when they no longer hold, re-evaluated by late changes."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from coop.badges import catalog, themes
from coop.badges.awarding import monthly_badges
from coop.badges.models import BadgeAward
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import RecordStatus
from coop.jobruns.periods import BadPeriod
from coop.ledger.models import Posting
from coop.rewards import queries as wallet_queries
from coop.timeutil import COMMUNITY_TZ
from tests.badges.conftest import (
    NOW,
    PERIOD,
    add_hours,
    award_of,
    awards,
    fulfilled_claim,
    mark_awarded,
    october_activity,
    work_for,
)
from tests.factories import make_community, make_secretary, make_unit, make_volunteer

V, U = "volunteer", "unit"


def test_awarding_a_month_twice_gives_the_same_awards(community):
    volunteer = make_volunteer(community)
    add_hours(volunteer, october_activity(community, theme=True), 5)
    first = monthly_badges(PERIOD, now=NOW)
    before = awards(community)
    again = monthly_badges(PERIOD, now=NOW)
    assert (
        awards(community)
        == before
        == {
            (catalog.THEME, V, volunteer.id),
            (catalog.HOURS_BRONZE, V, volunteer.id),
        }
    )
    assert first["granted"] >= 2 and first["bonuses"] >= 1
    assert (again["granted"], again["revoked"], again["restored"], again["bonuses"]) == (0, 0, 0, 0)
    assert wallet_queries.wallet(volunteer.id, community.id).available == 5  # theme bonus, once


def test_the_theme_badge_needs_verified_hours_in_a_themed_activity(community):
    themed, plain = october_activity(community, theme=True), october_activity(community, day=11)
    joined, elsewhere, pending = (make_volunteer(community) for _ in range(3))
    add_hours(joined, themed, 1)
    add_hours(elsewhere, plain, 2)
    add_hours(pending, themed, 2, status=RecordStatus.PENDING)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    assert {a for a in awards(community) if a[0] == catalog.THEME} == {
        (catalog.THEME, V, joined.id)
    }
    evidence = award_of(community, catalog.THEME, joined.id).evidence
    assert evidence == {"theme": "红色颂歌献祖国", "hours": 1, "activities": 1}


@pytest.mark.parametrize(
    ("worked", "tiers"),
    [
        (3.5, set()),
        (4, {catalog.HOURS_BRONZE}),
        (12.5, {catalog.HOURS_BRONZE, catalog.HOURS_SILVER}),
        (20, {catalog.HOURS_BRONZE, catalog.HOURS_SILVER, catalog.HOURS_GOLD}),
    ],
)
def test_every_hour_tier_reached_is_awarded(community, worked, tiers):
    volunteer = make_volunteer(community)
    for day in (1, 2):  # two sessions on two days
        add_hours(volunteer, october_activity(community, day=day), worked / 2)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    assert {code for code, _, _ in awards(community)} == tiers


def test_hours_outside_the_month_do_not_count_towards_tiers(community):
    volunteer = make_volunteer(community)
    add_hours(volunteer, october_activity(community, day=31), 3)
    november = datetime(2026, 11, 1, 9, tzinfo=COMMUNITY_TZ)
    add_hours(volunteer, october_activity(community, day=30), 3, day=november.date())
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    assert awards(community) == set()


def test_a_late_verification_adds_the_badge(community, secretary):
    volunteer = make_volunteer(community)
    activity = october_activity(community, theme=True)
    add_hours(volunteer, october_activity(community, day=3), 3)
    late = add_hours(volunteer, activity, 2, status=RecordStatus.PENDING)
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    assert awards(community) == set()
    hours.verify_record(secretary, late.id, now=NOW)
    assert awards(community, live_only=True) == {
        (catalog.THEME, V, volunteer.id),
        (catalog.HOURS_BRONZE, V, volunteer.id),
    }
    assert award_of(community, catalog.HOURS_BRONZE, volunteer.id).evidence == {"hours": 5}


def test_a_verification_before_the_month_is_awarded_waits_for_the_job(community, secretary):
    volunteer = make_volunteer(community)
    record = add_hours(
        volunteer, october_activity(community, theme=True), 5, status=RecordStatus.PENDING
    )
    hours.verify_record(secretary, record.id, now=NOW)
    assert awards(community) == set()


def test_a_reversed_record_revokes_the_badge_with_a_reason(community, secretary):
    volunteer = make_volunteer(community)
    record = add_hours(
        volunteer, october_activity(community, theme=True), 5, status=RecordStatus.PENDING
    )
    hours.verify_record(secretary, record.id, now=NOW)  # 50 points
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    assert wallet_queries.wallet(volunteer.id, community.id).available == 55

    hours.reverse_record(secretary, record.id, reason="签退时间有误", now=NOW)

    theme = award_of(community, catalog.THEME, volunteer.id)
    bronze = award_of(community, catalog.HOURS_BRONZE, volunteer.id)
    assert theme.revoked and "冲正后为 0" in theme.revoke_reason
    assert bronze.revoked and bronze.revoke_reason == "本月核实时长经冲正后为 0 小时，不足 4 小时"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeAward)) == 2  # kept
    # The bonus was posted once and stays; the reversal took back the hours' own points.
    bonus = sa.select(sa.func.count()).where(Posting.source_type == "badge_award")
    assert db.session.scalar(bonus) == 1
    assert wallet_queries.wallet(volunteer.id, community.id).available == 5
    monthly_badges(PERIOD, now=NOW)  # the job run again agrees
    assert awards(community, live_only=True) == set()


def test_a_revoked_award_is_restored_when_it_holds_again(community, secretary):
    volunteer = make_volunteer(community)
    activity = october_activity(community)
    record = add_hours(volunteer, activity, 4, status=RecordStatus.PENDING)
    hours.verify_record(secretary, record.id, now=NOW)
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    hours.reverse_record(secretary, record.id, reason="时长有误", now=NOW)
    assert award_of(community, catalog.HOURS_BRONZE, volunteer.id).revoked
    again = add_hours(
        volunteer, october_activity(community, day=12), 4, status=RecordStatus.PENDING
    )
    hours.verify_record(secretary, again.id, now=NOW)
    restored = award_of(community, catalog.HOURS_BRONZE, volunteer.id)
    assert not restored.revoked and restored.revoke_reason == ""


def test_the_unit_badge_goes_to_the_top_unit_only_above_zero(community):
    leader, runner_up, _idle = (make_unit(community) for _ in range(3))
    fulfilled_claim(leader, community)
    volunteer = make_volunteer(community)
    work_for(volunteer, runner_up)
    add_hours(volunteer, october_activity(community), 3)  # 3 < one claim's 4
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    stars = {a for a in awards(community) if a[0] == catalog.UNIT_STAR}
    assert stars == {(catalog.UNIT_STAR, U, leader.id)}
    assert award_of(community, catalog.UNIT_STAR, leader.id).evidence == {
        "score": 4,
        "claims": 1,
        "hours": 0,
    }


def test_tied_units_share_the_unit_badge(community):
    first, second = make_unit(community), make_unit(community)
    fulfilled_claim(first, community)
    volunteer = make_volunteer(community)
    work_for(volunteer, second)
    add_hours(volunteer, october_activity(community), 4)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    stars = {a for a in awards(community) if a[0] == catalog.UNIT_STAR}
    assert stars == {(catalog.UNIT_STAR, U, first.id), (catalog.UNIT_STAR, U, second.id)}


def test_no_unit_badge_when_no_unit_scores(community):
    make_unit(community)
    fulfilled_claim(
        make_unit(community), community, at=datetime(2026, 9, 30, 23, tzinfo=COMMUNITY_TZ)
    )
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    assert awards(community) == set()


def test_a_unit_overtaken_late_loses_the_badge_with_its_score(community, secretary):
    first, second = make_unit(community), make_unit(community)
    fulfilled_claim(first, community)
    volunteer = make_volunteer(community)
    work_for(volunteer, second)
    late = add_hours(volunteer, october_activity(community), 6, status=RecordStatus.PENDING)
    monthly_badges(PERIOD, now=NOW)
    mark_awarded()
    hours.verify_record(secretary, late.id, now=NOW)
    assert not award_of(community, catalog.UNIT_STAR, second.id).revoked
    overtaken = award_of(community, catalog.UNIT_STAR, first.id)
    assert overtaken.revoked and overtaken.revoke_reason == "本月共建得分 4，低于社区最高的 6"


def test_each_community_is_awarded_from_its_own_hours(community):
    other = make_community()
    volunteer = make_volunteer(community)
    add_hours(volunteer, october_activity(other), 5)
    counts = monthly_badges(PERIOD, now=NOW, community_ids=[community.id, other.id])
    assert counts["communities"] == 2
    assert awards(community) == set() and awards(other) == {(catalog.HOURS_BRONZE, V, volunteer.id)}


def test_progress_is_told_per_community(community):
    make_community()
    heard = []
    monthly_badges(PERIOD, now=NOW, progress=heard.append)
    assert heard == list(range(1, len(heard) + 1)) and len(heard) >= 2


def test_a_bad_month_is_refused(community):
    with pytest.raises(BadPeriod):
        monthly_badges("2026-13", now=NOW)


def test_every_month_has_a_default_theme_read_without_storing_it(community):
    first = themes.themes_of(community.id)
    assert [t.month for t in first] == list(range(1, 13))
    assert not any(sa.inspect(t).persistent or t in db.session for t in first)
    titles = {t.month: t.title for t in first}
    assert titles[3] == "学雷锋红色服务" and titles[4] == "小区安全防线红色治理"
    assert (titles[5], titles[6], titles[7]) == ("红色书画展", "红色汇演", "红色故事会")


def test_the_secretary_configures_a_months_theme_and_awards_carry_it(community, secretary):
    themes.update_theme(secretary, community.id, 10, title=" 红色国庆 ", description="升国旗")
    assert themes.theme_of(community.id, 10).title == "红色国庆"
    volunteer = make_volunteer(community)
    add_hours(volunteer, october_activity(community, theme=True), 1)
    monthly_badges(PERIOD, now=NOW, community_ids=[community.id])
    assert award_of(community, catalog.THEME, volunteer.id).evidence["theme"] == "红色国庆"


def test_only_the_communitys_secretary_configures_its_themes(community):
    other_secretary = make_secretary(make_community())
    with pytest.raises(NotFound):
        themes.update_theme(other_secretary, community.id, 10, title="x")
    with pytest.raises(Forbidden):
        themes.update_theme(make_volunteer(community), community.id, 10, title="x")


@pytest.mark.parametrize("title", ["", "   ", "红" * 65])
def test_a_theme_needs_a_title_of_at_most_64_characters(community, secretary, title):
    with pytest.raises(Invalid):
        themes.update_theme(secretary, community.id, 10, title=title)
