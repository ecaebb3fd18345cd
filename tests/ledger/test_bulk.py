"""ledger.bulk: many balanced postings in a few statements (post_many), pool credits from a SELECT
(credit_from_pool) and accounts opened in bulk (open_accounts), once per key, with balances that
equal the entries, on whichever engine DATABASE_URL names."""

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


def credits(*rows):
    """A SELECT of (key, source_id, memo, owner_id, amount) rows, as a job would write one."""
    return sa.union_all(
        *(
            sa.select(
                sa.literal(key, sa.String).label("key"),
                sa.literal(source_id, sa.Integer).label("source_id"),
                sa.literal(memo, sa.String).label("memo"),
                sa.literal(owner_id, sa.Integer).label("owner_id"),
                sa.literal(amount, sa.Integer).label("amount"),
            )
            for key, source_id, memo, owner_id, amount in rows
        )
    ).subquery()


def test_credits_from_the_pool_open_missing_accounts_and_post_each_key_once(community, pool):
    first, second = make_volunteer(community), make_volunteer(community)
    opened = service.account_for(AccountType.VOLUNTEER, community.id, first.id)
    rows = credits(
        ("t:a", 1, "月月红", first.id, 5),
        ("t:b", 2, "月度志愿之星·银", first.id, 10),
        ("t:c", 3, "月月红", second.id, 5),
    )
    made = bulk.credit_from_pool(
        community.id, sa.select(rows), kind=PostingKind.BADGE, source_type="badge_award"
    )
    db.session.commit()
    assert made == 3
    theirs = service.account_for(AccountType.VOLUNTEER, community.id, second.id)
    assert (opened.balance, theirs.balance, pool.balance) == (15, 5, -20)
    posted = db.session.execute(
        sa.select(Posting.idempotency_key, Posting.source_id, Posting.memo, Posting.kind).order_by(
            Posting.idempotency_key
        )
    ).all()
    assert posted == [
        ("t:a", 1, "月月红", PostingKind.BADGE),
        ("t:b", 2, "月度志愿之星·银", PostingKind.BADGE),
        ("t:c", 3, "月月红", PostingKind.BADGE),
    ]
    lines = db.session.execute(
        sa.select(Entry.posting_id, sa.func.count(), sa.func.sum(Entry.amount)).group_by(
            Entry.posting_id
        )
    ).all()
    assert all(n == 2 and total == 0 for _posting, n, total in lines)
    balances_match_entries()
    assert service.check().ok

    again = bulk.credit_from_pool(
        community.id,
        sa.select(credits(("t:a", 1, "月月红", first.id, 5), ("t:d", 4, "月月红", first.id, 5))),
        kind=PostingKind.BADGE,
        source_type="badge_award",
    )
    db.session.commit()
    assert again == 1  # t:a was paid already
    assert (opened.balance, pool.balance) == (20, -25)
    balances_match_entries()


def test_no_rows_post_nothing(community, pool):
    rows = credits(("t:none", 1, "", make_volunteer(community).id, 5))
    nothing = sa.select(rows).where(sa.false())
    made = bulk.credit_from_pool(
        community.id, nothing, kind=PostingKind.BADGE, source_type="badge_award"
    )
    assert made == 0 and pool.balance == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 0


def test_open_accounts_opens_only_the_missing_ones(community):
    volunteers = [make_volunteer(community) for _ in range(3)]
    had = service.account_for(AccountType.VOLUNTEER, community.id, volunteers[0].id)
    ids = [v.id for v in volunteers]
    owners = sa.union_all(*(sa.select(sa.literal(i, sa.Integer).label("owner_id")) for i in ids))
    bulk.open_accounts(AccountType.VOLUNTEER, community.id, sa.select(owners.subquery()))
    bulk.open_accounts(AccountType.VOLUNTEER, community.id, sa.select(owners.subquery()))
    found = db.session.execute(
        sa.select(Account.owner_id, Account.id, Account.balance).where(
            Account.type == AccountType.VOLUNTEER, Account.community_id == community.id
        )
    ).all()
    assert sorted(owner for owner, _id, _balance in found) == sorted(ids)
    assert (volunteers[0].id, had.id, 0) in found


def test_a_postings_lines_are_never_split_between_statements(pool, wallets, monkeypatch):
    """PostgreSQL checks that postings balance at the end of each statement writing lines."""
    monkeypatch.setattr(bulk, "POST_MANY_CHUNK", 5)
    first, second = wallets[:2]
    batch = [
        bulk.NewPosting(
            key=f"t:three:{i}",
            kind=PostingKind.BADGE,
            source_type="badge_award",
            source_id=i,
            lines=[(pool.id, -2), (first.id, 1), (second.id, 1)],
        )
        for i in range(4)
    ]
    assert len(bulk.post_many(batch)) == 4
    db.session.commit()
    assert (first.balance, second.balance, pool.balance) == (4, 4, -8)
    balances_match_entries()
