"""hours_monthly is kept in the same transaction as the records: after verifying, rejecting,
reversing and 补录 it equals the live sum of the records, and the dashboards read it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop import stats_monthly
from coop.extensions import db
from coop.hours import errors, service
from coop.hours.models import RecordStatus, ServiceRecord
from coop.hours.queries import records_select
from coop.hours.summary import MonthlyHours, live_hours, rebuild, verified_count
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    login,
    make_activity,
    make_community,
    make_secretary,
    make_volunteer,
)
from tests.hours.test_hours_rules import attend


@pytest.fixture
def community(ctx):
    return make_community()


def kept() -> dict:
    rows = db.session.execute(
        sa.select(MonthlyHours.community_id, MonthlyHours.month, MonthlyHours.hours)
    )
    return {(c, m): Decimal(h) for c, m, h in rows if h}


def live() -> dict:
    rows = db.session.execute(live_hours())
    return {(c, m): Decimal(h) for c, m, h, _n in rows}


def test_the_summary_equals_the_live_sum_after_verify_reverse_and_entering(community):
    secretary, clerk = make_secretary(community), make_secretary(community)
    her, him = make_volunteer(community), make_volunteer(community)
    first = make_activity(community)
    second = make_activity(community, starts_at=first.starts_at + timedelta(days=1))
    mine = attend(community, her, first, 0, 90)
    assert kept() == live() == {}  # pending counts nowhere
    service.verify_record(secretary, mine.id, now=mine.created_at)
    month = mine.service_date.replace(day=1)
    assert kept() == live() == {(community.id, month): Decimal("1.5")}

    his = attend(community, him, first, 0, 60)
    service.reject_record(secretary, his.id, reason="未到场", now=his.created_at)
    assert kept() == live()

    service.reverse_record(secretary, mine.id, reason="时长有误", now=mine.created_at)
    assert kept() == live() == {}
    row = db.session.get(MonthlyHours, (community.id, month))
    assert (row.hours, row.records) == (0, 0)

    entered = service.enter_hours(
        clerk, community.id, volunteer_id=her.id, activity_id=first.id, hours=Decimal("1.25")
    )
    assert kept() == live() == {}  # a 补录 counts once a second person verifies it
    service.verify_record(secretary, entered.id, now=entered.created_at)
    other = attend(community, him, second, 0, 120)
    service.verify_record(secretary, other.id, now=other.created_at)
    assert kept() == live()
    assert sum(kept().values()) == Decimal("3.25")
    # and from scratch it is the same table
    before = kept()
    rebuild()
    assert kept() == before


def test_a_record_verified_after_a_commit_is_counted_from_its_old_state(community):
    """The record's attributes expired at the commit: the old status is loaded before the set."""
    secretary = make_secretary(community)
    record = attend(community, make_volunteer(community), make_activity(community), 0, 60)
    with unit_of_work(secretary):
        pass
    db.session.expire_all()
    service.verify_record(secretary, record.id, now=record.created_at)
    assert kept() == live() == {(community.id, record.service_date.replace(day=1)): Decimal(1)}


def test_a_refused_reversal_changes_nothing(community):
    secretary = make_secretary(community)
    record = attend(community, make_volunteer(community), make_activity(community), 0, 60)
    service.verify_record(secretary, record.id, now=record.created_at)
    service.reverse_record(secretary, record.id, reason="时长有误", now=record.created_at)
    before = kept()
    with pytest.raises(errors.AlreadyReversed), unit_of_work(secretary):
        service.reverse_record(secretary, record.id, reason="再冲一次", now=record.created_at)
    assert kept() == before == live()


def test_verifying_over_http_with_bad_input_writes_nothing_to_the_summary(client, community):
    secretary = make_secretary(community)
    record = attend(community, make_volunteer(community), make_activity(community), 0, 60)
    service.verify_record(secretary, record.id, now=record.created_at)
    before = kept()
    for reason in ("", None, "x" * 5000):
        answer = client.post(
            f"/api/v1/service-records/{record.id}/reverse",
            json={"reason": reason},
            headers=bearer(secretary),
        )
        assert answer.status_code == 422, answer.json
    missing = client.post(
        "/api/v1/service-records/999999/verify", json={}, headers=bearer(secretary)
    )
    assert missing.status_code == 404
    assert kept() == before == live()
    done = client.post(
        f"/api/v1/service-records/{record.id}/reverse",
        json={"reason": "时长有误"},
        headers=bearer(secretary),
    )
    assert done.status_code == 201, done.json
    assert kept() == live() == {}


def test_the_charts_and_the_comparison_read_the_summary_with_the_live_figures(community):
    secretary = make_secretary(community)
    record = attend(community, make_volunteer(community), make_activity(community), 0, 90)
    service.verify_record(secretary, record.id, now=record.created_at)
    period = stats_monthly.month(record.service_date)
    year = stats_monthly.year(record.service_date.year)
    assert stats_monthly.verified_hours([community.id], [period]) == {
        (community.id, 0): Decimal("1.5")
    }
    assert stats_monthly.verified_hours([community.id], [year]) == {
        (community.id, 0): Decimal("1.5")
    }
    (row,) = stats_monthly.comparison([community], period, record.created_at + timedelta(1))
    assert row["verified_hours"] == Decimal("1.5")
    # the figure is the summary's: were it wrong, the chart would be too (one place)
    db.session.execute(sa.update(MonthlyHours).values(hours=Decimal(7)))
    assert stats_monthly.verified_hours([community.id], [period])[(community.id, 0)] == 7


def _records_of_two_months(community):
    """A verified record, a reversed one and its reversal, a 补录, and pending and rejected ones
    that count nowhere, over two months; another community's verified record. Her secretary."""
    secretary, clerk = make_secretary(community), make_secretary(community)
    her, him = make_volunteer(community), make_volunteer(community)
    first = make_activity(community)
    later = make_activity(community, starts_at=first.starts_at + timedelta(days=40))
    for volunteer, activity in ((her, first), (him, first), (her, later)):
        record = attend(community, volunteer, activity, 0, 60)
        service.verify_record(secretary, record.id, now=record.created_at)
    reversed_one = attend(community, him, later, 0, 30)
    service.verify_record(secretary, reversed_one.id, now=reversed_one.created_at)
    service.reverse_record(secretary, reversed_one.id, reason="时长有误", now=record.created_at)
    rejected = attend(community, make_volunteer(community), later, 0, 60)
    service.reject_record(secretary, rejected.id, reason="未到场", now=rejected.created_at)
    attend(community, make_volunteer(community), first, 0, 60)  # pending
    entered = service.enter_hours(
        clerk, community.id, volunteer_id=him.id, activity_id=later.id, hours=Decimal("1")
    )
    service.verify_record(secretary, entered.id, now=entered.created_at)
    other = make_community()  # its records are not this community's
    stranger = attend(other, make_volunteer(other), make_activity(other), 0, 60)
    service.verify_record(make_secretary(other), stranger.id, now=stranger.created_at)
    return secretary


def _months(community) -> set:
    return {
        r.service_date.replace(day=1)
        for r in db.session.scalars(sa.select(ServiceRecord)).all()
        if r.community_id == community.id
    }


def _listed(secretary, community, month=None) -> int:
    """Counting the hours page's verified list itself."""
    query = records_select(
        secretary,
        community_id=community.id,
        status=RecordStatus.VERIFIED,
        served_in=month.strftime("%Y-%m") if month else None,
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def test_the_hours_pages_verified_count_is_the_lists_with_reversals_and_months(community):
    """``verified_count`` (the summary plus the reversal pairs) equals counting the list, in
    every month and in all."""
    secretary = _records_of_two_months(community)
    months = _months(community)
    assert len(months) == 2
    # 4 standing + the reversed one + its reversal
    assert verified_count(community.id) == _listed(secretary, community) == 6
    for month in months:
        assert verified_count(community.id, month) == _listed(secretary, community, month)
    assert verified_count(community.id, min(months).replace(year=2000)) == 0


def test_the_hours_page_shows_the_lists_count_in_all_and_by_month(client, community):
    secretary = _records_of_two_months(community)
    login(client, secretary)
    page = f"/communities/{community.id}/hours"
    html = client.get(page).get_data(as_text=True)
    assert re.search(r"<dt>已核实</dt><dd>6</dd>", html)
    for month in _months(community):
        key = month.strftime("%Y-%m")
        html = client.get(f"{page}?month={key}").get_data(as_text=True)
        n = _listed(secretary, community, month)
        assert f"<dt>{key}已核实</dt><dd>{n}</dd>" in html and f"共{n}条" in html
    assert client.get(f"{page}?month=2026-13").status_code == 422
