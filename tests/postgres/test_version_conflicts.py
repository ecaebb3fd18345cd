"""Two editors of one object: the database itself refuses the second write made from a stale
read (``version_id_col``), whatever Python checked before."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coop.extensions import db
from coop.needs.models import Need
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(_database_url("versions", tmp_path_factory.mktemp("versions")))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_second_of_two_editors_is_refused_by_the_database(race_app):
    with race_app.app_context():
        need = factories.make_need(factories.make_community(), title="楼道灯不亮")
        db.session.commit()
        need_id = need.id
        with Session(db.engine) as first, Session(db.engine) as second:
            mine = first.get(Need, need_id)
            theirs = second.get(Need, need_id)
            assert mine.version == theirs.version == 1
            mine.title = "阳光苑 3 号楼楼道灯不亮"
            first.commit()
            theirs.title = "楼道灯坏了"
            with pytest.raises(StaleDataError):
                second.commit()
        db.session.expire_all()
        stored = db.session.scalar(sa.select(Need).where(Need.id == need_id))
        assert (stored.title, stored.version) == ("阳光苑 3 号楼楼道灯不亮", 2)
