from flask import Blueprint, request

from coop.alliance import queries as alliance_queries
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.errors import Invalid
from coop.hours import queries as hours_queries
from coop.htmx import render
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.pagination import paginate
from coop.schemas import load_form
from coop.timeutil import local_today

bp = Blueprint("ledger", __name__)


def _points_context(actor) -> dict:
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    mine = ledger.accounts_for_owner(AccountType.VOLUNTEER, actor.id)
    held = ledger.accounts_for_owner(AccountType.HOLD, actor.id)
    names = {c.id: c.name for c in alliance_queries.communities_for(actor)}
    balances = [(names.get(a.community_id, ""), ledger.balance_of(a)) for a in mine]
    home = next((g.community_id for g in actor.grants_of(Role.VOLUNTEER)), None)
    return {
        "balance": sum(amount for _, amount in balances),
        # Per community only when she has points in more than one.
        "balances": balances if len(balances) > 1 else [],
        "points_per_hour": hours_queries.points_per_hour(home, local_today()) if home else None,
        "held": sum(ledger.balance_of(a) for a in held),
        # Her spendable account's statement; a hold's entries mirror its reservations.
        "page": paginate(
            ledger.entries_select([a.id for a in mine]), args["page"], args["per_page"]
        ),
    }


@bp.get("/my/points")
@login_required
def points():
    return render("ledger/points.html", **_points_context(require_actor()))


@bp.get("/my/points/summary")
@login_required
def summary():
    """The balance, for 我的 (loaded with htmx); the whole statement when visited."""
    return render("ledger/points.html", block="points_summary", **_points_context(require_actor()))
