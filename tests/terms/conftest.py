"""A community with an alliance, two member units and a secretary; the current half year opened
(as the clock opens it) and helpers to fill the plan."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs.models import NeedStatus
from coop.terms import queries, service
from coop.terms.models import ItemKind, Proposal, TermPlan
from tests.factories import make_activity, make_community, make_need, make_secretary, make_unit

NOW = utcnow()
PERIOD = queries.half_year_of(queries.local_day(NOW))


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def unit(community):
    return make_unit(community, name="康达物业测试")


@pytest.fixture
def plan(community) -> TermPlan:
    """The current half year, opened and waiting for the deputy."""
    service.open_term_for(community.alliance.id, PERIOD, now=NOW)
    term = queries.term_at(community.alliance.id, queries.local_day(NOW))
    return queries.require_plan(term.id)


@pytest.fixture
def open_plan(plan, secretary, unit) -> TermPlan:
    service.choose_deputy(secretary, plan.term_id, unit_id=unit.id, holder_name="张海燕")
    return plan


def item_of(plan: TermPlan, kind: ItemKind):
    return next(i for i in plan.items if i.kind is kind)


def held_activity(community, **overrides):
    """A session held yesterday (or at ``starts_at``)."""
    return make_activity(community, **{"starts_at": NOW - timedelta(days=1), **overrides})


def resolved_need(community, **overrides):
    return make_need(community, **{"status": NeedStatus.RESOLVED, **overrides})


def term_proposal(community, plan, **overrides):
    proposal = Proposal(
        **{"community_id": community.id, "term_id": plan.term_id, "title": "建议", **overrides}
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def fill_all_but_one(community, plan, secretary):
    """Every item done except CONCERNS_RESOLVED, which is one need short of its target."""
    for kind in (
        ItemKind.VOLUNTEER_ACTIVITY,
        ItemKind.PARTY_SALON,
        ItemKind.THEMED_PARTY_DAY,
        ItemKind.CULTURAL_ACTIVITY,
    ):
        link(secretary, item_of(plan, kind), "activity", held_activity(community).id)
    for _ in range(3):
        link(
            secretary,
            item_of(plan, ItemKind.PROPOSALS_FORMED),
            "proposal",
            term_proposal(community, plan).id,
        )
    needs = item_of(plan, ItemKind.CONCERNS_RESOLVED)
    for _ in range(needs.target - 1):
        link(secretary, needs, "need", resolved_need(community).id)


def link(actor, item, evidence_type, evidence_id):
    return service.link_evidence(
        actor, item.id, evidence_type=evidence_type, evidence_id=evidence_id, now=NOW
    )


def plan_row(plan_id: int) -> TermPlan:
    return db.session.scalar(
        sa.select(TermPlan).where(TermPlan.id == plan_id).execution_options(populate_existing=True)
    )
