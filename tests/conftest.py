"""Fixtures: one migrated database per xdist worker; each test runs in a transaction that is
rolled back, so tests see only their own rows. Browser tests use a committed database instead.

DATABASE_URL (PostgreSQL in `make test`) picks the engine; without it, SQLite files in a temp
dir. Tests marked ``postgres`` need PostgreSQL: skipped locally without it, failed in CI.
"""

import os
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id

from coop import create_app
from coop.auth import throttle
from coop.extensions import db
from tests.statements import statements_sent

BASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith(("postgresql", "postgres:"))


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_url(suffix: str, tmp_dir) -> str:
    """A fresh, empty database for this worker (and purpose)."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_dir}/coop-{_worker()}-{suffix}.sqlite3"
    url = sa.engine.make_url(re.sub(r"^postgres(ql)?:", "postgresql+psycopg:", BASE_URL))
    name = f"{url.database}_{_worker()}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def make_app(database_url: str, **overrides):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            **overrides,
        }
    )
    with app.app_context():
        upgrade()
    return app


@contextmanager
def demo_app(suffix: str, tmp_dir):
    """An app on its own committed database holding the Xingwang demo."""
    from coop import demo

    app = make_app(_database_url(suffix, tmp_dir))
    with app.app_context():
        demo.load()
        db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = make_app(_database_url("unit", tmp_path_factory.mktemp("db")))
    with app.app_context():  # set up, as a street's database is: pages answer, not /setup
        from coop.setup.models import INSTALLATION_ID, Installation

        db.session.add(Installation(id=INSTALLATION_ID))
        db.session.commit()
    return app


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Roll every test back; browser tests run against their own committed database."""
    app.extensions[throttle._KEY].limiter.storage.reset()
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("committed"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield
        finally:
            db.session.remove()
            transaction.rollback()
            connection.close()
            db.session = original


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.test_request_context():
        yield


class _Client(FlaskClient):
    """Commits the test's own rows (to a savepoint) before each request.

    In tests the request shares the test's app context and so its session; without this, a
    request that rolls back (a refused form) would also roll back the rows the test set up.
    The outer transaction still rolls everything back when the test ends.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = _Client
    return app.test_client()


def pytest_collection_modifyitems(config, items):
    _require_redis_in_ci(items)
    needs_postgres = [item for item in items if item.get_closest_marker("postgres")]
    if ON_POSTGRES or not needs_postgres:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(
            f"{len(needs_postgres)} tests need PostgreSQL and CI never skips them: "
            "set DATABASE_URL (make test does)."
        )
    for item in needs_postgres:
        item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL on PostgreSQL"))


def _require_redis_in_ci(items):
    needs_redis = [item for item in items if item.get_closest_marker("redis")]
    if os.environ.get("REDIS_URL") or not needs_redis:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError("tests need Redis and CI never skips them: set REDIS_URL")
    for item in needs_redis:
        item.add_marker(pytest.mark.skip(reason="needs REDIS_URL"))


@pytest.fixture(params=["process", pytest.param("redis", marks=pytest.mark.redis)])
def kept_store(request, app, monkeypatch):
    """``coop.kept``'s store for the test: the process's, then Redis; its name is returned."""
    from coop import kept

    if request.param == "redis":
        import redis

        store = redis.Redis.from_url(os.environ["REDIS_URL"])
    else:
        store = kept._Local()
    monkeypatch.setitem(app.extensions, kept._CLIENT, store)
    return request.param


@pytest.fixture
def count_queries(app):
    """``with count_queries() as sent: ...`` then ``sent.n`` is the statements run, ``sent`` the
    statements themselves and ``sent.writes`` those that change the database."""

    def counting():
        with app.app_context():
            engine = db.engine
        return statements_sent(engine)

    return counting
