"""Two street admins appointing a 社区书记 to the same community at once: one is appointed, the
other is told who was; the database holds one 书记 even when both pass the check."""

import pytest
import sqlalchemy as sa

from coop.auth.models import Role, RoleGrant, StaffTitle, User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.setup import queries, staff
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app
from tests.postgres.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture
def staff_app(tmp_path):
    app = make_app(_database_url("staff_race", tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


def appoint_as(admin_id: int, community_id: int, phone: str):
    def job():
        admin = db.session.get(User, admin_id)
        with unit_of_work(admin):
            grant, _person = staff.appoint_staff(
                admin,
                community_id,
                title=StaffTitle.SECRETARY,
                phone=phone,
                display_name=f"书记{phone[-2:]}",
                now=utcnow(),
            )
            return grant.id

    return job


@pytest.fixture
def scene(staff_app):
    with staff_app.app_context():
        street = factories.make_street()
        community = factories.make_community(street)
        admins = [factories.make_street_admin(street) for _ in range(2)]
        db.session.commit()
        return [a.id for a in admins], community.id


def secretaries(community_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RoleGrant)
        .where(
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.community_id == community_id,
            RoleGrant.title == StaffTitle.SECRETARY,
        )
    )


def test_of_two_simultaneous_secretaries_one_is_appointed(staff_app, scene):
    (first, second), community_id = scene

    outcomes = race(
        staff_app,
        [
            appoint_as(first, community_id, "13600000011"),
            appoint_as(second, community_id, "13600000012"),
        ],
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["SecretaryTaken", "int"], outcomes
    with staff_app.app_context():
        assert secretaries(community_id) == 1


def test_the_database_refuses_a_second_secretary_the_check_missed(staff_app, scene, monkeypatch):
    (first, second), community_id = scene
    monkeypatch.setattr(queries, "community_secretary", lambda _id: None)

    def refused_by_the_index(job):
        def run():
            try:
                return job()
            except sa.exc.IntegrityError as error:
                return error

        return run

    outcomes = race(
        staff_app,
        [
            refused_by_the_index(appoint_as(first, community_id, "13600000021")),
            refused_by_the_index(appoint_as(second, community_id, "13600000022")),
        ],
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["IntegrityError", "int"], outcomes
    with staff_app.app_context():
        assert secretaries(community_id) == 1
