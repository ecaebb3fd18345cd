"""积分账本 in bulk: a job's thousands of postings in a few statements.

The rules are ``service.post``'s: balanced lines, one community per posting, once per idempotency
key, balances that equal their entries, below zero only for the pool. Made set-based: postings
and entries go in with multi-row or ``INSERT … SELECT`` statements that skip keys posted before
or by a racing transaction (``ON CONFLICT DO NOTHING``), then each account's balance moves once,
by its total. The accounts are locked lowest id first, as ``post`` locks them, and with ``FOR NO
KEY UPDATE``, which lets other transactions' foreign-key checks on them through: a bulk posting
and single ones cannot deadlock. Flushes, never commits.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import errors
from coop.ledger.models import MAX_KEY_LENGTH, Account, AccountType, Entry, Posting, PostingKind
from coop.ledger.service import account_for


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
    INSERTs that skip keys already posted, then their entries, then each account's balance once.
    Keys already posted (earlier or by a racing transaction) are skipped whatever event they
    were for: unlike ``post``, this does not compare them. Returns the new postings' ids.

    :raise InsufficientPoints: an account other than the pool would go below zero; nothing is
        posted.
    :raise ValueError: as for ``post``, or a key given twice.
    """
    if not postings:
        return []
    _checked_many(postings)
    now = utcnow()
    dialect = _dialect()
    by_key = {p.key: p for p in postings}
    with db.session.begin_nested():
        new = _insert_postings(postings, now, dialect)
        lines = [
            [(posting_id, account_id, amount) for account_id, amount in by_key[key].lines]
            for key, posting_id in new.items()
        ]
        _insert_entries(lines, now, dialect)
        totals: Counter = Counter()
        for posting_lines in lines:
            for _posting_id, account_id, amount in posting_lines:
                totals[account_id] += amount
        _move_totals(totals, dialect)
    return sorted(new.values())


def open_accounts(type: AccountType, community_id: int, owners: sa.Select) -> None:
    """Open the community's ``type`` accounts for the owners ``owners`` selects (one column of
    ids) that have none yet: ``account_for`` in bulk, one INSERT … SELECT that skips any a racing
    transaction opened first."""
    type = AccountType(type)
    table = Account.__table__
    wanted = owners.subquery("owners")
    owner_id = next(iter(wanted.c))
    have = sa.select(table.c.id).where(
        table.c.type == type, table.c.community_id == community_id, table.c.owner_id == owner_id
    )
    values = (
        sa.select(
            sa.literal(type, table.c.type.type),
            owner_id,
            sa.literal(community_id),
            sa.literal(0, sa.BigInteger),
            sa.literal(utcnow(), table.c.created_at.type),
        )
        .distinct()
        .where(~have.exists())
    )
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
    db.session.execute(
        insert(table)
        .from_select(["type", "owner_id", "community_id", "balance", "created_at"], values)
        .on_conflict_do_nothing()
    )


def credit_from_pool(
    community_id: int, rows: sa.Select, *, kind: PostingKind, source_type: str
) -> int:
    """Pay volunteers from the community's pool, one posting per row of ``rows``, whose columns
    are labelled ``key`` (the idempotency key), ``source_id``, ``memo``, ``owner_id`` (the
    volunteer) and ``amount`` (points, above zero). Opens the volunteers' missing accounts.
    Rows whose key was posted before are skipped. Returns how many postings were made.

    On PostgreSQL the postings, their two lines each and the accounts' totals are one statement
    that never brings the rows to Python.
    """
    kind = PostingKind(kind)
    pool = account_for(AccountType.POOL, community_id)
    if _dialect() == "postgresql":
        with db.session.begin_nested():
            _fill_credits(community_id, rows)
            made, totals = _post_credits(pool.id, kind, source_type)
            _move_totals(totals, "postgresql")
        return made
    open_accounts(AccountType.VOLUNTEER, community_id, sa.select(rows.subquery().c.owner_id))
    source = rows.subquery()
    accounts = Account.__table__
    found = db.session.execute(
        sa.select(source.c.key, source.c.source_id, source.c.memo, source.c.amount, accounts.c.id)
        .join(
            accounts,
            sa.and_(
                accounts.c.type == AccountType.VOLUNTEER,
                accounts.c.community_id == community_id,
                accounts.c.owner_id == source.c.owner_id,
            ),
        )
        .order_by(source.c.key)
    ).all()
    return len(
        post_many(
            [
                NewPosting(
                    key=key,
                    kind=kind,
                    source_type=source_type,
                    source_id=source_id,
                    lines=[(pool.id, -int(amount)), (account_id, int(amount))],
                    memo=memo,
                )
                for key, source_id, memo, amount, account_id in found
            ]
        )
    )


# A call's credits, keyed: what the one statement that posts them joins to, by its primary key
# and with statistics the planner can trust.
CREDITS = sa.Table(
    "ledger_credits",
    sa.MetaData(),
    sa.Column("key", sa.String(MAX_KEY_LENGTH), primary_key=True),
    sa.Column("source_id", sa.Integer),
    sa.Column("memo", sa.Text),
    sa.Column("owner_id", sa.Integer),
    sa.Column("account_id", sa.Integer),  # the owner's account, once found or opened
    sa.Column("amount", sa.BigInteger),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _fill_credits(community_id: int, rows: sa.Select) -> None:
    """The rows into ``CREDITS``, each with its volunteer's account, opening the missing ones."""
    credits, accounts = CREDITS, Account.__table__
    db.session.execute(sa.schema.CreateTable(credits, if_not_exists=True))
    db.session.execute(sa.delete(credits))
    source = rows.subquery("source")
    wallet = sa.and_(
        accounts.c.type == AccountType.VOLUNTEER,
        accounts.c.community_id == community_id,
        accounts.c.owner_id == source.c.owner_id,
    )
    db.session.execute(
        sa.insert(credits).from_select(
            ["key", "source_id", "memo", "owner_id", "account_id", "amount"],
            sa.select(
                source.c.key,
                source.c.source_id,
                source.c.memo,
                source.c.owner_id,
                accounts.c.id,
                source.c.amount,
            ).outerjoin(accounts, wallet),
        )
    )
    unopened = sa.select(credits.c.owner_id).where(credits.c.account_id.is_(None))
    if db.session.execute(unopened.limit(1)).first() is not None:
        open_accounts(AccountType.VOLUNTEER, community_id, unopened)
        db.session.execute(
            sa.update(credits)
            .where(
                credits.c.account_id.is_(None),
                accounts.c.type == AccountType.VOLUNTEER,
                accounts.c.community_id == community_id,
                accounts.c.owner_id == credits.c.owner_id,
            )
            .values(account_id=accounts.c.id)
        )
    db.session.execute(sa.text(f"ANALYZE {credits.name}"))  # autovacuum never sees it


def _post_credits(pool_id: int, kind, source_type: str) -> tuple[int, Counter]:
    """One statement: INSERT the postings of ``CREDITS`` whose key is free, INSERT their two
    lines each, and SELECT each account's total. Returns (postings made, totals)."""
    postings, entries, credits = Posting.__table__, Entry.__table__, CREDITS
    now = utcnow()
    made = (
        postgresql.insert(postings)
        .from_select(
            ["idempotency_key", "kind", "source_type", "source_id", "memo", "created_at"],
            sa.select(
                credits.c.key,
                sa.literal(kind, postings.c.kind.type),
                sa.literal(source_type),
                credits.c.source_id,
                credits.c.memo,
                sa.literal(now, postings.c.created_at.type),
            ).order_by(credits.c.key),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(postings.c.id, postings.c.idempotency_key)
        .cte("made")
    )
    paired = (
        sa.select(made.c.id.label("posting_id"), credits.c.account_id, credits.c.amount)
        .join(credits, credits.c.key == made.c.idempotency_key)
        .subquery("paired")
    )
    lines = sa.union_all(
        sa.select(paired.c.posting_id, sa.literal(pool_id), -paired.c.amount),
        sa.select(paired.c.posting_id, paired.c.account_id, paired.c.amount),
    ).subquery("lines")
    written = (
        sa.insert(entries)
        .from_select(
            ["posting_id", "account_id", "amount", "created_at"],
            sa.select(*lines.c, sa.literal(now, entries.c.created_at.type)),
        )
        .returning(entries.c.posting_id, entries.c.account_id, entries.c.amount)
        .cte("written")
    )
    result = db.session.execute(
        sa.select(
            written.c.account_id,
            sa.func.sum(written.c.amount),
            sa.func.count(sa.distinct(written.c.posting_id)),
        ).group_by(written.c.account_id)
    ).all()
    totals = Counter({account_id: int(total) for account_id, total, _n in result})
    # Every posting made has one line on the pool.
    made_count = next((n for account_id, _t, n in result if account_id == pool_id), 0)
    return made_count, totals


def _move_totals(totals: Counter, dialect: str) -> None:
    """Add each account's total to its balance, the accounts locked lowest id first.

    :raise InsufficientPoints: an account other than the pool would go below zero.
    """
    ids = sorted(account_id for account_id, total in totals.items() if total)
    if not ids:
        return
    table = Account.__table__
    try:
        if dialect == "postgresql":
            db.session.execute(
                sa.select(table.c.id)
                .where(
                    table.c.id == sa.any_(sa.bindparam("ids", ids, postgresql.ARRAY(sa.Integer)))
                )
                .order_by(table.c.id)
                .with_for_update(key_share=True)
            ).all()
            db.session.execute(PG_ADD_TOTALS, {"ids": ids, "totals": [totals[i] for i in ids]})
        else:  # SQLite locks the whole database anyway
            db.session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("account_id"))
                .values(balance=table.c.balance + sa.bindparam("total")),
                [{"account_id": i, "total": totals[i]} for i in ids],
            )
    except sa.exc.IntegrityError as error:
        raise errors.InsufficientPoints() from error
    for account_id in ids:  # accounts already loaded read their new balance when next used
        account = db.session.identity_map.get(db.session.identity_key(Account, account_id))
        if account is not None:
            db.session.expire(account, ["balance"])


PG_ADD_TOTALS = sa.text(
    "UPDATE accounts SET balance = accounts.balance + t.total"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:totals AS bigint[])) AS t(id, total)"
    " WHERE accounts.id = t.id"
)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


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


def _insert_entries(lines: list[list[tuple[int, int, int]]], now, dialect: str) -> None:
    """Insert each posting's (posting id, account id, amount) lines, a posting's all in the same
    statement: PostgreSQL checks that the postings balance at the end of each."""
    for chunk in _whole_postings(lines):
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


def _whole_postings(lines: list[list[tuple]]):
    """Chunks of about ``POST_MANY_CHUNK`` rows that never split a posting's lines."""
    chunk: list[tuple] = []
    for posting_lines in lines:
        if chunk and len(chunk) + len(posting_lines) > POST_MANY_CHUNK:
            yield chunk
            chunk = []
        chunk.extend(posting_lines)
    if chunk:
        yield chunk


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
