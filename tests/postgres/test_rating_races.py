"""A resident tapping 提交评价 on two phones at once (or a retry racing the first): one rating
of the resolution, one reopening, the others a 409 ``already_rated``."""

import threading

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.needs.models import Need, NeedRating, NeedStatus
from coop.notices.models import Notice
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
TRIES = 8


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("ratings", tmp_path_factory.mktemp("ratings")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TRIES + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_ratings_racing_for_one_resolution_keep_one(race_app):
    with race_app.app_context():
        community = factories.make_community()
        resident = factories.make_resident(community)
        secretary_id = factories.make_secretary(community).id
        need = factories.make_need(community, status=NeedStatus.RESOLVED, requester_id=resident.id)
        need_id = need.id
        headers = [factories.bearer(resident) for _ in range(TRIES)]
        db.session.commit()

    barrier = threading.Barrier(TRIES)
    answers = [None] * TRIES

    def run(index):
        client = race_app.test_client()
        barrier.wait()
        answers[index] = client.post(
            f"/api/v1/needs/{need_id}/rating",
            json={"stars": 1 + index % 2, "comment": f"第{index}次"},
            headers=headers[index],
        )

    threads = [threading.Thread(target=run, args=(i,)) for i in range(TRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [201] + [409] * (TRIES - 1)
    assert {a.json["code"] for a in answers if a.status_code == 409} == {"already_rated"}
    with race_app.app_context():
        ratings = db.session.scalars(sa.select(NeedRating).where(NeedRating.need_id == need_id))
        assert len(ratings.all()) == 1
        assert db.session.get(Need, need_id).status is NeedStatus.LISTED
        notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == secretary_id))
        assert len(notices.all()) == 1
