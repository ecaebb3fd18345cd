"""积分账本: opening accounts, posting points between them, checking the books.

Balances change only through ``post``: one atomic ``UPDATE … SET balance = balance + :amount`` per
account, in account-id order, so two postings over the same accounts lock them in the same order
and cannot deadlock. The CHECK on ``accounts.balance`` refuses a debit below zero even when debits
race (PostgreSQL re-evaluates the UPDATE on the winner's row); the unique idempotency key makes a
repeated or racing posting of the same event a no-op. Like every service, this flushes and never
commits; a unit of work that posts several times should post in a stable order too.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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
    "NewPosting",
    "account_for",
    "accounts_for_owner",
    "balance_of",
    "check",
    "entries_select",
    "post",
    "post_many",
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


@dataclass(frozen=True)
class NewPosting:
    """One posting for ``post_many``: like ``post``'s arguments, with lines by account id."""

    key: str
    kind: PostingKind
    source_type: str
    source_id: int
    lines: Sequence[tuple[int, int]]  # (account id, amount): + credits, − debits
    memo: str = ""
    actor_id: int | None = None


POST_MANY_CHUNK = 2000  # rows per multi-row INSERT (SQLite takes 32,766 parameters)


def post_many(postings: Sequence[NewPosting]) -> list[int]:
    """Post many balanced postings in a few statements, all or none: the postings in multi-row
    INSERTs that skip keys already posted (``ON CONFLICT DO NOTHING``), then their entries, then
    each account's balance once, from a GROUP BY of the new entries, the accounts locked lowest
    id first. Keys already posted (earlier or by a racing transaction) are skipped whatever
    event they were for: unlike ``post``, this does not compare them. Returns the new postings'
    ids.

    :raise InsufficientPoints: an account other than the pool would go below zero; nothing is
        posted.
    :raise ValueError: as for ``post``, or a key given twice.
    """
    if not postings:
        return []
    _checked_many(postings)
    now = utcnow()
    entry_table, account_table = Entry.__table__, Account.__table__
    dialect = db.session.get_bind().dialect.name
    by_key = {p.key: p for p in postings}
    with db.session.begin_nested():
        new = _insert_postings(postings, now, dialect)
        if not new:
            return []
        _insert_entries(
            [
                (posting_id, account_id, amount)
                for key, posting_id in new.items()
                for account_id, amount in by_key[key].lines
            ],
            now,
            dialect,
        )
        ids = sorted(new.values())
        if dialect == "postgresql":
            new_ids = sa.select(
                sa.func.unnest(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.BigInteger)))
            )
        else:
            new_ids = sa.select(sa.column("value")).select_from(
                sa.func.json_each(sa.bindparam("ids", json.dumps(ids), type_=sa.String))
            )
        moved = (
            sa.select(entry_table.c.account_id, sa.func.sum(entry_table.c.amount).label("total"))
            .where(entry_table.c.posting_id.in_(new_ids))
            .group_by(entry_table.c.account_id)
            .subquery()
        )
        if dialect == "postgresql":  # SQLite locks the whole database anyway
            db.session.execute(
                sa.select(account_table.c.id)
                .where(account_table.c.id.in_(sa.select(moved.c.account_id)))
                .order_by(account_table.c.id)
                .with_for_update()
            ).all()
        try:
            changed = db.session.execute(
                sa.update(account_table)
                .where(account_table.c.id == moved.c.account_id, moved.c.total != 0)
                .values(balance=account_table.c.balance + moved.c.total)
                .returning(account_table.c.id, account_table.c.balance)
            ).all()
        except sa.exc.IntegrityError as error:
            raise errors.InsufficientPoints() from error
    for account_id, balance in changed:
        account = db.session.identity_map.get(db.session.identity_key(Account, account_id))
        if account is not None:
            set_committed_value(account, "balance", balance)
    return ids


# PostgreSQL takes each column as one array parameter: a statement of a few parameters
# however many rows, instead of a VALUES list that the client renders and the server parses.
PG_INSERT_POSTINGS = sa.text(
    "INSERT INTO postings"
    " (idempotency_key, kind, source_type, source_id, memo, actor_id, created_at)"
    " SELECT k, kind, st, sid, memo, actor, :now"
    " FROM unnest(CAST(:keys AS varchar[]), CAST(:kinds AS varchar[]), CAST(:types AS varchar[]),"
    " CAST(:sources AS integer[]), CAST(:memos AS text[]), CAST(:actors AS integer[]))"
    " AS l(k, kind, st, sid, memo, actor)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key"
).bindparams(sa.bindparam("now", type_=Posting.__table__.c.created_at.type))
PG_INSERT_ENTRIES = sa.text(
    "INSERT INTO entries (posting_id, account_id, amount, created_at)"
    " SELECT pid, aid, amount, :now"
    " FROM unnest(CAST(:postings AS integer[]), CAST(:accounts AS integer[]),"
    " CAST(:amounts AS bigint[])) AS l(pid, aid, amount)"
).bindparams(sa.bindparam("now", type_=Entry.__table__.c.created_at.type))


def _insert_postings(postings: Sequence[NewPosting], now, dialect: str) -> dict[str, int]:
    """Insert the postings whose keys are free; returns their ids by key."""
    new: dict[str, int] = {}
    for start in range(0, len(postings), POST_MANY_CHUNK):
        chunk = postings[start : start + POST_MANY_CHUNK]
        if dialect == "postgresql":
            result = db.session.execute(
                PG_INSERT_POSTINGS,
                {
                    "now": now,
                    "keys": [p.key for p in chunk],
                    "kinds": [PostingKind(p.kind).value for p in chunk],
                    "types": [p.source_type for p in chunk],
                    "sources": [p.source_id for p in chunk],
                    "memos": [p.memo for p in chunk],
                    "actors": [p.actor_id for p in chunk],
                },
            )
        else:
            table = Posting.__table__
            result = db.session.execute(
                sqlite.insert(table)
                .values(
                    [
                        {
                            "idempotency_key": p.key,
                            "kind": PostingKind(p.kind),
                            "source_type": p.source_type,
                            "source_id": p.source_id,
                            "memo": p.memo,
                            "actor_id": p.actor_id,
                            "created_at": now,
                        }
                        for p in chunk
                    ]
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(table.c.id, table.c.idempotency_key)
            )
        new.update((key, id_) for id_, key in result.all())
    return new


def _insert_entries(rows: list[tuple[int, int, int]], now, dialect: str) -> None:
    """Insert (posting id, account id, amount) rows."""
    for start in range(0, len(rows), POST_MANY_CHUNK):
        chunk = rows[start : start + POST_MANY_CHUNK]
        if dialect == "postgresql":
            db.session.execute(
                PG_INSERT_ENTRIES,
                {
                    "now": now,
                    "postings": [r[0] for r in chunk],
                    "accounts": [r[1] for r in chunk],
                    "amounts": [r[2] for r in chunk],
                },
            )
        else:
            db.session.execute(
                sa.insert(Entry.__table__).values(
                    [
                        {"posting_id": pid, "account_id": aid, "amount": amount, "created_at": now}
                        for pid, aid, amount in chunk
                    ]
                )
            )


def _checked_many(postings: Sequence[NewPosting]) -> None:
    """:raise ValueError: see post_many."""
    keys: set[str] = set()
    account_ids: set[int] = set()
    for p in postings:
        if p.key in keys:
            raise ValueError(f"idempotency key {p.key!r} given twice")
        keys.add(p.key)
        if not p.key or len(p.key) > MAX_KEY_LENGTH:
            raise ValueError(f"idempotency key must have 1–{MAX_KEY_LENGTH} characters: {p.key!r}")
        if len(p.lines) < 2:
            raise ValueError(f"posting {p.key!r} needs at least two lines")
        total = 0
        for account_id, amount in p.lines:
            if type(amount) is not int or amount == 0:
                raise ValueError(f"line amounts are non-zero integers, not {amount!r}")
            total += amount
            account_ids.add(account_id)
        if total != 0:
            raise ValueError(f"unbalanced posting {p.key!r}: lines sum to {total}")
    community_of: dict[int, int] = {}
    ordered = sorted(account_ids)
    for start in range(0, len(ordered), POST_MANY_CHUNK):
        chunk = ordered[start : start + POST_MANY_CHUNK]
        community_of.update(
            db.session.execute(
                sa.select(Account.id, Account.community_id).where(
                    Account.id
                    == sa.any_(sa.bindparam(None, chunk, type_=postgresql.ARRAY(sa.Integer)))
                    if db.session.get_bind().dialect.name == "postgresql"
                    else Account.id.in_(chunk)
                )
            ).all()
        )
    for p in postings:
        communities = set()
        for account_id, _amount in p.lines:
            if account_id not in community_of:
                raise ValueError(f"posting {p.key!r}: no account {account_id}")
            communities.add(community_of[account_id])
        if len(communities) != 1:
            raise ValueError(f"posting {p.key!r} mixes communities; points stay in their community")


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
    unbalanced_postings: list[int]  # posting ids whose entries do not sum to zero (or are none)
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
    unbalanced = db.session.scalars(
        sa.select(Posting.id)
        .outerjoin(per_posting, per_posting.c.posting_id == Posting.id)
        .where(sa.or_(per_posting.c.total.is_(None), per_posting.c.total != 0))
        .order_by(Posting.id)
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
