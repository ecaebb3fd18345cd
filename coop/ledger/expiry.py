"""Points expire 24 months after they were earned, by ledger entry, oldest first.

A volunteer's points are spent oldest first, so what is left of the points she earned before the
cutoff is what she earned before it minus everything she has ever spent (holds, pickups, earlier
expiries and reversals all count as spending). That remainder, if any, goes back to the pool in one
posting per account and month (``expire_points:<account>:<month>``): running the month again finds
nothing left, because the expiry itself is now counted as spent.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import Account, AccountType, Entry, PostingKind
from coop.notices.service import notify

VALID_MONTHS = 24


def cutoff_for(month_start: datetime) -> datetime:
    """Points earned before this moment expire on ``month_start``: 24 months earlier."""
    months = month_start.year * 12 + month_start.month - 1 - VALID_MONTHS
    return month_start.replace(year=months // 12, month=months % 12 + 1)


def expiring(cutoff: datetime) -> list[tuple[int, int]]:
    """(account id, points to expire) for every volunteer account with points left from before
    the cutoff, in one GROUP BY over the entries."""
    earned_before = sa.func.coalesce(
        sa.func.sum(sa.case((sa.and_(Entry.amount > 0, Entry.created_at < cutoff), Entry.amount))),
        0,
    )
    spent = sa.func.coalesce(sa.func.sum(sa.case((Entry.amount < 0, -Entry.amount))), 0)
    left = earned_before - spent
    rows = db.session.execute(
        sa.select(Entry.account_id, left, Account.balance)
        .join(Account, Account.id == Entry.account_id)
        .where(Account.type == AccountType.VOLUNTEER)
        .group_by(Entry.account_id, Account.balance)
        .having(left > 0)
        .order_by(Entry.account_id)
    ).all()
    return [
        (account_id, int(min(amount, balance))) for account_id, amount, balance in rows if balance
    ]


def expire_account(account_id: int, points: int, *, month: str) -> bool:
    """Return ``points`` of the account to its community's pool, once per month; True if posted."""
    account = db.session.get(Account, account_id)
    pool = ledger.account_for(AccountType.POOL, account.community_id)
    _posting, created = ledger.post(
        key=f"expire_points:{account.id}:{month}",
        kind=PostingKind.EXPIRE,
        source_type="points_expiry",
        source_id=account.id,
        lines=[(account, -points), (pool, points)],
        memo=_("获得超过 %(n)s 个月的积分到期", n=VALID_MONTHS),
    )
    if created:
        notify(
            account.owner_id,
            _("您有 %(points)s 积分已过期", points=points),
            body=_(
                "积分自获得起 %(n)s 个月内有效，先获得的先使用。可到积分超市兑换余下的积分。",
                n=VALID_MONTHS,
            ),
            link="/my/points",
        )
    return created
