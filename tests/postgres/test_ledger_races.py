"""Postings racing on PostgreSQL: the unique key makes one posting of an event, the balance CHECK
stops the debit that would overdraw, account-id order keeps opposite transfers from deadlocking,
and the triggers refuse an unbalanced posting even from raw SQL (its lines, by the statement that
writes them; a posting without lines, at COMMIT)."""

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.errors import DomainError
from coop.extensions import db
from coop.ledger import errors, service
from coop.ledger.models import Account, AccountType, Posting, PostingKind
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app
from tests.postgres.test_claim_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

THREADS = 40


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    app = make_app(
        _database_url("ledger", tmp_path_factory.mktemp("ledger")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def wallets(n: int, points: int) -> tuple[int, list[int]]:
    """A community and n volunteer accounts holding ``points`` each, committed; their ids."""
    community = factories.make_community()
    pool = service.account_for(AccountType.POOL, community.id)
    ids = []
    for _ in range(n):
        account = service.account_for(
            AccountType.VOLUNTEER, community.id, factories.make_volunteer(community).id
        )
        if not points:
            ids.append(account.id)
            continue
        service.post(
            key=f"test:fill:{account.id}",
            kind=PostingKind.HOURS,
            source_type="service_record",
            source_id=account.id,
            lines=[(pool, -points), (account, points)],
        )
        ids.append(account.id)
    db.session.commit()
    return community.id, ids


def transfer(key: str, lines: list[tuple[int, int]]):
    """A job: post ``lines`` (account id, amount) in its own unit of work."""

    def job():
        try:
            with unit_of_work():
                posting, created = service.post(
                    key=key,
                    kind=PostingKind.ADJUSTMENT,
                    source_type="test",
                    source_id=1,
                    lines=[(db.session.get(Account, a), amount) for a, amount in lines],
                )
                outcome = ("posted" if created else "replayed", posting.id)
        except sa.exc.OperationalError as error:  # a deadlock would land here
            return (type(error.orig).__name__, None)
        return outcome

    return job


def balances(*account_ids: int) -> list[int]:
    return [db.session.get(Account, a).balance for a in account_ids]


def test_twenty_racing_openers_get_one_account(race_app):
    with race_app.app_context():
        community = factories.make_community()
        ids = (community.id, factories.make_volunteer(community).id)
        db.session.commit()

    def open_account():
        with unit_of_work():
            account = service.account_for(AccountType.VOLUNTEER, *ids)
            return account.id

    outcomes = race(race_app, [open_account] * 20)

    assert len(set(outcomes)) == 1 and None not in outcomes


def test_twenty_racing_posts_of_one_key_make_one_posting(race_app):
    with race_app.app_context():
        community_id, (wallet,) = wallets(1, 0)
        pool = service.account_for(AccountType.POOL, community_id).id

    outcomes = race(
        race_app, [transfer("hours:service_record:1", [(pool, -10), (wallet, 10)])] * 20
    )

    assert [kind for kind, _ in outcomes].count("posted") == 1
    assert [kind for kind, _ in outcomes].count("replayed") == 19
    assert len({posting_id for _, posting_id in outcomes}) == 1
    with race_app.app_context():
        assert balances(wallet) == [10]
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    Posting.idempotency_key == "hours:service_record:1"
                )
            )
            == 1
        )


def test_thirty_debits_of_ten_from_a_hundred_exactly_ten_succeed(race_app):
    with race_app.app_context():
        community_id, (wallet,) = wallets(1, 100)
        shop = service.account_for(AccountType.SUPERMARKET, community_id).id
        db.session.commit()

    outcomes = race(
        race_app,
        [transfer(f"test:debit:{wallet}:{i}", [(wallet, -10), (shop, 10)]) for i in range(30)],
    )

    found = [o.code if isinstance(o, DomainError) else o[0] for o in outcomes]
    assert found.count("posted") == 10
    assert found.count(errors.InsufficientPoints.code) == 20
    with race_app.app_context():
        assert balances(wallet, shop) == [0, 100]
        report = service.check()
        assert report.ok, report


def test_transfers_in_opposite_orders_do_not_deadlock(race_app):
    with race_app.app_context():
        _, (a, b) = wallets(2, 1000)

    jobs = [
        transfer(f"test:swap:{a}:{i}", [(a, -1), (b, 1)] if i % 2 else [(b, -1), (a, 1)])
        for i in range(THREADS)
    ]
    outcomes = race(race_app, jobs)

    assert [kind for kind, _ in outcomes] == ["posted"] * THREADS
    with race_app.app_context():
        assert balances(a, b) == [1000, 1000]
        report = service.check()
        assert report.ok, report


def _insert_posting(connection, key: str) -> int:
    return connection.execute(
        sa.text(
            "INSERT INTO postings (idempotency_key, kind, source_type, source_id, memo,"
            " created_at) VALUES (:key, 'adjustment', 'test', 1, '', now()) RETURNING id"
        ),
        {"key": key},
    ).scalar_one()


@pytest.mark.parametrize(
    "amounts", [(7,), (), (-5, 4), (-5, 5, 1)], ids=["one", "none", "unbalanced", "split"]
)
def test_database_refuses_an_unbalanced_posting_even_from_raw_sql(race_app, amounts):
    """Lines that do not balance are refused by the statement that writes them (each line its
    own statement here: a posting's lines go in one statement); a posting with none at COMMIT."""
    with race_app.app_context():
        _, (wallet,) = wallets(1, 10)
        key = f"test:raw:{wallet}"
        with db.engine.connect() as connection:
            posting_id = _insert_posting(connection, key)
            with pytest.raises(sa.exc.IntegrityError) as refused:
                for amount in amounts:
                    connection.execute(
                        sa.text(
                            "INSERT INTO entries (posting_id, account_id, amount, created_at)"
                            " VALUES (:posting, :account, :amount, now())"
                        ),
                        {"posting": posting_id, "account": wallet, "amount": amount},
                    )
                connection.commit()
        assert refused.value.orig.diag.constraint_name == "ledger_posting_balanced"
        assert (
            db.session.scalar(sa.select(Posting.id).where(Posting.idempotency_key == key)) is None
        )


def test_database_refuses_an_entry_added_later_to_a_balanced_posting(race_app):
    with race_app.app_context():
        _, (wallet,) = wallets(1, 10)
        posting_id = db.session.scalar(
            sa.select(Posting.id).where(Posting.idempotency_key == f"test:fill:{wallet}")
        )
        with db.engine.connect() as connection, pytest.raises(sa.exc.IntegrityError) as refused:
            connection.execute(
                sa.text(
                    "INSERT INTO entries (posting_id, account_id, amount, created_at)"
                    " VALUES (:posting, :account, 5, :at)"
                ),
                {"posting": posting_id, "account": wallet, "at": utcnow()},
            )
        assert refused.value.orig.diag.constraint_name == "ledger_posting_balanced"


def test_database_refuses_to_truncate_the_ledger(race_app):
    with race_app.app_context(), db.engine.connect() as connection:
        with pytest.raises(sa.exc.IntegrityError) as refused:
            connection.execute(sa.text("TRUNCATE entries"))
        assert refused.value.orig.diag.constraint_name == "ledger_append_only"
        connection.rollback()
