import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.categories import Category
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.needs import queries, service
from coop.needs.models import Beneficiary, NeedSource, NeedStatus, Urgency
from coop.states import IllegalTransition
from tests.factories import (
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)

FIELDS = {
    "title": "楼道灯不亮",
    "category": Category.CONVENIENCE,
    "source": NeedSource.GRID,
    "beneficiary_group": Beneficiary.ELDERLY,
    "urgency": Urgency.SOON,
}


def test_secretary_records_a_need_onto_the_list(ctx):
    community = make_community()
    need = service.record_need(make_secretary(community), community.id, **FIELDS)
    assert need.status is NeedStatus.LISTED and need.source is NeedSource.GRID


def test_a_resident_submits_her_own_need(ctx):
    community = make_community()
    resident = make_resident(community, phone="13900001111")
    fields = {k: v for k, v in FIELDS.items() if k != "source"}
    need = service.submit_need(resident, community.id, **fields)
    assert need.status is NeedStatus.SUBMITTED and need.source is NeedSource.RESIDENT
    assert need.requester_id == resident.id and need.requester_phone == "13900001111"


def test_a_liaison_cannot_submit_a_residents_need(ctx):
    community = make_community()
    fields = {k: v for k, v in FIELDS.items() if k != "source"}
    with pytest.raises(Forbidden):
        service.submit_need(make_liaison(make_unit(community)), community.id, **fields)


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_only_the_secretary_records_needs(ctx, make):
    community = make_community()
    with pytest.raises(Forbidden):
        service.record_need(make(community), community.id, **FIELDS)


def test_a_need_in_another_communitys_neighbourhood_is_refused(ctx):
    community, other = make_community(), make_community()
    with pytest.raises(Invalid):
        service.record_need(
            make_secretary(community),
            community.id,
            neighbourhood_id=other.neighbourhoods[0].id,
            **FIELDS,
        )


def test_the_need_flow_from_submitted_to_closed(ctx):
    community = make_community()
    secretary = make_secretary(community)
    need = make_need(community, status=NeedStatus.SUBMITTED)
    service.list_need(secretary, need.id)
    service.resolve_need(secretary, need.id, resolution="已更换灯泡")
    service.close_need(secretary, need.id)
    assert need.status is NeedStatus.CLOSED and need.resolution == "已更换灯泡"


def test_rejecting_keeps_the_reason_for_the_resident(ctx):
    community = make_community()
    resident = make_resident(community)
    need = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    service.reject_need(make_secretary(community), need.id, reason="属于物业维修范围，已转物业")
    seen = queries.get_need(resident, need.id)
    assert seen.status is NeedStatus.REJECTED and "物业" in seen.reject_reason


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (NeedStatus.LISTED, "list_need"),
        (NeedStatus.CLOSED, "resolve_need"),
        (NeedStatus.SUBMITTED, "close_need"),
        (NeedStatus.RESOLVED, "list_need"),
    ],
)
def test_illegal_need_moves_are_refused_and_change_nothing(ctx, status, action):
    community = make_community()
    need = make_need(community, status=status)
    with pytest.raises(IllegalTransition) as raised:
        getattr(service, action)(make_secretary(community), need.id)
    assert raised.value.status == 409 and status.label in raised.value.message
    assert need.status is status


def test_residents_see_their_own_needs_and_the_public_list_only(ctx):
    community = make_community()
    resident, neighbour = make_resident(community), make_resident(community)
    own = make_need(community, status=NeedStatus.SUBMITTED, requester_id=resident.id)
    theirs = make_need(community, status=NeedStatus.SUBMITTED, requester_id=neighbour.id)
    listed = make_need(community, status=NeedStatus.LISTED)
    visible = db.session.scalars(queries.needs_select(resident)).all()
    assert own in visible and listed in visible and theirs not in visible
    with pytest.raises(NotFound):
        queries.get_need(resident, theirs.id)


def test_another_communitys_needs_are_not_found(ctx):
    community = make_community()
    need = make_need(make_community())
    with pytest.raises(NotFound):
        queries.get_need(make_secretary(community), need.id)


def test_revealing_a_requester_needs_the_secretary_and_is_logged(ctx):
    community = make_community()
    need = make_need(community)
    with pytest.raises(Forbidden):
        service.reveal_requester(make_volunteer(community), need.id, reason="想联系")
    secretary = make_secretary(community)
    shown = service.reveal_requester(secretary, need.id, reason="上门走访前电话确认")
    assert shown == {"phone": "13812341234", "address": "阳光苑3号楼2单元"}
    row = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "reveal", AuditLog.object_id == str(need.id))
    ).one()
    assert row.actor_id == secretary.id and row.after["reason"] == "上门走访前电话确认"


def test_a_need_in_a_project_can_no_longer_be_edited(ctx):
    from coop.needs.errors import NeedNotEditable

    community = make_community()
    need = make_need(community, status=NeedStatus.IN_PROJECT)
    with pytest.raises(NeedNotEditable):
        service.edit_need(make_secretary(community), need.id, version=1, title="改标题")
