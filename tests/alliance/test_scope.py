"""Who sees which community: scoping is by construction, the same for pages, API and CLI."""

import pytest

from coop.alliance import permissions, queries
from coop.errors import NotFound
from tests.factories import (
    make_community,
    make_liaison,
    make_resident,
    make_secretary,
    make_street,
    make_street_admin,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def world(ctx):
    street, elsewhere = make_street(), make_street()
    a, b = make_community(street), make_community(street)
    far = make_community(elsewhere)
    return street, a, b, far


def ids(communities):
    return {c.id for c in communities}


def test_street_admin_sees_every_community_of_her_street(world):
    street, a, b, _far = world
    assert ids(queries.communities_for(make_street_admin(street))) == {a.id, b.id}


@pytest.mark.parametrize("make", [make_secretary, make_resident, make_volunteer])
def test_community_roles_see_their_own_community_only(world, make):
    _street, a, b, _far = world
    actor = make(a)
    assert ids(queries.communities_for(actor)) == {a.id}
    with pytest.raises(NotFound):
        queries.get_community(actor, b.id)


def test_liaison_sees_the_communities_her_unit_serves(world):
    from coop.alliance import service
    from coop.timeutil import local_today

    _street, a, _b, far = world
    unit = make_unit(a)
    service.link_unit(make_secretary(far), far.id, unit.id, joined_on=local_today())
    liaison = make_liaison(unit)
    assert ids(queries.communities_for(liaison)) == {a.id, far.id}
    assert queries.get_unit(liaison, unit.id) == unit


def test_a_unit_serving_another_community_only_is_not_found(world):
    _street, a, b, _far = world
    theirs = make_unit(b)
    with pytest.raises(NotFound):
        queries.get_unit(make_secretary(a), theirs.id)


def test_units_list_is_scoped_to_the_actors_communities(world):
    from coop.extensions import db

    _street, a, b, _far = world
    ours, theirs = make_unit(a), make_unit(b)
    listed = db.session.scalars(queries.units_select(make_resident(a))).all()
    assert ours in listed and theirs not in listed


def test_nobody_signed_in_sees_nothing(world):
    assert permissions.visible_community_ids(None) == set()
    assert queries.communities_for(None) == []
