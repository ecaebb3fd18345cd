"""No list page sends more statements because it shows more rows: each is opened with a few rows
and again with several more, and the statements it sent are the same number (an N+1 — a
query per row — fails here before it reaches a city of 20,000 people)."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordStatus
from tests.badges.conftest import add_hours
from tests.factories import (
    give_points,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resource,
    make_reward_item,
    make_secretary,
    make_unit,
    make_volunteer,
)

FEW, MORE = 2, 7


def _needs(community, unit, secretary, k):
    for _ in range(k):
        make_need(community)


def _resources(community, unit, secretary, k):
    for _ in range(k):
        make_resource(unit, community)


def _projects(community, unit, secretary, k):
    for _ in range(k):
        make_project(community)


def _activities(community, unit, secretary, k):
    for i in range(k):
        make_activity(community, starts_at=utcnow() + timedelta(days=i + 1))


def _units(community, unit, secretary, k):
    for _ in range(k):
        make_unit(community)


def _people(community, unit, secretary, k):
    for i in range(k):
        make_volunteer(community, party=i % 2 == 0)
        make_liaison(unit)


def _claims(community, unit, secretary, k):
    for _ in range(k):
        other = make_unit(community)
        db.session.add(
            Claim(
                project=make_project(community),
                claimant_type=ClaimantType.UNIT,
                unit_id=other.id,
                claimant_key=f"unit:{other.id}",
                status=ClaimStatus.PENDING,
            )
        )
    db.session.flush()


def _hours(community, unit, secretary, k):
    activity = make_activity(community, starts_at=utcnow() - timedelta(days=2))
    for _ in range(k):
        volunteer = make_volunteer(community)
        add_hours(volunteer, activity, 2, status=RecordStatus.PENDING)
        add_hours(make_volunteer(community), activity, 3)


def _items(community, unit, secretary, k):
    for _ in range(k):
        make_reward_item(community)


def _meetings(community, unit, secretary, k):
    from coop.meetings import service
    from coop.meetings.models import MeetingKind

    now = utcnow()
    for i in range(k):
        service.schedule_meeting(
            secretary,
            community.id,
            kind=MeetingKind.JOINT,
            title=f"联席会议{i}",
            starts_at=now + timedelta(days=i + 2),
            place="党群服务中心",
            now=now,
        )


def _teams(community, unit, secretary, k):
    from coop.honours import teams

    for _ in range(k):
        teams.create_team(secretary, community.id, name=f"志愿服务队{make_unit(community).id}")


def _nominations(community, unit, secretary, k):
    from coop.honours import service
    from coop.timeutil import local_today

    for _ in range(k):
        service.nominate(
            secretary,
            community.id,
            kind="pioneer",
            holder_id=make_unit(community).id,
            year=local_today().year,
            now=utcnow(),
        )


def _matched(community, unit, secretary, k):
    """Projects and needs still open, each with its suggestions (a unit and its resource)."""
    from coop.matching import service

    make_resource(unit, community)
    for _ in range(k):
        make_project(community)
        make_need(community)
    service.match_community(community.id, now=utcnow())


def _points(community, unit, secretary, k):
    for _ in range(k):
        give_points(make_volunteer(community), community, 10)


PAGES: dict[str, tuple[str, Callable]] = {
    "needs": ("/communities/{c}/needs", _needs),
    "resources": ("/communities/{c}/resources", _resources),
    "projects": ("/communities/{c}/projects", _projects),
    "activities": ("/communities/{c}/activities", _activities),
    "units": ("/communities/{c}/units", _units),
    "people": ("/communities/{c}/people", _people),
    "claims review": ("/communities/{c}/claims", _claims),
    "hours": ("/communities/{c}/hours", _hours),
    "supermarket items": ("/communities/{c}/supermarket/items", _items),
    "meetings": ("/communities/{c}/meetings", _meetings),
    "teams": ("/communities/{c}/teams", _teams),
    "nominations": ("/communities/{c}/nominations", _nominations),
    "pioneer index": ("/communities/{c}/pioneer-index", _units),
    "points": ("/communities/{c}/points", _points),
    "supermarket staff": ("/communities/{c}/supermarket/staff", _people),
    "community dashboard": ("/communities/{c}", _units),
    "project menu": ("/communities/{c}/menu", _projects),
    "project menu category": ("/communities/{c}/menu?category=关心关爱", _projects),
    "matching board": ("/communities/{c}/matching", _matched),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_list_page_sends_as_many_statements_for_many_rows_as_for_few(
    client, ctx, count_queries, name
):
    path, add = PAGES[name]
    community = make_community()
    unit = make_unit(community)
    url = path.format(c=community.id)
    secretary = make_secretary(community)
    login(client, secretary)
    add(community, unit, secretary, FEW)
    assert client.get(url).status_code == 200  # the first request also renews her session
    with count_queries() as few:
        first = client.get(url)
    add(community, unit, secretary, MORE - FEW)
    with count_queries() as more:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert len(second.data) > len(first.data)  # the rows added are shown
    assert more.n == few.n, f"{name}: {few.n} statements for {FEW} rows, {more.n} for {MORE}"
