"""The demo's current term: 兴旺社区's plan open with the deputy the alliance chose, part-way
done with the demo's own activities, resolved needs and proposals."""

import pytest
import sqlalchemy as sa

from coop import demo
from coop.alliance.models import Community
from coop.badges.models import BadgeAward
from coop.extensions import db
from coop.terms import queries
from coop.terms.models import ItemKind, PlanStatus, Proposal
from coop.timeutil import local_today


@pytest.fixture
def xingwang(ctx):
    assert demo.load() is True
    return db.session.scalars(sa.select(Community).where(Community.name == "兴旺社区")).one()


def test_the_current_term_is_open_with_its_deputy_and_assembly(xingwang):
    term = queries.term_at(xingwang.alliance.id, local_today())
    assert term.name == f"{term.starts_on.year}年{'上' if term.starts_on.month == 1 else '下'}半年"
    plan = queries.require_plan(term.id)
    assert plan.status is PlanStatus.OPEN
    assert queries.deputy_of(term.id).unit is not None
    # held on the day the clock booked, or earlier when the term is younger than that
    assert term.starts_on <= plan.assembly_on <= local_today()


def test_the_plan_shows_progress_not_all_six_done(xingwang):
    term = queries.term_at(xingwang.alliance.id, local_today())
    view = queries.plan_view(term, queries.require_plan(term.id))
    items = {i["kind"]: i for i in view["items"]}
    done = [kind for kind, i in items.items() if i["done"]]
    assert 1 <= len(done) < 6
    assert items[ItemKind.PARTY_SALON]["count"] == 0
    assert (
        0 < items[ItemKind.CONCERNS_RESOLVED]["count"] < items[ItemKind.CONCERNS_RESOLVED]["target"]
    )
    assert all(e["title"] for i in view["items"] for e in i["evidence"])
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Proposal).where(Proposal.term_id == term.id)
        )
        >= 3
    )
    assert db.session.scalars(sa.select(BadgeAward)).all() == [] or all(
        a.badge.code != "term_lead" for a in db.session.scalars(sa.select(BadgeAward))
    )


def test_the_demo_loads_twice(xingwang):
    assert demo.load() is False


def test_the_demos_assemblies_are_held_with_attendance_and_minutes(xingwang):
    from coop.meetings import queries as meetings_queries
    from coop.meetings.models import MeetingStatus
    from coop.stats import community_stats

    terms = [t for t in xingwang.alliance.terms if t.starts_on <= local_today()]
    for term in terms:
        assembly = meetings_queries.term_assembly(term.id)
        assert assembly.status is MeetingStatus.HELD and assembly.minutes
        assert 0 < sum(1 for a in assembly.attendances if a.present_at) < len(assembly.attendances)
    # "twice a year", counted from the two latest terms' held assemblies, whatever today is
    assert community_stats(xingwang, local_today())["assemblies_held"] == 2


def test_every_started_terms_deputy_comes_from_a_certified_choice(xingwang):
    from coop.meetings import queries as meetings_queries

    for term in (t for t in xingwang.alliance.terms if t.starts_on <= local_today()):
        election = meetings_queries.election_of(term.id)
        assert election.certified_at is not None and election.votes
        assert queries.deputy_of(term.id).unit_id == election.chosen_unit_id
        top, votes = meetings_queries.tally(election)[0]
        assert top.id == election.chosen_unit_id and votes > len(election.votes) / 2
    held = {t.id for t in xingwang.alliance.terms if queries.deputy_of(t.id)}
    assert len({queries.deputy_of(t).unit_id for t in held}) == len(held)  # it rotates
