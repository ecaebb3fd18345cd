"""Honours: the community nominates with the computed record, the street decides; one honour of
a kind per holder and year (the database backs it); nothing is written when a rule refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Honour, HonourKind, HonourStatus, Membership, PioneerWeights
from coop.auth.models import Role, RoleGrant
from coop.errors import Forbidden, NotFound
from coop.extensions import db
from coop.honours import index, service
from coop.honours.errors import (
    AlreadyHonoured,
    BadWeights,
    NotAMember,
    OwnNomination,
    ReasonRequired,
    TeamNotHere,
    WrongState,
    YearNotOpen,
)
from coop.notices.models import Notice
from coop.people.models import TeamMember
from coop.timeutil import local_today
from tests.factories import make_community, make_liaison, make_secretary, make_unit, make_volunteer
from tests.honours.conftest import (
    NOW,
    YEAR,
    fulfilled_claim,
    make_team,
    unit_volunteer,
    verified_hours,
)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Honour))


def nominate(secretary, community, unit, **overrides):
    return service.nominate(
        secretary,
        community.id,
        **{"kind": HonourKind.PIONEER, "holder_id": unit.id, "year": YEAR, "now": NOW, **overrides},
    )


def test_a_nomination_keeps_the_units_computed_record(secretary, community, unit, other_unit):
    fulfilled_claim(unit, community)
    fulfilled_claim(unit, community)
    verified_hours(unit_volunteer(unit, community), community, 3.5)
    fulfilled_claim(other_unit, community)
    honour = nominate(secretary, community, unit, citation="按期完成")
    assert honour.status is HonourStatus.NOMINATED
    assert honour.record["claims"] == 2
    assert Decimal(honour.record["hours"]) == Decimal("3.5")
    assert honour.record["weights"] == {
        "claims": 30,
        "hours": 25,
        "activities": 20,
        "ratings": 15,
        "resources": 10,
    }
    # The best unit on each part scores its whole weight; the other unit half of claims.
    assert honour.record["scores"]["claims"] == "30.0"
    assert honour.record["index"] == "55.0"


def test_the_record_is_a_snapshot_not_recomputed(secretary, community, unit):
    honour = nominate(secretary, community, unit)
    fulfilled_claim(unit, community)
    db.session.refresh(honour)
    assert honour.record["claims"] == 0


def test_the_street_admin_is_told_of_a_nomination(secretary, admin, community, unit):
    honour = nominate(secretary, community, unit)
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == admin.id)).all()
    assert [n.link for n in notices] == [f"/honours/{honour.id}"]


def test_the_street_approves_and_the_honour_shows_on_the_dashboard(
    secretary, admin, community, unit
):
    honour = nominate(secretary, community, unit)
    service.approve(admin, honour.id, now=NOW)
    assert honour.status is HonourStatus.APPROVED and honour.decided_by_id == admin.id
    stats = alliance_queries.community_stats(community, local_today())
    assert stats["honoured_units"] == 1 and stats["honoured_year"] == YEAR


def test_last_years_honours_still_count_after_new_year(secretary, admin, community, unit):
    honour = nominate(secretary, community, unit, year=YEAR - 1)
    service.approve(admin, honour.id, now=NOW)
    stats = alliance_queries.community_stats(community, local_today())
    assert stats["honoured_units"] == 1 and stats["honoured_year"] == YEAR - 1


def test_the_nominator_cannot_approve_her_own_nomination(community, unit):
    both = make_secretary(community)
    both.grants.append(RoleGrant(role=Role.STREET_ADMIN, street_id=community.street_id))
    db.session.flush()
    honour = nominate(both, community, unit)
    with pytest.raises(OwnNomination):
        service.approve(both, honour.id, now=NOW)
    assert honour.status is HonourStatus.NOMINATED and honour.decided_by_id is None


def test_a_secretary_cannot_approve(secretary, community, unit):
    honour = nominate(secretary, community, unit)
    other = make_secretary(community)
    with pytest.raises(Forbidden):
        service.approve(other, honour.id, now=NOW)


def test_a_second_honour_of_a_kind_for_the_same_unit_and_year_is_refused(
    secretary, admin, community, unit
):
    nominate(secretary, community, unit)
    with pytest.raises(AlreadyHonoured):
        nominate(secretary, community, unit)
    assert _count() == 1


def test_the_database_refuses_a_second_honour_of_a_kind(secretary, community, unit):
    nominate(secretary, community, unit)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            Honour(
                kind=HonourKind.PIONEER,
                community_id=community.id,
                unit_id=unit.id,
                year=YEAR,
                status=HonourStatus.APPROVED,
                record={},
            )
        )
        db.session.flush()


def test_another_communitys_nomination_of_the_same_unit_and_year_is_refused(
    secretary, community, unit
):
    elsewhere = make_community(street=community.street)
    db.session.add(Membership(unit_id=unit.id, community_id=elsewhere.id, joined_on=NOW.date()))
    db.session.flush()
    nominate(secretary, community, unit)
    with pytest.raises(AlreadyHonoured):
        nominate(make_secretary(elsewhere), elsewhere, unit)


def test_a_unit_that_is_not_a_member_cannot_be_nominated(secretary, community):
    stranger = make_unit(make_community())
    with pytest.raises(NotAMember):
        nominate(secretary, community, stranger)
    assert _count() == 0


def test_a_team_of_another_community_cannot_be_nominated(secretary, community):
    team = make_team(make_community(), [])
    with pytest.raises(TeamNotHere):
        nominate(secretary, community, team, kind=HonourKind.TEAM)
    assert _count() == 0


@pytest.mark.parametrize("offset", [1, -2])
def test_only_this_year_or_last_can_be_nominated(secretary, community, unit, offset):
    with pytest.raises(YearNotOpen):
        nominate(secretary, community, unit, year=YEAR + offset)
    assert _count() == 0


def test_a_liaison_cannot_nominate(community, unit):
    with pytest.raises((Forbidden, NotFound)):
        nominate(make_liaison(unit), community, unit)


def test_sending_back_needs_a_reason_and_tells_the_secretary(secretary, admin, community, unit):
    honour = nominate(secretary, community, unit)
    with pytest.raises(ReasonRequired):
        service.send_back(admin, honour.id, reason="  ", now=NOW)
    assert honour.status is HonourStatus.NOMINATED
    service.send_back(admin, honour.id, reason="请补充活动照片", now=NOW)
    assert honour.status is HonourStatus.RETURNED and honour.return_reason == "请补充活动照片"
    titles = db.session.scalars(sa.select(Notice.title).where(Notice.user_id == secretary.id))
    assert any("退回" in t for t in titles)


def test_a_returned_nomination_is_resubmitted_with_a_fresh_record(
    secretary, admin, community, unit
):
    honour = nominate(secretary, community, unit)
    service.send_back(admin, honour.id, reason="请补充", now=NOW)
    fulfilled_claim(unit, community)
    again = nominate(secretary, community, unit, citation="已补充")
    assert again.id == honour.id and again.status is HonourStatus.NOMINATED
    assert again.record["claims"] == 1 and _count() == 1


def test_revoking_keeps_the_row_and_the_reason(secretary, admin, community, unit):
    honour = nominate(secretary, community, unit)
    service.approve(admin, honour.id, now=NOW)
    with pytest.raises(ReasonRequired):
        service.revoke(admin, honour.id, reason="", now=NOW)
    service.revoke(admin, honour.id, reason="发现虚报时长", now=NOW)
    assert _count() == 1
    assert honour.status is HonourStatus.REVOKED and honour.revoke_reason == "发现虚报时长"
    assert alliance_queries.community_stats(community, local_today())["honoured_units"] == 0


def test_only_a_waiting_nomination_can_be_approved(secretary, admin, community, unit):
    honour = nominate(secretary, community, unit)
    service.approve(admin, honour.id, now=NOW)
    with pytest.raises(WrongState):
        service.approve(admin, honour.id, now=NOW)
    with pytest.raises(WrongState):
        service.send_back(admin, honour.id, reason="x", now=NOW)


def test_a_team_is_nominated_with_its_members_hours_while_members(secretary, community):
    stays, left = make_volunteer(community), make_volunteer(community)
    team = make_team(community, [stays, left])
    verified_hours(stays, community, 2)
    member = db.session.get(TeamMember, (team.id, left.id))
    member.left_on = (NOW - timedelta(days=30)).date()
    verified_hours(left, community, 5)  # served after she left: not the team's
    honour = nominate(secretary, community, team, kind=HonourKind.TEAM)
    assert Decimal(honour.record["hours"]) == Decimal("2") and honour.record["members"] == 1
    assert index.team_hours(team.id) == Decimal("2")


def test_the_weights_are_the_communitys_and_sum_to_100(secretary, community, unit):
    weights = {"claims": 40, "hours": 20, "activities": 20, "ratings": 10, "resources": 10}
    assert service.set_weights(secretary, community.id, weights, now=NOW) == weights
    fulfilled_claim(unit, community)
    assert index.unit_records(community.id, YEAR, NOW)[0].scores["claims"] == Decimal("40.0")


@pytest.mark.parametrize(
    "weights",
    [
        {"claims": 50, "hours": 20, "activities": 20, "ratings": 10, "resources": 10},
        {"claims": -10, "hours": 50, "activities": 30, "ratings": 20, "resources": 10},
        {"claims": "x", "hours": 20, "activities": 20, "ratings": 10, "resources": 10},
    ],
)
def test_bad_weights_are_refused_and_nothing_is_saved(secretary, community, weights):
    with pytest.raises(BadWeights):
        service.set_weights(secretary, community.id, weights, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PioneerWeights)) == 0


def test_the_index_is_computed_for_all_units_in_a_fixed_number_of_queries(community, count_queries):
    for n in range(6):
        unit = make_unit(community, name=f"单位{n}")
        fulfilled_claim(unit, community)
    with count_queries() as counted:
        records = index.unit_records(community.id, YEAR, NOW)
    assert len(records) == 6 and counted.n <= 8
