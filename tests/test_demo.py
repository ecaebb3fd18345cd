"""The Xingwang demo shows the seed's figures from real rows, and loads once."""

import pytest
import sqlalchemy as sa

from coop import demo
from coop.alliance import queries
from coop.alliance.models import Community, Unit
from coop.auth.models import User
from coop.extensions import db
from coop.needs.models import Need
from coop.timeutil import local_today


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True
    return {c.name: c for c in db.session.scalars(sa.select(Community))}


def test_xingwang_has_the_seeds_figures(loaded):
    stats = queries.community_stats(loaded["兴旺社区"], local_today())
    assert stats["neighbourhoods"] == 4
    assert stats["alliance_units"] == 12
    assert all(
        stats["alliance_units_by_kind"][k] > 0 for k in ("municipal", "stationed", "district")
    )
    assert stats["party_member_volunteers"] == 150
    assert stats["mechanisms"] == 6
    assert stats["honoured_units"] == 3


def test_the_second_community_has_eight_units(loaded):
    assert queries.community_stats(loaded["和美社区"], local_today())["alliance_units"] == 8


def test_xingwang_has_a_current_term_with_its_deputy(loaded):
    term, deputy = queries.current_term_and_deputy(loaded["兴旺社区"].alliance, local_today())
    assert term is not None and deputy is not None and deputy.unit is not None


def test_one_unit_shows_the_missing_agreement_state(loaded):
    community = loaded["兴旺社区"]
    live = queries.live_agreement_unit_ids(community.id, local_today())
    assert len(live) == 11


def test_demo_accounts_sign_in_with_the_demo_password(loaded):
    for username, _name, _what in demo.ACCOUNTS:
        user = db.session.scalars(sa.select(User).where(User.username == username)).one()
        assert user.check_password(demo.DEMO_PASSWORD), username


def test_loading_twice_changes_nothing(loaded):
    units = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    assert demo.load() is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == units


def test_a_unit_serves_both_communities(loaded):
    shared = db.session.scalars(sa.select(Unit).where(Unit.name == demo.SHARED_UNIT)).one()
    assert len(queries.memberships_of(shared.id)) == 2


def test_the_dashboard_counts_the_lists_from_rows(loaded):
    from coop.stats import community_stats

    stats = community_stats(loaded["兴旺社区"], local_today())
    assert sum(stats["needs_by_status"].values()) == db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Need)
        .where(Need.community_id == loaded["兴旺社区"].id)
    )
    assert all(
        stats["projects_by_category"][c] > 0
        for c in ("红色教育", "政策宣讲", "关心关爱", "社会治理", "便民服务")
    )
    assert stats["listed_resources_by_kind"]["funds"] >= 6  # the e-bike sheds
    assert stats["claims_fulfilled"] > 0
