"""Named reads of the ledger. ``service`` re-exports them: other features import the service."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coop.extensions import db
from coop.ledger.models import Account, AccountType, Entry


def find_account(type: AccountType, community_id: int, owner_id: int | None) -> Account | None:
    owner = Account.owner_id.is_(None) if owner_id is None else Account.owner_id == owner_id
    return db.session.scalar(
        sa.select(Account).where(Account.type == type, Account.community_id == community_id, owner)
    )


def accounts_for_owner(type: AccountType, owner_id: int) -> list[Account]:
    """The owner's accounts of that type, one per community she has points in."""
    return list(
        db.session.scalars(
            sa.select(Account)
            .where(Account.type == type, Account.owner_id == owner_id)
            .order_by(Account.community_id)
        )
    )


def balance_of(account: Account) -> int:
    """The account's balance as stored now (the cache ``post`` keeps equal to its entries)."""
    return db.session.scalar(sa.select(Account.balance).where(Account.id == account.id))


def entries_select(account_ids) -> sa.Select:
    """The accounts' entries newest first, each with its posting (kind, source, memo) and its
    account loaded: a statement page costs one query."""
    return (
        sa.select(Entry)
        .where(Entry.account_id.in_(list(account_ids)))
        .options(joinedload(Entry.posting), joinedload(Entry.account))
        .order_by(Entry.id.desc())
    )
