"""`flask db upgrade` builds the schema from nothing, and it matches the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from coop.extensions import db
from coop.references import include_object
from tests.conftest import ON_POSTGRES, _database_url, make_app


def _differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return compare_metadata(context, db.metadata)


@pytest.mark.committed
def test_sqlite_schema_from_nothing_matches_the_models(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/fresh.sqlite3")
    assert _differences(app) == []


@pytest.mark.committed
@pytest.mark.postgres
def test_postgres_schema_from_nothing_matches_the_models(tmp_path):
    assert ON_POSTGRES
    app = make_app(_database_url("migrations", tmp_path))
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()
