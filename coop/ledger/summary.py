"""The monthly summary of points issued and spent per community (``points_monthly``), kept by the
database in the statement that writes the entries.

The community page's charts and the street's comparison show, per month, the points that left
the community's pool for hours and honours (net of reversals) and those the supermarket
received at pickups. Counted live that is every line on the pool's account joined to its
posting: a city community's pool takes a line for each of its 20,000 volunteers' hours and
badges, every month. This table holds the two sums by (community, month of the entry in
community time). A trigger on ``entries`` adds each INSERT's lines to it (on PostgreSQL once per
statement, from its transition table; on SQLite once per row; migration ``c5e1a7d3f9b2``), so
every way of posting — one posting, ``ledger.bulk``, a job's ``INSERT … SELECT`` — keeps it, in
the same transaction, exact at every commit. Every posting on a pool or supermarket account
already locks that account's row to move its balance, so the summary's row adds no waiting. Entries are never updated or deleted (the ledger refuses it), so inserts are
the only change. The live sums (``live_points``) stay the definition: tests check the two agree,
and ``rebuild`` recomputes the table from the entries.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coop.extensions import db
from coop.ledger.models import Account, AccountType, Entry, Posting, PostingKind

# Points leave the community's pool for hours and honours (a reversal takes them back); they are
# spent when a reservation is picked up at the supermarket.
ISSUING_KINDS = (PostingKind.HOURS, PostingKind.REVERSAL, PostingKind.BADGE)
SPENDING_KINDS = (PostingKind.PICKUP,)


class MonthlyPoints(db.Model):
    """Points issued from the community's pool and spent at its supermarket, per month."""

    __tablename__ = "points_monthly"
    __audit__ = False  # derived from the ledger's entries, which are never changed

    community_id: Mapped[int] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # the month's first day
    issued: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    spent: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def live_points(community_ids: list[int] | None = None) -> sa.Select:
    """The definition: (community_id, month, issued, spent) summed from the entries."""
    month = _month_of(Entry.created_at)
    pool = Account.type == AccountType.POOL
    shop = Account.type == AccountType.SUPERMARKET
    query = (
        sa.select(
            Account.community_id,
            month.label("month"),
            sa.func.sum(sa.case((pool, -Entry.amount), else_=0)).label("issued"),
            sa.func.sum(sa.case((shop, Entry.amount), else_=0)).label("spent"),
        )
        .join(Account, Account.id == Entry.account_id)
        .join(Posting, Posting.id == Entry.posting_id)
        .where(
            Account.owner_id.is_(None),
            sa.or_(
                sa.and_(pool, Posting.kind.in_(ISSUING_KINDS)),
                sa.and_(shop, Posting.kind.in_(SPENDING_KINDS)),
            ),
        )
        .group_by(Account.community_id, month)
    )
    if community_ids is not None:
        query = query.where(Account.community_id.in_(community_ids))
    return query


def _month_of(column):
    if db.session.get_bind().dialect.name == "postgresql":
        zoned = sa.func.timezone("Asia/Shanghai", column)
        return sa.cast(sa.func.date_trunc("month", zoned), sa.Date)
    return sa.type_coerce(sa.func.date(column, "+8 hours", "start of month"), sa.Date)


def rebuild() -> int:
    """Recompute the whole table from the entries (after a load with triggers disabled);
    returns its rows."""
    db.session.execute(sa.delete(MonthlyPoints))
    live = live_points().subquery()
    db.session.execute(
        sa.insert(MonthlyPoints).from_select(
            ["community_id", "month", "issued", "spent"],
            sa.select(live.c.community_id, live.c.month, live.c.issued, live.c.spent),
        )
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(MonthlyPoints))
