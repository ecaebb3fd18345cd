"""Two editors through the real API on PostgreSQL: both load version 1, both PATCH at once;
exactly one is saved and the other is told 409 version_conflict."""

import threading

import pytest
import sqlalchemy as sa

from coop.activities.models import Activity
from coop.extensions import db
from coop.needs.models import Need
from coop.projects.models import Project
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
ROUNDS = 5


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(_database_url("edits", tmp_path_factory.mktemp("edits")))
    yield app
    with app.app_context():
        db.engine.dispose()


def _needs(community):
    return factories.make_need(community), "needs", Need, "title"


def _projects(community):
    return factories.make_project(community), "projects", Project, "title"


def _activities(community):
    return factories.make_activity(community), "activities", Activity, "place"


@pytest.mark.parametrize("make", [_needs, _projects, _activities], ids=lambda m: m.__name__[1:])
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_of_two_editors_one_saves_and_one_is_told(race_app, make, round_):
    with race_app.app_context():
        community = factories.make_community()
        headers = [factories.bearer(factories.make_secretary(community)) for _ in range(2)]
        row, path, model, field = make(community)
        row_id = row.id
        db.session.commit()
    clients = [race_app.test_client() for _ in range(2)]
    loaded = [
        c.get(f"/api/v1/{path}/{row_id}", headers=h).json
        for c, h in zip(clients, headers, strict=True)
    ]
    assert [body["version"] for body in loaded] == [1, 1]
    barrier = threading.Barrier(2)
    answers = [None, None]

    def save(index):
        barrier.wait()
        answers[index] = clients[index].patch(
            f"/api/v1/{path}/{row_id}",
            json={field: f"第{index + 1}位编辑的修改", "version": loaded[index]["version"]},
            headers=headers[index],
        )

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409]
    saved = next(a for a in answers if a.status_code == 200).json
    refused = next(a for a in answers if a.status_code == 409).json
    assert refused["code"] == "version_conflict" and saved["version"] == 2
    with race_app.app_context():
        stored = db.session.scalar(sa.select(model).where(model.id == row_id))
        assert (getattr(stored, field), stored.version) == (saved[field], 2)
        db.session.remove()
