"""积分账本: opening accounts, posting points between them, checking the books.

Balances change only through ``post`` (and its bulk forms in ``coop.ledger.bulk``): one atomic ``UPDATE … SET balance = balance + :amount`` per
account, in account-id order, so two postings over the same accounts lock them in the same order
and cannot deadlock. The CHECK on ``accounts.balance`` refuses a debit below zero even when debits
race (PostgreSQL re-evaluates the UPDATE on the winner's row); the unique idempotency key makes a
repeated or racing posting of the same event a no-op. Like every service, this flushes and never
commits; a unit of work that posts several times should post in a stable order too.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import errors
from coop.ledger.models import (
    COMMUNITY_LEVEL,
    MAX_KEY_LENGTH,
    Account,
    AccountType,
    Entry,
    Posting,
    PostingKind,
)
from coop.ledger.queries import accounts_for_owner, balance_of, entries_select, find_account

__all__ = [
    "LedgerReport",
    "account_for",
    "accounts_for_owner",
    "balance_of",
    "check",
    "entries_select",
    "post",
]


def account_for(type: AccountType, community_id: int, owner_id: int | None = None) -> Account:
    """The account, opened on first use; two racing openers get the same one.

    :raise ValueError: an owner for the pool or supermarket, or none for the other types.
    """
    type = AccountType(type)
    if (type in COMMUNITY_LEVEL) != (owner_id is None):
        raise ValueError(f"{type} accounts {'have no' if owner_id else 'need an'} owner")
    account = find_account(type, community_id, owner_id)
    if account is not None:
        return account
    account = Account(type=type, community_id=community_id, owner_id=owner_id, balance=0)
    try:
        with db.session.begin_nested():
            db.session.add(account)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another transaction opened it first (the unique index waited for it to commit).
        account = find_account(type, community_id, owner_id)
        if account is None:
            raise
    return account


class _KeyTaken(Exception):
    pass


def post(
    *,
    key: str,
    kind: PostingKind,
    source_type: str,
    source_id: int,
    lines: Sequence[tuple[Account, int]],
    memo: str = "",
    actor_id: int | None = None,
) -> tuple[Posting, bool]:
    """Move points: the lines' amounts (+ credits, − debits) sum to zero. Once per ``key``.

    Returns ``(posting, True)``, or ``(the earlier posting, False)`` when the key was posted
    before or by a racing transaction that committed first; nothing changes then.

    :raise InsufficientPoints: an account other than the pool would go below zero; the posting
        is not made and no balance moves.
    :raise ValueError: unbalanced or zero lines, unsaved accounts, several communities, or a key
        already used for another event (all programming errors).
    """
    kind = PostingKind(kind)
    moves = _checked(key, lines)
    earlier = _posting_by_key(key)
    if earlier is not None:
        return _same_event(earlier, kind, source_type, source_id), False
    now = utcnow()
    try:
        with db.session.begin_nested():
            posting = Posting(
                idempotency_key=key,
                kind=kind,
                source_type=source_type,
                source_id=source_id,
                memo=memo,
                actor_id=actor_id,
                created_at=now,
            )
            db.session.add(posting)
            try:
                db.session.flush()
            except sa.exc.IntegrityError as error:
                raise _KeyTaken() from error
            _move_balances(moves)
            db.session.add_all(
                Entry(posting=posting, account_id=account.id, amount=amount, created_at=now)
                for account, amount in lines
            )
            db.session.flush()
    except _KeyTaken as taken:
        winner = _posting_by_key(key)
        if winner is None:  # not the key after all (e.g. an unknown actor_id)
            raise taken.__cause__ from None
        return _same_event(winner, kind, source_type, source_id), False
    return posting, True


def _checked(key: str, lines) -> dict[int, tuple[int, list[Account]]]:
    """Each account's net movement (and its objects, to refresh). :raise ValueError: see post."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"idempotency key must have 1–{MAX_KEY_LENGTH} characters: {key!r}")
    if len(lines) < 2:
        raise ValueError("a posting needs at least two lines")
    moves: dict[int, tuple[int, list[Account]]] = {}
    for account, amount in lines:
        if account.id is None:
            raise ValueError("post to accounts from account_for (this one is not saved)")
        if type(amount) is not int or amount == 0:
            raise ValueError(f"line amounts are non-zero integers, not {amount!r}")
        net, objects = moves.get(account.id, (0, []))
        moves[account.id] = (net + amount, [*objects, account])
    if sum(amount for _, amount in lines) != 0:
        raise ValueError(f"unbalanced posting {key!r}: lines sum to {sum(a for _, a in lines)}")
    if len({account.community_id for account, _ in lines}) != 1:
        raise ValueError(f"posting {key!r} mixes communities; points stay in their community")
    return moves


def _move_balances(moves: dict[int, tuple[int, list[Account]]]) -> None:
    """Apply each account's net amount atomically, lowest account id first (no deadlocks).

    :raise InsufficientPoints: the balance CHECK refused a debit.
    """
    table = Account.__table__
    for account_id in sorted(moves):
        amount, objects = moves[account_id]
        if amount == 0:
            continue
        try:
            balance = db.session.execute(
                sa.update(table)
                .where(table.c.id == account_id)
                .values(balance=table.c.balance + amount)
                .returning(table.c.balance)
            ).scalar_one()
        except sa.exc.IntegrityError as error:
            raise errors.InsufficientPoints() from error
        for account in objects:
            set_committed_value(account, "balance", balance)


def _posting_by_key(key: str) -> Posting | None:
    return db.session.scalar(sa.select(Posting).where(Posting.idempotency_key == key))


def _same_event(posting: Posting, kind: PostingKind, source_type: str, source_id: int):
    """:raise ValueError: the key was used for a different event (two features sharing keys)."""
    if (posting.kind, posting.source_type, posting.source_id) != (kind, source_type, source_id):
        raise ValueError(
            f"idempotency key {posting.idempotency_key!r} already posted {posting.kind}"
            f" for {posting.source_type}:{posting.source_id}"
        )
    return posting


@dataclass(frozen=True)
class LedgerReport:
    """What ``check`` found; ``ok`` when the books balance and every cache is true."""

    postings: int
    entries: int
    accounts: int
    # posting ids whose entries do not sum to zero (or are none), or that entries name but
    # that do not exist
    unbalanced_postings: list[int]
    drifted_accounts: list[tuple[int, int, int]]  # (account id, cached balance, sum of entries)
    negative_user_accounts: list[tuple[int, int]]  # (account id, sum of entries), pool excepted

    @property
    def ok(self) -> bool:
        return not (
            self.unbalanced_postings or self.drifted_accounts or self.negative_user_accounts
        )


def check() -> LedgerReport:
    """Recompute the books in SQL (GROUP BY, never a loop over rows): unbalanced postings,
    cached balances that differ from their entries, and accounts below zero other than a pool.

    Each finding comes from one statement, so it is consistent even while postings are made.
    """
    per_posting = (
        sa.select(Entry.posting_id, sa.func.sum(Entry.amount).label("total"))
        .group_by(Entry.posting_id)
        .subquery()
    )
    without_lines_or_unbalanced = (
        sa.select(Posting.id)
        .outerjoin(per_posting, per_posting.c.posting_id == Posting.id)
        .where(sa.or_(per_posting.c.total.is_(None), per_posting.c.total != 0))
    )
    # Entries whose posting does not exist: PostgreSQL checks that reference per statement, by
    # trigger (coop.references), so a restore without triggers could leave some.
    named_but_missing = sa.select(Entry.posting_id).where(
        ~sa.select(Posting.id).where(Posting.id == Entry.posting_id).exists()
    )
    unbalanced = db.session.scalars(
        sa.union(without_lines_or_unbalanced, named_but_missing).order_by(sa.literal_column("1"))
    ).all()
    per_account = (
        sa.select(Entry.account_id, sa.func.sum(Entry.amount).label("total"))
        .group_by(Entry.account_id)
        .subquery()
    )
    actual = sa.func.coalesce(per_account.c.total, 0)
    wrong = db.session.execute(
        sa.select(Account.id, Account.type, Account.balance, actual)
        .outerjoin(per_account, per_account.c.account_id == Account.id)
        .where(
            sa.or_(
                Account.balance != actual,
                sa.and_(Account.type != AccountType.POOL, actual < 0),
            )
        )
        .order_by(Account.id)
    ).all()
    return LedgerReport(
        postings=_count(Posting),
        entries=_count(Entry),
        accounts=_count(Account),
        unbalanced_postings=list(unbalanced),
        drifted_accounts=[
            (id_, cached, int(sum_)) for id_, _, cached, sum_ in wrong if cached != sum_
        ],
        negative_user_accounts=[
            (id_, int(sum_))
            for id_, type_, _, sum_ in wrong
            if type_ is not AccountType.POOL and sum_ < 0
        ],
    )


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
