"""ledger.bulk.post_many: many balanced postings in a few statements, once per key, with balances
that equal the entries, on whichever engine DATABASE_URL names."""

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.ledger import bulk, errors, service
from coop.ledger.models import Account, AccountType, Entry, Posting, PostingKind
from tests.factories import make_community, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def pool(community):
    return service.account_for(AccountType.POOL, community.id)


@pytest.fixture
def wallets(community):
    return [
        service.account_for(AccountType.VOLUNTEER, community.id, make_volunteer(community).id)
        for _ in range(3)
    ]


def bonus(key, pool, wallet, points, source_id=1):
    return bulk.NewPosting(
        key=key,
        kind=PostingKind.BADGE,
        source_type="badge_award",
        source_id=source_id,
        lines=[(pool.id, -points), (wallet.id, points)],
        memo="bonus",
    )


def balances_match_entries():
    sums = dict(
        db.session.execute(
            sa.select(Entry.account_id, sa.func.sum(Entry.amount)).group_by(Entry.account_id)
        ).all()
    )
    for account_id, balance in db.session.execute(sa.select(Account.id, Account.balance)):
        assert balance == int(sums.get(account_id, 0)), account_id


def test_posts_many_and_balances_equal_the_entries(pool, wallets):
    batch = [
        bonus(f"t:{i}", pool, wallet, 5 * (i + 1), source_id=i)
        for i, wallet in enumerate(wallets + wallets)
    ]
    ids = bulk.post_many(batch)
    db.session.commit()
    assert len(ids) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 12
    balances_match_entries()
    assert pool.balance == -sum(5 * (i + 1) for i in range(6))  # the loaded objects follow
    assert [w.balance for w in wallets] == [5 + 20, 10 + 25, 15 + 30]
    assert service.check().ok


def test_rerunning_posts_nothing_twice(pool, wallets):
    batch = [bonus(f"t:{i}", pool, w, 7, source_id=i) for i, w in enumerate(wallets)]
    assert len(bulk.post_many(batch)) == 3
    assert bulk.post_many(batch) == []
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 3
    assert pool.balance == -21
    balances_match_entries()
    assert service.check().ok


def test_a_key_already_used_is_skipped(pool, wallets):
    first, second = wallets[:2]
    service.post(
        key="t:used",
        kind=PostingKind.BADGE,
        source_type="badge_award",
        source_id=1,
        lines=[(pool, -3), (first, 3)],
    )
    ids = bulk.post_many([bonus("t:used", pool, first, 3), bonus("t:new", pool, second, 4)])
    db.session.commit()
    assert len(ids) == 1
    assert db.session.scalar(sa.select(Posting.idempotency_key).where(Posting.id == ids[0])) == (
        "t:new"
    )
    assert (first.balance, second.balance, pool.balance) == (3, 4, -7)
    balances_match_entries()
    assert service.check().ok


def test_a_debit_below_zero_posts_nothing(pool, wallets, community):
    supermarket = service.account_for(AccountType.SUPERMARKET, community.id)
    wallet = wallets[0]
    ok = bonus("t:credit", pool, wallet, 5)
    overdraw = bulk.NewPosting(
        key="t:overdraw",
        kind=PostingKind.PICKUP,
        source_type="redemption",
        source_id=1,
        lines=[(wallet.id, -50), (supermarket.id, 50)],
    )
    with pytest.raises(errors.InsufficientPoints):
        bulk.post_many([ok, overdraw])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 0
    balances_match_entries()


@pytest.mark.parametrize(
    "lines",
    [
        [(0, -5)],  # one line
        [(0, -5), (1, 4)],  # unbalanced
        [(0, -5), (1, 5.0)],  # not integers
    ],
)
def test_bad_postings_are_refused(pool, wallets, lines):
    accounts = [pool, wallets[0]]
    posting = bulk.NewPosting(
        key="t:bad",
        kind=PostingKind.BADGE,
        source_type="badge_award",
        source_id=1,
        lines=[(accounts[i].id, amount) for i, amount in lines],
    )
    with pytest.raises(ValueError):
        bulk.post_many([posting])


def test_a_key_given_twice_or_communities_mixed_is_refused(pool, wallets):
    with pytest.raises(ValueError, match="twice"):
        bulk.post_many([bonus("t:x", pool, wallets[0], 1), bonus("t:x", pool, wallets[1], 1)])
    other = make_community()
    elsewhere = service.account_for(AccountType.VOLUNTEER, other.id, make_volunteer(other).id)
    with pytest.raises(ValueError, match="mixes communities"):
        bulk.post_many([bonus("t:y", pool, elsewhere, 1)])
