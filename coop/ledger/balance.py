"""What 我的积分 opens with: her balance, what is held for her reservations and the rate."""

from coop.alliance import queries as alliance_queries
from coop.auth.models import Role
from coop.hours import queries as hours_queries
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.timeutil import local_today


def of_volunteer(actor) -> dict:
    """Her balance (per community when she has points in more than one) and what is held."""
    mine = ledger.accounts_for_owner(AccountType.VOLUNTEER, actor.id)
    held = ledger.accounts_for_owner(AccountType.HOLD, actor.id)
    balances = [(a.community_id, ledger.balance_of(a)) for a in mine]
    if len(balances) > 1:
        names = {c.id: c.name for c in alliance_queries.communities_for(actor)}
        balances = [(names.get(community_id, ""), amount) for community_id, amount in balances]
    home = next((g.community_id for g in actor.grants_of(Role.VOLUNTEER)), None)
    return {
        "accounts": mine,
        "balance": sum(amount for _, amount in balances),
        "balances": balances if len(balances) > 1 else [],
        "points_per_hour": hours_queries.points_per_hour(home, local_today()) if home else None,
        "held": sum(ledger.balance_of(a) for a in held),
    }
