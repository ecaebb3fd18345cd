"""The demo's year of service: the seed's 8 sessions and 30-odd people visited, counted from rows;
hours verified by someone else and settled through the ledger; sessions the demo volunteer can
still sign up for, wait for, and check in to today."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop import demo
from coop.activities import queries as activity_queries
from coop.activities import service as activities
from coop.activities.models import Activity, ActivityStatus, SignupStatus
from coop.alliance.models import Community
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service as hours
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, Entry, Posting
from coop.stats import community_stats
from coop.timeutil import COMMUNITY_TZ, local_today

SEED_TITLES = {"爱心捐赠", "助力创城", "邻里文化节"}


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True
    return {c.name: c for c in db.session.scalars(sa.select(Community))}


@pytest.fixture
def xingwang(loaded):
    return loaded["兴旺社区"]


def account(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def activities_of(community) -> list[Activity]:
    return list(
        db.session.scalars(sa.select(Activity).where(Activity.community_id == community.id))
    )


def records_of(community) -> list[ServiceRecord]:
    return list(
        db.session.scalars(
            sa.select(ServiceRecord).where(ServiceRecord.community_id == community.id)
        )
    )


def test_xingwang_held_exactly_eight_sessions_in_the_past_year(xingwang):
    now = utcnow()
    held = [
        a
        for a in activities_of(xingwang)
        if a.status is ActivityStatus.SCHEDULED and a.ends_at < now
    ]
    assert len(held) == 8
    assert {a.title for a in held} >= SEED_TITLES
    today = local_today()
    days = [a.starts_at.astimezone(COMMUNITY_TZ).date() for a in held]
    assert all(today - timedelta(days=367) <= day < today for day in days)  # the past year
    assert {a.theme_month[5:] for a in held if a.theme_month} == {"03", "05"}
    assert community_stats(xingwang, today)["activities_held"] == 8
    # A session called off is not one held.
    assert any(a.status is ActivityStatus.CANCELLED for a in activities_of(xingwang))


def test_more_than_thirty_people_were_visited_with_care(loaded):
    stats = community_stats(loaded["兴旺社区"], local_today())
    assert 30 <= stats["people_visited"] <= 40
    assert community_stats(loaded["和美社区"], local_today())["people_visited"] < 30


def test_sessions_of_projects_are_of_projects_open_or_done(xingwang):
    for activity in activities_of(xingwang):
        if activity.project is not None:
            assert activity.project.community_id == xingwang.id
            assert activity.project.status.value in (
                "published",
                "claimed",
                "in_progress",
                "completed",
            )


def test_the_ledger_balances_and_every_verified_record_is_settled(loaded):
    report = ledger.check()
    assert report.ok, report
    assert report.postings > 50
    assert hours.settle_points() == 0


def test_hours_are_verified_by_someone_else(xingwang):
    records = records_of(xingwang)
    assert all(r.verified_by_id != r.volunteer_id for r in records)
    assert all(
        r.verified_by_id != r.entered_by_id
        for r in records
        if r.origin is RecordOrigin.ENTERED and r.verified_by_id
    )
    secretary = account("secretary")
    verified = [r for r in records if r.status is RecordStatus.VERIFIED]
    checked = [r for r in verified if r.origin is RecordOrigin.CHECKIN]
    assert len(checked) > 50 and {r.verified_by_id for r in checked} == {secretary.id}
    assert 2 <= sum(r.status is RecordStatus.PENDING for r in records) <= 5
    (rejected,) = [r for r in records if r.status is RecordStatus.REJECTED]
    assert rejected.reject_reason
    (entered,) = [r for r in records if r.origin is RecordOrigin.ENTERED]
    assert entered.entered_by_id == account("staff").id
    assert entered.verified_by_id == secretary.id
    (reversal,) = [r for r in records if r.origin is RecordOrigin.REVERSAL]
    assert reversal.note and reversal.hours < 0


def test_the_demo_volunteer_has_ten_points_for_each_verified_hour(xingwang):
    volunteer = account("volunteer")
    verified_hours = db.session.scalar(
        sa.select(sa.func.sum(ServiceRecord.hours)).where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.status == RecordStatus.VERIFIED,
        )
    )
    mine = ledger.account_for(AccountType.VOLUNTEER, xingwang.id, volunteer.id)
    # Only her hours' postings: what she spent at the 积分超市 (demo.rewards) or got with a
    # badge (demo.badges) is not hours' business.
    earned = db.session.scalar(
        sa.select(sa.func.sum(Entry.amount))
        .join(Posting)
        .where(Entry.account_id == mine.id, Posting.source_type == "service_record")
    )
    assert ledger.balance_of(mine) > 0
    assert earned == 10 * verified_hours
    origins = {
        r.origin
        for r in records_of(xingwang)
        if r.volunteer_id == volunteer.id and r.status is RecordStatus.VERIFIED
    }
    assert origins == set(RecordOrigin)  # checked in, 补录 and a reversal


def test_the_demo_volunteer_signs_up_waits_and_checks_in_today(xingwang):
    volunteer = account("volunteer")
    now = utcnow()
    upcoming = list(
        db.session.scalars(
            activity_queries.activities_select(volunteer, upcoming_from=now).where(
                Activity.starts_at < now + timedelta(days=14)
            )
        )
    )
    mine = {
        s.activity_id
        for s in db.session.scalars(activity_queries.my_signups_select(volunteer.id))
        if s.status is not SignupStatus.CANCELLED
    }
    (today,) = [a for a in upcoming if a.starts_at <= now + timedelta(minutes=30)]
    assert today.id in mine and today.starts_at.astimezone(now.tzinfo) > now
    signup = activities.check_in(volunteer, today.id, code=today.checkin_code, now=now)
    assert signup.checked_in_at == now

    free = [a for a in upcoming if a.id not in mine and a.free_seats > 0]
    assert len(free) >= 2
    for activity in free:
        assert activities.sign_up(volunteer, activity.id, now=now).status is SignupStatus.CONFIRMED
    (full,) = [a for a in upcoming if a.free_seats == 0]
    assert len(activity_queries.signups_of(full.id)) > full.capacity  # people are waiting
    waiting = activities.sign_up(volunteer, full.id, now=now, waitlist=True)
    assert waiting.status is SignupStatus.WAITLISTED


def test_hemei_held_a_little_and_neither_community_sees_the_others(loaded):
    now = utcnow()
    hemei = loaded["和美社区"]
    held = [a for a in activities_of(hemei) if a.ends_at < now]
    assert len(held) == 2
    assert community_stats(hemei, local_today())["activities_held"] == 2
    for username, other in (("secretary", hemei), ("secretary2", loaded["兴旺社区"])):
        seen = {
            a.community_id
            for a in db.session.scalars(activity_queries.activities_select(account(username)))
        }
        assert other.id not in seen


def test_loading_twice_duplicates_no_activity_record_or_posting(loaded):
    from coop.ledger.models import Posting

    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Activity, ServiceRecord, Posting)
        ]

    before = counts()
    assert demo.load() is False
    assert counts() == before


def test_the_community_page_shows_the_activities_held_and_people_visited(client, ctx):
    from tests.factories import login

    demo.load()
    secretary = db.session.scalars(sa.select(User).where(User.username == "secretary")).one()
    community_id = secretary.grants[0].community_id
    login(client, secretary)
    html = client.get(f"/communities/{community_id}").get_data(as_text=True)
    activities = f'<a href="/communities/{community_id}/activities">8</a>'  # the tile links on
    assert f"已开展活动</dt><dd>{activities}</dd>" in html
    assert "走访关爱人数" in html
