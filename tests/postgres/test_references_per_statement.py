"""The references PostgreSQL checks once per statement (``coop.references``) refuse what the
foreign keys they replace refused, with the same error: an entry of a posting or an account
that does not exist (and an account is never deleted); an award of a badge or community that does not exist, inserted or updated; a badge or
community deleted, renumbered or truncated while awards name it. And a statement's check holds
the rows it names as a foreign key does: a delete waits for the awarding transaction."""

import pytest
import sqlalchemy as sa

from coop.badges.catalog import ensure_catalog
from coop.extensions import db
from coop.ledger import service
from coop.ledger.models import AccountType
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

BADGE_FK = "fk_badge_awards_badge_id_badges"
COMMUNITY_FK = "fk_badge_awards_community_id_communities"
INSERT_AWARD = sa.text(
    "INSERT INTO badge_awards (badge_id, holder_type, holder_id, community_id, period, evidence,"
    " awarded_at, revoke_reason) VALUES (:badge, 'volunteer', :holder, :community, :period,"
    " '{}', now(), '') RETURNING id"
)


@pytest.fixture(scope="module")
def refs_app(tmp_path_factory):
    app = make_app(
        _database_url("references", tmp_path_factory.mktemp("references")),
        # a statement that waits for a lock this test holds elsewhere fails instead of hanging
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=10s"}},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(refs_app):
    """A committed community with a volunteer account, and a badge with no award yet."""
    with refs_app.app_context():
        community = factories.make_community()
        volunteer = factories.make_volunteer(community)
        account = service.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
        pool = service.account_for(AccountType.POOL, community.id)
        ids = {
            "community": community.id,
            "volunteer": volunteer.id,
            "accounts": (pool.id, account.id),
            "badge": ensure_catalog()["theme"].id,
        }
        db.session.commit()  # and read nothing more: TRUNCATE waits for every open reader
        yield ids


def _refused(connection, statement, parameters=None) -> str:
    """The constraint named by the IntegrityError ``statement`` raises; rolls back."""
    with pytest.raises(sa.exc.IntegrityError) as refused:
        connection.execute(
            sa.text(statement) if isinstance(statement, str) else statement, parameters or {}
        )
    connection.rollback()
    return refused.value.orig.diag.constraint_name


@pytest.mark.parametrize("missing", ["posting", "account"])
def test_an_entry_naming_a_row_that_does_not_exist_is_refused(refs_app, world, missing):
    pool, wallet = world["accounts"]
    with refs_app.app_context(), db.engine.connect() as connection:
        posting = connection.scalar(
            sa.text(
                "INSERT INTO postings (idempotency_key, kind, source_type, source_id, memo,"
                " created_at) VALUES (:key, 'adjustment', 'test', 1, '', now()) RETURNING id"
            ),
            {"key": f"test:refs:{missing}:{wallet}"},
        )
        nowhere = connection.scalar(sa.text(f"SELECT coalesce(max(id), 0) + 1000 FROM {missing}s"))
        lines = {"p": posting, "pool": pool, "wallet": wallet, missing[0]: nowhere}
        if missing == "account":
            lines["pool"] = nowhere
        constraint = _refused(
            connection,
            "INSERT INTO entries (posting_id, account_id, amount, created_at)"
            " VALUES (:p, :pool, -5, now()), (:p, :wallet, 5, now())",
            lines,
        )
        assert constraint == f"fk_entries_{missing}_id_{missing}s"
        assert (
            connection.scalar(sa.text("SELECT count(*) FROM entries WHERE posting_id = :p"), lines)
            == 0
        )


def test_an_account_is_never_deleted_renumbered_or_truncated(refs_app, world):
    _pool, wallet = world["accounts"]
    with refs_app.app_context(), db.engine.connect() as connection:
        for statement in (
            "DELETE FROM accounts WHERE id = :id",
            "UPDATE accounts SET id = id + 100000 WHERE id = :id",
            "TRUNCATE accounts",
        ):
            assert _refused(connection, statement, {"id": wallet}) == "ledger_accounts_kept"
        connection.execute(
            sa.text("UPDATE accounts SET created_at = created_at WHERE id = :id"), {"id": wallet}
        )
        connection.rollback()


@pytest.mark.parametrize("column", ["badge", "community"])
def test_an_award_naming_a_row_that_does_not_exist_is_refused(refs_app, world, column):
    values = {
        "badge": world["badge"],
        "holder": world["volunteer"],
        "period": "2031-01",
        "community": world["community"],
    }
    with refs_app.app_context(), db.engine.connect() as connection:
        values[column] = 987654
        assert _refused(connection, INSERT_AWARD, values) == (
            BADGE_FK if column == "badge" else COMMUNITY_FK
        )
        values[column] = world[column]
        award_id = connection.scalar(INSERT_AWARD, values)
        connection.commit()
        moved = f"UPDATE badge_awards SET {column}_id = 987654 WHERE id = :id"
        assert _refused(connection, moved, {"id": award_id}) == (
            BADGE_FK if column == "badge" else COMMUNITY_FK
        )
        # an update that leaves the references alone passes
        connection.execute(
            sa.text("UPDATE badge_awards SET evidence = '{\"hours\": 1}' WHERE id = :id"),
            {"id": award_id},
        )
        connection.rollback()


def test_a_badge_or_community_with_awards_is_kept(refs_app, world):
    with refs_app.app_context(), db.engine.connect() as connection:
        bare = connection.scalar(
            sa.text(
                "INSERT INTO communities (street_id, name, address, description, max_open_claims,"
                " pickup_days) SELECT street_id, 'only awards', '', '', 5, 14 FROM communities"
                " WHERE id = :c"
                " RETURNING id"
            ),
            {"c": world["community"]},
        )
        connection.execute(
            INSERT_AWARD,
            {
                "badge": world["badge"],
                "holder": world["volunteer"],
                "period": "2031-02",
                "community": bare,
            },
        )
        connection.commit()
        deleted = "DELETE FROM communities WHERE id = :id"
        assert _refused(connection, deleted, {"id": bare}) == COMMUNITY_FK
        renumbered = "UPDATE communities SET id = id + 100000 WHERE id = :id"
        assert _refused(connection, renumbered, {"id": bare}) == COMMUNITY_FK
        assert _refused(
            connection, "DELETE FROM badges WHERE id = :id", {"id": world["badge"]}
        ) == (BADGE_FK)
        assert _refused(connection, "TRUNCATE badges CASCADE") == BADGE_FK
        # a change that keeps its id passes
        connection.execute(
            sa.text("UPDATE communities SET name = 'renamed' WHERE id = :id"), {"id": bare}
        )
        connection.rollback()


def test_a_delete_waits_for_the_transaction_that_awarded(refs_app, world):
    """The statement's check locks the badge it names FOR KEY SHARE, as a foreign key would: a
    DELETE of that badge waits for the awarding transaction (here, gives up after 200 ms)."""
    with refs_app.app_context(), db.engine.connect() as awarding, db.engine.connect() as deleting:
        awarding.execute(
            INSERT_AWARD,
            {
                "badge": world["badge"],
                "holder": world["volunteer"],
                "period": "2031-03",
                "community": world["community"],
            },
        )
        deleting.execute(sa.text("SET lock_timeout = '200ms'"))
        with pytest.raises(sa.exc.OperationalError) as waited:
            deleting.execute(sa.text("DELETE FROM badges WHERE id = :id"), {"id": world["badge"]})
        assert waited.value.orig.sqlstate == "55P03"  # lock_not_available
        deleting.rollback()
        awarding.rollback()


def test_ledger_check_finds_entries_whose_posting_is_missing(refs_app, world):
    """What the trigger refuses, ``ledger check`` would still find (here written with the
    session's triggers off, as a restore without them could)."""
    pool, wallet = world["accounts"]
    with refs_app.app_context():
        assert service.check().ok
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        missing = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) + 1000 FROM postings"))
        db.session.execute(
            sa.text(
                "INSERT INTO entries (posting_id, account_id, amount, created_at)"
                " VALUES (:p, :pool, -5, now()), (:p, :wallet, 5, now())"
            ),
            {"p": missing, "pool": pool, "wallet": wallet},
        )
        report = service.check()
        db.session.rollback()
        assert not report.ok
        assert report.unbalanced_postings == [missing]
