import sqlite3

import pytest

from coop import config, create_app


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.setenv("COOP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", config.DEV_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_its_own_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("COOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.sqlite3")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_job_workers_default_to_two_and_refuse_nonsense(monkeypatch):
    monkeypatch.delenv("JOB_WORKERS", raising=False)
    assert config._job_workers() == 2
    monkeypatch.setenv("JOB_WORKERS", "4")
    assert config._job_workers() == 4
    for bad in ("0", "-1", "two", ""):
        monkeypatch.setenv("JOB_WORKERS", bad)
        with pytest.raises(RuntimeError, match="JOB_WORKERS"):
            config._job_workers()


def test_a_set_database_url_means_production_unless_told(monkeypatch):
    monkeypatch.delenv("COOP_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/coop")
    assert config.environment() == "production"
    monkeypatch.delenv("DATABASE_URL")
    assert config.environment() == "development"


@pytest.mark.parametrize("given", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_get_the_psycopg_driver(monkeypatch, given):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config._database_url("/tmp") == "postgresql+psycopg://u@h/db"


def test_without_database_url_the_embedded_sqlite_lives_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config._database_url("/srv/coop/instance") == (
        "sqlite:////srv/coop/instance/coop.sqlite3"
    )


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    from coop.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with app.app_context(), db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
