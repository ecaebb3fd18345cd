"""The 月月红 roll is kept five minutes per community (coop/badges/kept_roll.py): a second view
ranks nothing again; the month's run and a revocation show at the next view."""

import pytest
import sqlalchemy as sa

from coop.badges import kept_roll, service
from coop.badges.awarding import monthly_badges
from coop.badges.models import BadgeAward
from coop.extensions import db
from coop.uow import unit_of_work
from tests.badges.conftest import NOW, PERIOD, add_hours, october_activity
from tests.factories import login, make_resident, make_volunteer

HTMX = {"HX-Request": "true"}


@pytest.fixture
def kept_rolls(kept_store, app, monkeypatch):
    monkeypatch.setitem(app.config, "HONOUR_ROLL_SECONDS", 300)
    return kept_store


def _roll(client, community) -> str:
    return client.get(f"/communities/{community.id}/honours", headers=HTMX).get_data(as_text=True)


def _run_the_month(community) -> None:
    with unit_of_work():
        monthly_badges(PERIOD, now=NOW, community_ids=[community.id])


def test_the_roll_is_kept_and_the_months_run_and_a_revocation_show_at_once(
    client, community, kept_rolls, count_queries
):
    kept_roll.forget(community.id)  # a Redis kept from another run holds an older generation
    themed = october_activity(community, theme=True)
    first = make_volunteer(community, display_name="陈秀英")
    add_hours(first, themed, 5)
    _run_the_month(community)
    login(client, make_resident(community))
    with count_queries() as computed:
        assert "陈秀英" in _roll(client, community)
    with count_queries() as kept_again:
        assert "陈秀英" in _roll(client, community)
    assert kept_again.n + 3 <= computed.n  # the awards, the badges' ids, the holders' names

    later = make_volunteer(community, display_name="王建国")
    add_hours(later, themed, 6)
    _run_the_month(community)  # the job writes with Core: it forgets the roll itself
    assert "王建国" in _roll(client, community)

    with unit_of_work():
        for award in db.session.scalars(sa.select(BadgeAward).filter_by(holder_id=first.id)):
            service.revoke(award, reason="时长有误", now=NOW)
    html = _roll(client, community)
    assert "陈秀英" not in html and "王建国" in html


def test_without_keeping_the_roll_is_ranked_every_time(client, community, count_queries):
    add_hours(make_volunteer(community, display_name="陈秀英"), october_activity(community), 5)
    _run_the_month(community)
    login(client, make_resident(community))
    with count_queries() as one:
        _roll(client, community)
    with count_queries() as two:
        _roll(client, community)
    assert one.n == two.n
