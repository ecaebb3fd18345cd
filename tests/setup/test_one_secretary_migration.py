"""The migration to one 社区书记 a community keeps each community's earliest 书记 (an explicit
title before an untitled grant), makes another appointed 书记 副书记 and an untitled grant
社区工作者; afterwards the database refuses a second 书记 and takes 副书记."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from coop.extensions import db
from tests import factories
from tests.conftest import ON_POSTGRES, _database_url, make_app

BEFORE = "f4b8d2a6c0e3"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

pytestmark = pytest.mark.committed


@pytest.fixture(params=BACKENDS)
def old_app(request, tmp_path):
    url = (
        _database_url("secmig", tmp_path)
        if request.param == "postgres" and ON_POSTGRES
        else f"sqlite:///{tmp_path}/secmig.sqlite3"
    )
    app = make_app(url)
    with app.app_context():
        street = factories.make_street()
        communities = [factories.make_community(street) for _ in range(3)]
        app.communities = [c.id for c in communities]
        app.users = [factories.make_volunteer(communities[0]).id for _ in range(7)]
        db.session.commit()
        downgrade(revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def grant(user_id: int, community_id: int, title: str | None) -> int:
    return db.session.execute(
        sa.text(
            "INSERT INTO role_grants (user_id, role, community_id, title, created_at)"
            " VALUES (:u, 'secretary', :c, :t, CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"u": user_id, "c": community_id, "t": title},
    ).scalar_one()


def titles() -> dict[int, str | None]:
    rows = db.session.execute(sa.text("SELECT id, title FROM role_grants WHERE role = 'secretary'"))
    return dict(rows.all())


def test_each_community_keeps_one_secretary_and_the_others_become_staff(old_app):
    with old_app.app_context():
        first, second, third = old_app.communities
        u = old_app.users
        untitled_first = grant(u[0], first, None)  # untitled, then an explicit 书记: she wins
        explicit = grant(u[1], first, "secretary")
        worker = grant(u[2], first, "staff")
        untitled_a = grant(u[3], second, None)  # only untitled grants: the earliest
        untitled_b = grant(u[4], second, None)
        explicit_a = grant(u[5], third, "secretary")  # two explicit: the earliest
        explicit_b = grant(u[6], third, "secretary")
        db.session.commit()

        upgrade()

        assert titles() == {
            untitled_first: "staff",
            explicit: "secretary",
            worker: "staff",
            untitled_a: "secretary",
            untitled_b: "staff",
            explicit_a: "secretary",
            explicit_b: "deputy",
        }
        with pytest.raises(sa.exc.IntegrityError):
            grant(u[0], second, "secretary")
        db.session.rollback()
        grant(u[0], second, "staff")  # 社区工作者 are many
        grant(u[1], second, "deputy")  # and 副书记
        db.session.commit()
