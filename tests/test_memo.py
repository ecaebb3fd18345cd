"""Her visible communities are worked out once per request, and again after any write."""

from datetime import date

from coop.alliance.models import Membership
from coop.alliance.permissions import visible_community_ids
from coop.extensions import db
from tests.factories import make_community, make_liaison, make_unit


def test_visible_communities_are_remembered_in_a_request_until_the_session_writes(
    app, ctx, count_queries
):
    community, other = make_community(), make_community()
    unit = make_unit(community)
    liaison = make_liaison(unit)
    db.session.flush()
    with app.test_request_context():
        first = visible_community_ids(liaison)
        with count_queries() as again:
            second = visible_community_ids(liaison)
        assert again.n == 0 and first == second == {community.id}
        second.add(other.id)  # each caller gets her own set to narrow or widen
        assert visible_community_ids(liaison) == {community.id}

        db.session.add(Membership(unit_id=unit.id, community_id=other.id, joined_on=date.today()))
        db.session.flush()
        assert visible_community_ids(liaison) == {community.id, other.id}


def test_outside_a_request_every_call_asks_the_database(app, count_queries):
    with app.app_context():
        community = make_community()
        liaison = make_liaison(make_unit(community))
        db.session.flush()
        visible_community_ids(liaison)
        with count_queries() as again:
            assert visible_community_ids(liaison) == {community.id}
        assert again.n == 1
        db.session.rollback()
