"""积分账本: accounts, postings and their entries.

Double entry: every posting's entries sum to zero, so points are only ever moved, never made;
the community's pool is where they come from and the only account that may go below zero.
Append-only: the migration installs triggers that refuse UPDATE and DELETE on postings and
entries; a mistake is corrected by a reversing posting. ``accounts.balance`` is a cache of the
sum of the account's entries, kept by ``service.post`` and verified by ``flask ledger check``.

None of these tables is audited: a posting already records who (``actor_id``), why (``kind``,
``source_type``/``source_id``, ``memo``) and when, and can never change, so an audit row per
posting and entry would only double the writes of the busiest tables. An account's only mutable
column is the cached balance, which is updated in SQL the audit listener never sees anyway.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.dbtypes import UTCDateTime, enum_type, labelled, utcnow
from coop.extensions import db

MAX_KEY_LENGTH = 128


class AccountType(enum.StrEnum):
    VOLUNTEER = "volunteer"
    UNIT = "unit"
    POOL = "pool"
    SUPERMARKET = "supermarket"
    HOLD = "hold"


labelled(
    AccountType,
    {
        AccountType.VOLUNTEER: _l("志愿者积分"),
        AccountType.UNIT: _l("单位积分"),
        AccountType.POOL: _l("社区积分池"),
        AccountType.SUPERMARKET: _l("积分超市"),
        AccountType.HOLD: _l("冻结积分"),
    },
)
# One per community, owned by nobody; the others belong to a user (volunteer, hold) or a unit.
COMMUNITY_LEVEL = (AccountType.POOL, AccountType.SUPERMARKET)


class PostingKind(enum.StrEnum):
    HOURS = "hours"
    REVERSAL = "reversal"
    BADGE = "badge"
    RESERVE = "reserve"
    PICKUP = "pickup"
    CANCEL = "cancel"
    EXPIRE = "expire"
    ADJUSTMENT = "adjustment"


labelled(
    PostingKind,
    {
        PostingKind.HOURS: _l("志愿服务时长"),
        PostingKind.REVERSAL: _l("冲正"),
        PostingKind.BADGE: _l("荣誉奖励"),
        PostingKind.RESERVE: _l("兑换预约"),
        PostingKind.PICKUP: _l("兑换领取"),
        PostingKind.CANCEL: _l("兑换取消"),
        PostingKind.EXPIRE: _l("积分过期"),
        PostingKind.ADJUSTMENT: _l("人工调整"),
    },
)


class Account(db.Model):
    """Points held by a volunteer, a unit, a hold, a community's pool or its supermarket. Never
    deleted or renumbered (PostgreSQL refuses it): entries name accounts without a foreign key
    there (``coop.references``)."""

    __tablename__ = "accounts"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[AccountType] = mapped_column(enum_type(AccountType, "account_type"))
    # users.id for volunteer and hold accounts, units.id for unit accounts, NULL for the
    # community's pool and supermarket: which table it points at depends on the type, so no FK.
    owner_id: Mapped[int | None]
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The pool issues points, so it runs negative; every other account holds real points.
        sa.CheckConstraint("balance >= 0 OR type = 'pool'", name="balance_not_negative"),
        sa.CheckConstraint(
            "(type IN ('pool', 'supermarket')) = (owner_id IS NULL)", name="owner_matches_type"
        ),
        # NULLs are distinct in a unique index on both engines, so owned accounts and the
        # community-level ones each get their own partial index.
        sa.Index(
            "uq_accounts_owned",
            "type",
            "owner_id",
            "community_id",
            unique=True,
            postgresql_where=sa.text("owner_id IS NOT NULL"),
            sqlite_where=sa.text("owner_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_accounts_community_level",
            "type",
            "community_id",
            unique=True,
            postgresql_where=sa.text("owner_id IS NULL"),
            sqlite_where=sa.text("owner_id IS NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.type} owner={self.owner_id} c={self.community_id}>"


class Posting(db.Model):
    """One movement of points: its entries sum to zero. Never updated, never deleted."""

    __tablename__ = "postings"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    # Names the event that caused it ("hours:service_record:42"): posting it twice is a no-op.
    idempotency_key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH), unique=True)
    kind: Mapped[PostingKind] = mapped_column(enum_type(PostingKind, "posting_kind"))
    source_type: Mapped[str] = mapped_column(sa.String(32))
    source_id: Mapped[int]
    memo: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list["Entry"]] = relationship(
        back_populates="posting", order_by="Entry.id", passive_deletes="all"
    )

    __table_args__ = (sa.Index("ix_postings_source", "source_type", "source_id"),)


class Entry(db.Model):
    """One account's side of a posting: positive credits the account, negative debits it."""

    __tablename__ = "entries"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(sa.ForeignKey("postings.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    posting: Mapped[Posting] = relationship(back_populates="entries")
    account: Mapped[Account] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        # An account's statement, newest first, and the per-account sums of `ledger check`.
        sa.Index("ix_entries_account_id_id", "account_id", "id"),
    )
