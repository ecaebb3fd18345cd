"""Two editors through the real API: both load version 1 and both save at once. One is saved,
the other told 409 version_conflict; nothing of the second reaches the database."""

import threading

import pytest
import sqlalchemy as sa

from coop.alliance.models import Unit
from coop.auth.models import User
from coop.extensions import db
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(_database_url("edits", tmp_path_factory.mktemp("edits")))
    yield app
    with app.app_context():
        db.engine.dispose()


def save_at_once(app, path: str, bodies: list[dict], headers: list[dict]):
    """Each editor PATCHes from her own thread and client, released together."""
    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def save(index):
        client = app.test_client()
        barrier.wait()
        responses[index] = client.patch(path, json=bodies[index], headers=headers[index])

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_two_secretaries_saving_one_person_at_once_get_one_200_and_one_409(race_app):
    with race_app.app_context():
        community = factories.make_community()
        person_id = factories.make_volunteer(community, display_name="王小明").id
        editors = [factories.make_secretary(community) for _ in range(2)]
        headers = [factories.bearer(editor) for editor in editors]
        db.session.commit()

    path = f"/api/v1/people/{person_id}"
    client = race_app.test_client()
    seen = [client.get(path, headers=h).json["version"] for h in headers]
    assert seen == [1, 1]
    names = ["王晓明", "王小鸣"]
    bodies = [{"version": v, "display_name": n} for v, n in zip(seen, names, strict=True)]

    responses = save_at_once(race_app, path, bodies, headers)

    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json["display_name"]
    loser = next(r for r in responses if r.status_code == 409).json
    assert (
        loser["code"] == "version_conflict" and loser["message"] == "已被他人修改，请刷新后再改。"
    )
    with race_app.app_context():
        stored = db.session.scalar(sa.select(User).where(User.id == person_id))
        assert (stored.display_name, stored.version) == (winner, 2)


def test_the_liaison_and_the_secretary_saving_one_unit_at_once_get_one_200_and_one_409(
    race_app,
):
    with race_app.app_context():
        community = factories.make_community()
        unit = factories.make_unit(community, address="兴旺路 8 号")
        editors = [factories.make_liaison(unit), factories.make_secretary(community)]
        headers = [factories.bearer(editor) for editor in editors]
        db.session.commit()
        unit_id = unit.id

    path = f"/api/v1/units/{unit_id}"
    bodies = [{"version": 1, "address": "兴旺路 10 号"}, {"version": 1, "address": "兴旺路 12 号"}]

    responses = save_at_once(race_app, path, bodies, headers)

    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json["address"]
    with race_app.app_context():
        stored = db.session.scalar(sa.select(Unit).where(Unit.id == unit_id))
        assert (stored.address, stored.version) == (winner, 2)
