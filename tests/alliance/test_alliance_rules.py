from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coop.alliance import errors, queries, service
from coop.alliance.models import Agreement, Membership, Unit, UnitKind
from coop.audit import AuditLog
from coop.errors import Forbidden, Invalid, NotFound
from coop.extensions import db
from coop.timeutil import local_today
from tests.factories import (
    make_agreement,
    make_community,
    make_liaison,
    make_resident,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

TODAY = local_today()


def add(actor, community, **overrides):
    fields = {"name": "新联盟单位", "kind": UnitKind.MUNICIPAL, "joined_on": TODAY, **overrides}
    return service.add_unit(actor, community.id, **fields)


def units_named(name):
    return db.session.scalars(sa.select(Unit).where(Unit.name == name)).all()


def test_secretary_adds_a_unit_to_her_alliance(ctx):
    community = make_community()
    unit = add(make_secretary(community), community)
    assert [m.community_id for m in unit.memberships] == [community.id]
    assert queries.live_agreement(unit.id, community.id, TODAY) is None


@pytest.mark.parametrize("who", ["resident", "volunteer", "liaison", "street_admin"])
def test_only_the_secretary_adds_units(ctx, who):
    community = make_community()
    actor = {
        "resident": lambda: make_resident(community),
        "volunteer": lambda: make_volunteer(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "street_admin": lambda: make_street_admin(community.street),
    }[who]()
    with pytest.raises(Forbidden):
        add(actor, community)
    assert units_named("新联盟单位") == []


def test_another_communitys_secretary_gets_not_found(ctx):
    community, other = make_community(), make_community()
    with pytest.raises(NotFound):
        add(make_secretary(other), community)


def test_unit_names_are_unique(ctx):
    community = make_community()
    secretary = make_secretary(community)
    add(secretary, community)
    with pytest.raises(errors.UnitNameTaken) as raised:
        add(secretary, community, name=" 新联盟单位 ")
    assert "name" in raised.value.errors
    assert len(units_named("新联盟单位")) == 1


def test_a_unit_serves_at_most_three_communities(ctx):
    street_communities = [make_community() for _ in range(4)]
    unit = make_unit(street_communities[0])
    for community in street_communities[1:3]:
        service.link_unit(make_secretary(community), community.id, unit.id, joined_on=TODAY)
    fourth = street_communities[3]
    with pytest.raises(errors.TooManyCommunities):
        service.link_unit(make_secretary(fourth), fourth.id, unit.id, joined_on=TODAY)
    assert len(queries.memberships_of(unit.id)) == 3


def test_linking_a_unit_twice_is_refused(ctx):
    community = make_community()
    unit = make_unit(community)
    with pytest.raises(errors.AlreadyMember):
        service.link_unit(make_secretary(community), community.id, unit.id, joined_on=TODAY)


def record(actor, community, unit, **overrides):
    fields = {
        "signed_on": TODAY,
        "starts_on": TODAY,
        "ends_on": TODAY + timedelta(days=365),
        "scope": "提供活动场地",
        **overrides,
    }
    return service.record_agreement(actor, community.id, unit.id, **fields)


def test_recorded_agreement_makes_the_unit_live(ctx):
    community = make_community()
    unit = make_unit(community, live=False)
    agreement = record(make_secretary(community), community, unit)
    assert queries.live_agreement(unit.id, community.id, TODAY) == agreement
    assert agreement.status(TODAY) == "live"


def test_an_agreement_that_starts_later_is_not_live_yet(ctx):
    community = make_community()
    unit = make_unit(community, live=False)
    agreement = record(make_secretary(community), community, unit, starts_on=TODAY + timedelta(1))
    assert agreement.status(TODAY) == "upcoming"
    assert queries.live_agreement(unit.id, community.id, TODAY) is None


def test_overlapping_agreements_are_refused(ctx):
    community = make_community()
    unit = make_unit(community)
    with pytest.raises(errors.AgreementOverlaps):
        record(make_secretary(community), community, unit)
    assert len(queries.agreements_between(unit.id, community.id)) == 1


def test_a_renewal_after_the_old_term_is_accepted(ctx):
    community = make_community()
    unit = make_unit(community, live=False)
    make_agreement(
        unit,
        community,
        starts_on=date(2020, 1, 1),
        ends_on=date(2022, 1, 1),
        signed_on=date(2020, 1, 1),
    )
    record(make_secretary(community), community, unit)
    assert len(queries.agreements_between(unit.id, community.id)) == 2


def test_agreement_needs_the_unit_in_the_alliance(ctx):
    community = make_community()
    stranger = make_unit(make_community())
    with pytest.raises(errors.NotAMember):
        record(make_secretary(community), community, stranger)


def test_agreement_must_end_after_it_starts(ctx):
    community = make_community()
    unit = make_unit(community, live=False)
    with pytest.raises(Invalid) as raised:
        record(make_secretary(community), community, unit, ends_on=TODAY)
    assert "ends_on" in raised.value.errors
    assert queries.agreements_between(unit.id, community.id) == []


def test_ending_an_agreement_stops_the_unit_claiming(ctx):
    community = make_community()
    unit = make_unit(community)
    agreement = queries.live_agreement(unit.id, community.id, TODAY)
    service.end_agreement(
        make_secretary(community), agreement.id, ended_on=TODAY, reason="单位撤并"
    )
    assert agreement.status(TODAY) == "ended"
    assert queries.live_agreement(unit.id, community.id, TODAY) is None
    assert unit.id not in queries.live_agreement_unit_ids(community.id, TODAY)


def test_an_agreement_is_ended_once(ctx):
    community = make_community()
    unit = make_unit(community)
    secretary = make_secretary(community)
    agreement = queries.live_agreement(unit.id, community.id, TODAY)
    service.end_agreement(secretary, agreement.id, ended_on=TODAY, reason="单位撤并")
    with pytest.raises(errors.AgreementAlreadyEnded):
        service.end_agreement(secretary, agreement.id, ended_on=TODAY, reason="再次终止")
    assert agreement.end_reason == "单位撤并"


def test_a_resident_cannot_end_an_agreement(ctx):
    community = make_community()
    unit = make_unit(community)
    agreement = queries.live_agreement(unit.id, community.id, TODAY)
    with pytest.raises(Forbidden):
        service.end_agreement(make_resident(community), agreement.id, ended_on=TODAY, reason="x")
    assert agreement.ended_on is None


def test_every_change_is_audited_with_its_actor(ctx):
    from coop.uow import unit_of_work

    community = make_community()
    secretary = make_secretary(community)
    with unit_of_work(secretary):
        unit = add(secretary, community)
    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.actor_id == secretary.id).order_by(AuditLog.id)
    ).all()
    created = {(r.object_type, r.action) for r in rows}
    assert {("units", "create"), ("memberships", "create")} <= created
    unit_row = next(r for r in rows if r.object_type == "units")
    assert unit_row.object_id == str(unit.id)
    assert unit_row.before is None and unit_row.after["name"] == "新联盟单位"


def test_ending_an_agreement_is_audited_with_before_and_after(ctx):
    from coop.uow import unit_of_work

    community = make_community()
    unit = make_unit(community)
    secretary = make_secretary(community)
    agreement = queries.live_agreement(unit.id, community.id, TODAY)
    with unit_of_work(secretary):
        service.end_agreement(secretary, agreement.id, ended_on=TODAY, reason="单位撤并")
    row = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.object_type == "agreements",
            AuditLog.object_id == str(agreement.id),
            AuditLog.action == "update",
        )
    ).one()
    assert row.before == {"ended_on": None, "end_reason": ""}
    assert row.after == {"ended_on": TODAY.isoformat(), "end_reason": "单位撤并"}
    assert row.actor_id == secretary.id


def test_a_failed_unit_of_work_changes_nothing(ctx):
    from coop.uow import unit_of_work

    community = make_community()
    secretary = make_secretary(community)
    with pytest.raises(errors.UnitNameTaken), unit_of_work(secretary):
        add(secretary, community, name="甲单位")
        add(secretary, community, name="甲单位")
    assert units_named("甲单位") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) >= 0
    assert (
        db.session.scalars(sa.select(Agreement).join(Unit).where(Unit.name == "甲单位")).all() == []
    )
