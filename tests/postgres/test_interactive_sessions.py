"""A page's connection runs without parallel workers or JIT (each costs more than a page's
few-row statements, and a crowd starting two workers per statement starves the cores); the
queue's worker and the clock (BATCH) keep the server's settings for the monthly jobs."""

import pytest
import sqlalchemy as sa

from coop.extensions import db
from tests.conftest import make_app

pytestmark = pytest.mark.postgres


def _settings(app) -> tuple[str, str]:
    """Asked on a new connection of the app's engine (the test's session may be bound apart)."""
    with app.app_context(), db.engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT current_setting('max_parallel_workers_per_gather'), current_setting('jit')"
            )
        ).one()
    return tuple(row)


def test_a_web_connection_plans_without_parallel_workers_or_jit(app):
    assert _settings(app) == ("0", "off")


def test_a_batch_process_keeps_the_servers_settings(app):
    batch = make_app(app.config["SQLALCHEMY_DATABASE_URI"], BATCH=True)
    try:
        workers, _jit = _settings(batch)
    finally:
        with batch.app_context():
            db.engine.dispose()
    assert workers != "0"
