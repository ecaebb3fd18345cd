"""The points ledger on whichever engine DATABASE_URL names: postings balance, keys post once,
balances never go below zero, and the database itself refuses to rewrite history."""

import pytest
import sqlalchemy as sa

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import errors, service
from coop.ledger.models import Account, AccountType, Entry, Posting, PostingKind
from tests.factories import make_community, make_unit, make_volunteer

HOURS = PostingKind.HOURS


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def pool(community):
    return service.account_for(AccountType.POOL, community.id)


@pytest.fixture
def supermarket(community):
    return service.account_for(AccountType.SUPERMARKET, community.id)


@pytest.fixture
def wallet(community):
    """A volunteer's account holding 30 points from the pool."""
    account = service.account_for(AccountType.VOLUNTEER, community.id, make_volunteer(community).id)
    issue(community, account, 30)
    return account


def issue(community, account, points, key=None, source_id=1):
    """Credit ``account`` from the community's pool, as verified hours would."""
    pool = service.account_for(AccountType.POOL, community.id)
    return service.post(
        key=key or f"test:issue:{account.id}:{points}:{source_id}",
        kind=HOURS,
        source_type="service_record",
        source_id=source_id,
        lines=[(pool, -points), (account, points)],
    )


def spend(account, supermarket, points, key="test:spend"):
    return service.post(
        key=key,
        kind=PostingKind.PICKUP,
        source_type="redemption",
        source_id=1,
        lines=[(account, -points), (supermarket, points)],
    )


def stored_balance(account) -> int:
    return db.session.scalar(sa.select(Account.balance).where(Account.id == account.id))


def postings_with_key(key: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Posting.idempotency_key == key))


def test_a_posting_moves_points_and_the_pool_runs_negative(community, pool, wallet):
    posting, created = issue(community, wallet, 20, source_id=2)
    assert created
    assert sorted(e.amount for e in posting.entries) == [-20, 20]
    assert (wallet.balance, pool.balance) == (50, -50)
    assert service.balance_of(wallet) == stored_balance(wallet) == 50
    assert service.balance_of(pool) == -50


def test_an_account_is_opened_once_per_type_owner_and_community(community):
    volunteer = make_volunteer(community)
    first = service.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    again = service.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    held = service.account_for(AccountType.HOLD, community.id, volunteer.id)
    elsewhere = service.account_for(AccountType.VOLUNTEER, make_community().id, volunteer.id)
    assert first is again and held.id != first.id
    assert service.accounts_for_owner(AccountType.VOLUNTEER, volunteer.id) == [first, elsewhere]
    assert service.accounts_for_owner(AccountType.HOLD, volunteer.id) == [held]
    pool = service.account_for(AccountType.POOL, community.id)
    assert service.account_for(AccountType.POOL, community.id) is pool


@pytest.mark.parametrize(
    ("type_", "owner"),
    [(AccountType.POOL, 1), (AccountType.SUPERMARKET, 1), (AccountType.VOLUNTEER, None)],
)
def test_only_volunteer_unit_and_hold_accounts_have_an_owner(community, type_, owner):
    with pytest.raises(ValueError):
        service.account_for(type_, community.id, owner)


def test_the_database_refuses_a_second_pool_for_a_community(community, pool):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(Account(type=AccountType.POOL, community_id=community.id, balance=0))
        db.session.flush()


@pytest.mark.parametrize(
    "amounts",
    [(-10, 9), (10,), (0, 0), (-10, 10, 0), (-1.5, 1.5)],
    ids=["unbalanced", "one line", "zeros", "a zero line", "not integers"],
)
def test_lines_must_be_non_zero_integers_that_sum_to_zero(community, pool, wallet, amounts):
    accounts = [pool, wallet, pool]
    lines = list(zip(accounts, amounts, strict=False))
    with pytest.raises(ValueError):
        service.post(key="test:bad", kind=HOURS, source_type="t", source_id=1, lines=lines)
    assert postings_with_key("test:bad") == 0
    assert (stored_balance(pool), stored_balance(wallet)) == (-30, 30)


def test_points_stay_in_their_community(community, pool):
    other = make_community()
    unit = service.account_for(AccountType.UNIT, other.id, make_unit(other).id)
    with pytest.raises(ValueError, match="communities"):
        service.post(
            key="test:x", kind=HOURS, source_type="t", source_id=1, lines=[(pool, -5), (unit, 5)]
        )


def test_the_same_key_posts_once(community, pool, wallet):
    first, created = issue(community, wallet, 10, key="hours:service_record:7")
    again, created_again = issue(community, wallet, 10, key="hours:service_record:7")
    assert (created, created_again) == (True, False)
    assert again is first
    assert postings_with_key("hours:service_record:7") == 1
    assert (stored_balance(wallet), stored_balance(pool)) == (40, -40)


def test_a_key_reused_for_another_event_is_a_bug(community, wallet):
    issue(community, wallet, 10, key="hours:service_record:8", source_id=8)
    with pytest.raises(ValueError, match="already posted"):
        issue(community, wallet, 10, key="hours:service_record:8", source_id=9)


def test_insufficient_points_are_refused_and_nothing_changes(wallet, supermarket):
    with pytest.raises(errors.InsufficientPoints) as refused:
        spend(wallet, supermarket, 31)
    assert refused.value.code == "insufficient_points" and refused.value.status == 409
    assert postings_with_key("test:spend") == 0
    assert (wallet.balance, stored_balance(wallet), stored_balance(supermarket)) == (30, 30, 0)
    # The refusal rolled back its savepoint only: the same transaction carries on.
    posting, created = spend(wallet, supermarket, 30)
    assert created and posting.idempotency_key == "test:spend"
    assert (wallet.balance, supermarket.balance) == (0, 30)


def test_points_held_for_a_reservation_leave_the_spendable_balance(community, wallet):
    hold = service.account_for(AccountType.HOLD, community.id, wallet.owner_id)
    service.post(
        key="test:reserve",
        kind=PostingKind.RESERVE,
        source_type="redemption",
        source_id=1,
        lines=[(wallet, -25), (hold, 25)],
    )
    with pytest.raises(errors.InsufficientPoints):
        spend(wallet, service.account_for(AccountType.SUPERMARKET, community.id), 10)
    assert (wallet.balance, hold.balance) == (5, 25)


def test_the_database_refuses_a_negative_balance_outside_the_pool(pool, wallet):
    with pytest.raises(sa.exc.IntegrityError) as refused, db.session.begin_nested():
        db.session.execute(
            sa.text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": wallet.id}
        )
    assert "balance_not_negative" in str(refused.value)
    db.session.execute(
        sa.text("UPDATE accounts SET balance = balance - 1 WHERE id = :id"), {"id": pool.id}
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET amount = amount * 2",
        "DELETE FROM entries",
        "UPDATE postings SET memo = 'edited'",
        "DELETE FROM postings",
    ],
)
def test_the_database_refuses_to_rewrite_history(wallet, statement):
    with pytest.raises(sa.exc.IntegrityError) as refused, db.session.begin_nested():
        db.session.execute(sa.text(statement))
    assert "append-only" in str(refused.value)
    assert (
        db.session.scalar(sa.select(sa.func.sum(Entry.amount)).where(Entry.account_id == wallet.id))
        == 30
    )


def test_entries_come_newest_first_with_their_posting(community, wallet, count_queries):
    issue(community, wallet, 5, key="test:later")
    entries = db.session.scalars(service.entries_select([wallet.id])).all()
    assert [e.amount for e in entries] == [5, 30]
    with count_queries() as counted:
        sources = [(e.posting.kind, e.posting.source_type, e.account.type) for e in entries]
    assert counted.n == 0 and sources[0] == (HOURS, "service_record", AccountType.VOLUNTEER)


def test_check_passes_a_ledger_kept_by_the_service(community, pool, wallet, supermarket):
    spend(wallet, supermarket, 12)
    report = service.check()
    assert report.ok, report
    assert report.postings >= 2 and report.entries >= 4 and report.accounts >= 3


def test_check_finds_a_balance_edited_behind_the_ledgers_back(wallet):
    db.session.execute(
        sa.text("UPDATE accounts SET balance = balance + 5 WHERE id = :id"), {"id": wallet.id}
    )
    report = service.check()
    assert (wallet.id, 35, 30) in report.drifted_accounts
    assert not report.ok


def _raw_posting(key: str, lines: list[tuple[int, int]]) -> int:
    """A posting written in SQL, past the service, its lines in one statement (PostgreSQL
    checks they balance at the end of it, and that the posting has lines at COMMIT)."""
    posting_id = db.session.execute(
        sa.insert(Posting.__table__).returning(Posting.__table__.c.id),
        {
            "idempotency_key": key,
            "kind": "adjustment",
            "source_type": "test",
            "source_id": 1,
            "memo": "",
            "created_at": utcnow(),
        },
    ).scalar_one()
    if lines:
        db.session.execute(
            sa.insert(Entry.__table__).values(
                [
                    {"posting_id": posting_id, "account_id": account_id, "amount": amount}
                    for account_id, amount in lines
                ]
            )
        )
    return posting_id


def test_check_finds_an_unbalanced_posting_written_in_sql(wallet):
    if db.session.get_bind().dialect.name == "postgresql":
        # Books damaged past the database's own check (say, restored from an old dump): the
        # test's transaction is rolled back, the trigger with it.
        db.session.execute(sa.text("ALTER TABLE entries DISABLE TRIGGER entries_balanced"))
    unbalanced = _raw_posting("test:raw", [(wallet.id, 7)])
    empty = _raw_posting("test:empty", [])
    report = service.check()
    assert unbalanced in report.unbalanced_postings and empty in report.unbalanced_postings
    assert (wallet.id, 30, 37) in report.drifted_accounts


def test_check_finds_a_volunteer_below_zero(wallet, supermarket):
    _raw_posting("test:overdrawn", [(wallet.id, -50), (supermarket.id, 50)])
    report = service.check()
    assert (wallet.id, -20) in report.negative_user_accounts
    assert report.unbalanced_postings == []


def test_ledger_check_command_reports_and_exits_nonzero_when_wrong(app, wallet):
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["ledger", "check"])
    assert clean.exit_code == 0, clean.output
    assert "postings" in clean.output and "ledger OK" in clean.output

    db.session.execute(
        sa.text("UPDATE accounts SET balance = 99 WHERE id = :id"), {"id": wallet.id}
    )
    wrong = runner.invoke(args=["ledger", "check"])
    assert wrong.exit_code == 1
    assert f"account {wallet.id}: cached 99, entries sum to 30" in wrong.output
    assert "(drifted balances): 1" in wrong.output and "ledger NOT OK" in wrong.output
