"""The demo's 月月红: twelve themes per community and the past months' awards, made by
``monthly_badges`` and recorded as done runs; the books still balance, and loading twice
changes nothing."""

import pytest
import sqlalchemy as sa

from coop import demo
from coop.alliance.models import Community
from coop.auth.models import User
from coop.badges import catalog
from coop.badges.awarding import JOB_NAME, monthly_badges
from coop.badges.models import Badge, BadgeAward
from coop.badges.themes import themes_of
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.jobruns.models import JobRun, RunStatus
from coop.ledger import service as ledger


@pytest.fixture
def loaded(ctx):
    assert demo.load() is True
    return {c.name: c for c in db.session.scalars(sa.select(Community))}


def awards_of(community, code=None):
    query = (
        sa.select(BadgeAward)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.community_id == community.id)
    )
    if code:
        query = query.where(Badge.code == code)
    return db.session.scalars(query).all()


def test_each_community_has_twelve_themes(loaded):
    for community in loaded.values():
        assert [t.month for t in themes_of(community.id)] == list(range(1, 13))


def test_the_themed_months_are_awarded(loaded):
    xingwang, hemei = loaded["兴旺社区"], loaded["和美社区"]
    xw_theme = {a.period[5:] for a in awards_of(xingwang, catalog.THEME)}
    assert xw_theme == {"03", "05"}
    assert {a.period[5:] for a in awards_of(hemei, catalog.THEME)} == {"07"}
    assert awards_of(xingwang, catalog.UNIT_STAR)  # some unit's volunteers served


def test_the_demo_volunteer_has_a_wall(loaded):
    volunteer = db.session.scalars(sa.select(User).where(User.username == "volunteer")).one()
    mine = db.session.scalars(
        sa.select(BadgeAward).where(BadgeAward.holder_id == volunteer.id)
    ).all()
    assert any(a.badge.code == catalog.THEME and a.period.endswith("-03") for a in mine)


def test_the_past_months_are_recorded_as_done_runs(loaded):
    runs = db.session.scalars(sa.select(JobRun).where(JobRun.name == JOB_NAME)).all()
    assert len(runs) == 12 and all(r.status is RunStatus.DONE for r in runs)


def test_awarding_a_demo_month_again_changes_nothing(loaded):
    period = next(a.period for a in awards_of(loaded["兴旺社区"], catalog.THEME))
    counts = monthly_badges(period, now=utcnow())
    assert (counts["granted"], counts["revoked"], counts["restored"]) == (0, 0, 0)


def test_the_books_balance_and_a_second_load_changes_nothing(loaded):
    assert ledger.check().ok
    before = db.session.scalar(sa.select(sa.func.count()).select_from(BadgeAward))
    assert demo.load() is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeAward)) == before
