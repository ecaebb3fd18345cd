from datetime import date

import pytest

from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.resources import queries, service
from coop.resources.models import ResourceKind, ResourceStatus
from coop.states import IllegalTransition
from tests.factories import (
    make_community,
    make_liaison,
    make_resident,
    make_resource,
    make_secretary,
    make_unit,
)

OFFER = {
    "kind": ResourceKind.VENUE,
    "title": "党员活动室",
    "quantity": 60,
    "unit_of_measure": "平方米",
    "available_from": date(2026, 12, 1),
    "available_until": date(2027, 5, 31),
}


def test_a_liaison_offers_her_units_resource(ctx):
    community = make_community()
    unit = make_unit(community)
    resource = service.offer_resource(
        make_liaison(unit),
        community.id,
        unit.id,
        neighbourhood_ids=[community.neighbourhoods[0].id],
        **OFFER,
    )
    assert resource.status is ResourceStatus.OFFERED
    assert resource.neighbourhoods == [community.neighbourhoods[0]]


def test_a_liaison_cannot_offer_for_another_unit(ctx):
    community = make_community()
    liaison = make_liaison(make_unit(community))
    with pytest.raises(Forbidden):
        service.offer_resource(liaison, community.id, make_unit(community).id, **OFFER)


def test_an_availability_window_ends_after_it_starts(ctx):
    community = make_community()
    unit = make_unit(community)
    with pytest.raises(Invalid) as raised:
        service.offer_resource(
            make_liaison(unit),
            community.id,
            unit.id,
            **{**OFFER, "available_until": date(2026, 1, 1)},
        )
    assert "available_until" in raised.value.errors


def test_the_secretary_lists_or_sends_back(ctx):
    community = make_community()
    unit = make_unit(community)
    secretary = make_secretary(community)
    offered = make_resource(unit, community, status=ResourceStatus.OFFERED)
    service.send_back_resource(secretary, offered.id, reason="请写明可用时段")
    assert offered.status is ResourceStatus.RETURNED and offered.return_reason
    service.reoffer_resource(make_liaison(unit), offered.id)
    service.list_resource(secretary, offered.id)
    assert offered.status is ResourceStatus.LISTED and offered.return_reason == ""


def test_a_withdrawn_resource_cannot_be_listed(ctx):
    community = make_community()
    resource = make_resource(make_unit(community), community, status=ResourceStatus.WITHDRAWN)
    with pytest.raises(IllegalTransition):
        service.list_resource(make_secretary(community), resource.id)


def test_residents_see_listed_resources_only(ctx):
    community = make_community()
    unit = make_unit(community)
    listed = make_resource(unit, community)
    offered = make_resource(unit, community, status=ResourceStatus.OFFERED)
    seen = db.session.scalars(queries.resources_select(make_resident(community))).all()
    assert listed in seen and offered not in seen
    own = db.session.scalars(queries.resources_select(make_liaison(unit))).all()
    assert offered in own
