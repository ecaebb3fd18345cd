"""Who sees which service records, and the list's condition written as simply as she allows:
repeating the community inside an OR made PostgreSQL square its selectivity and sort a whole
community's records for one page (the hours page: 240 ms on the city)."""

import pytest

from coop.auth.models import Role, RoleGrant
from coop.extensions import db
from coop.hours import queries
from coop.hours.models import RecordOrigin, ServiceRecord
from tests.factories import make_activity, make_community, make_secretary, make_volunteer


def record(community, volunteer) -> ServiceRecord:
    activity = make_activity(community)
    made = ServiceRecord(
        community_id=community.id,
        volunteer_id=volunteer.id,
        activity_id=activity.id,
        service_date=activity.starts_at.date(),
        hours=2,
        origin=RecordOrigin.CHECKIN,
    )
    db.session.add(made)
    db.session.flush()
    return made


def seen(actor, **filters) -> set[int]:
    return set(
        db.session.scalars(
            queries.records_select(actor, **filters).with_only_columns(ServiceRecord.id)
        )
    )


def where_clause(actor, **filters) -> str:
    query = queries.records_select(actor, **filters)
    return str(query.whereclause.compile(compile_kwargs={"literal_binds": True}))


@pytest.fixture
def two(ctx):
    return make_community(), make_community()


def test_staff_see_their_community_by_its_condition_alone(two):
    here, _there = two
    secretary = make_secretary(here)
    volunteer = make_volunteer(here)
    mine = record(here, volunteer)
    assert seen(secretary, community_id=here.id) == {mine.id}
    assert " OR " not in where_clause(secretary, community_id=here.id).upper()


def test_a_volunteer_sees_only_her_own(two):
    here, _there = two
    her, other = make_volunteer(here), make_volunteer(here)
    hers = record(here, her)
    record(here, other)
    assert seen(her, community_id=here.id) == {hers.id}
    assert " OR " not in where_clause(her, community_id=here.id).upper()


def test_staff_of_one_community_and_volunteer_of_another_see_both_rightly(two):
    here, there = two
    secretary = make_secretary(here)
    db.session.add(RoleGrant(user=secretary, role=Role.VOLUNTEER, community_id=there.id))
    db.session.flush()
    everyone_here = record(here, make_volunteer(here))
    her_own_there = record(there, secretary)
    record(there, make_volunteer(there))  # another's, in the community she only volunteers in
    assert seen(secretary) == {everyone_here.id, her_own_there.id}
