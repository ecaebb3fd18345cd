import pytest
import sqlalchemy as sa

from coop.alliance.models import Street
from coop.extensions import db
from coop.setup import first_run
from coop.setup.models import Installation


@pytest.fixture
def not_set_up(ctx):
    """The suite's database as a new installation finds it: no set-up row, no street (inside
    the test's transaction, rolled back after it)."""
    db.session.execute(sa.delete(Installation))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Street)) == 0
    db.session.commit()  # to the test's savepoint, where the requests read
    first_run.forget()
    yield
    first_run.forget()
