"""积分台账: a community's volunteers with their points — balance, reserved, issued to them and
spent at the supermarket — for the community's staff, paged, filtered and exported.

Issued and spent are the dashboard's definitions (``coop.stats_monthly``) per volunteer: points
that reached her account for hours and honours, net of reversals (``ISSUING_KINDS``), and points
that left her hold account when a reservation was picked up. With ``month`` both count only that
month (community time); the balance and what is reserved are always as of now.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.extensions import db
from coop.ledger.models import Account, AccountType, Entry, Posting, PostingKind
from coop.ledger.summary import ISSUING_KINDS
from coop.timeutil import local_midnight, next_month


@dataclass(frozen=True)
class Standing:
    account_id: int
    volunteer: User
    balance: int
    held: int
    issued: int
    spent: int


def community_for_staff(actor: User | None, community_id: int):
    """:raise NotFound: not a community she sees. :raise Forbidden: not its staff."""
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    return community


def accounts_select(community_id: int, *, q: str = "") -> sa.Select:
    """The community's volunteer accounts, the largest balance first (then by name)."""
    query = (
        sa.select(Account)
        .join(User, User.id == Account.owner_id)
        .where(Account.type == AccountType.VOLUNTEER, Account.community_id == community_id)
    )
    if q:
        query = query.where(
            sa.or_(
                User.display_name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
            )
        )
    return query.order_by(Account.balance.desc(), User.display_name, Account.id)


def _month_bounds(month: str | None):
    if not month:
        return None
    first = date(int(month[:4]), int(month[5:7]), 1)
    return local_midnight(first), local_midnight(next_month(first))


def _sums(account_ids: list[int], kinds, bounds) -> dict[int, int]:
    if not account_ids:
        return {}
    query = (
        sa.select(Entry.account_id, sa.func.sum(Entry.amount))
        .join(Posting, Entry.posting_id == Posting.id)
        .where(Entry.account_id.in_(account_ids), Posting.kind.in_(kinds))
        .group_by(Entry.account_id)
    )
    if bounds:
        query = query.where(Entry.created_at >= bounds[0], Entry.created_at < bounds[1])
    return {account_id: int(total or 0) for account_id, total in db.session.execute(query)}


def standings(accounts: list[Account], community_id: int, *, month: str | None) -> list[Standing]:
    """The figures of one page of accounts: four queries, whatever the page's size."""
    if not accounts:
        return []
    owners = [a.owner_id for a in accounts]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(owners)))}
    hold = aliased(Account)
    holds = dict(
        db.session.execute(
            sa.select(hold.owner_id, hold.id).where(
                hold.type == AccountType.HOLD,
                hold.community_id == community_id,
                hold.owner_id.in_(owners),
            )
        ).all()
    )
    held = dict(
        db.session.execute(
            sa.select(Account.id, Account.balance).where(Account.id.in_(list(holds.values())))
        ).all()
    )
    bounds = _month_bounds(month)
    issued = _sums([a.id for a in accounts], ISSUING_KINDS, bounds)
    spent = _sums(list(holds.values()), (PostingKind.PICKUP,), bounds)
    return [
        Standing(
            account_id=a.id,
            volunteer=users[a.owner_id],
            balance=a.balance,
            held=held.get(holds.get(a.owner_id), 0),
            issued=issued.get(a.id, 0),
            spent=-spent.get(holds.get(a.owner_id), 0),
        )
        for a in accounts
    ]


def all_standings(community_id: int, *, q: str, month: str | None, batch: int = 500) -> Iterator:
    """Every standing under the filter, a batch of accounts at a time (the export)."""
    query = accounts_select(community_id, q=q)
    offset = 0
    while True:
        accounts = list(db.session.scalars(query.limit(batch).offset(offset)))
        yield from standings(accounts, community_id, month=month)
        if len(accounts) < batch:
            return
        offset += batch
