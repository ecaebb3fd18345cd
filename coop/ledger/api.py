from flask.views import MethodView

from coop.alliance.models import Community, Unit
from coop.alliance.permissions import liaison_unit_ids
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.auth.models import Role, User
from coop.errors import NotFound
from coop.extensions import db
from coop.ledger import service as ledger
from coop.ledger.models import Account, AccountType
from coop.ledger.schemas import EntryArgs, EntryOut, MyAccountsOut
from coop.pagination import paginate

blp = signed_in_blueprint("ledger_api", __name__, "积分账户 · points accounts")


def _owned(actor: User) -> list[Account]:
    """The accounts whose points are the caller's: her own and her holds, then her units'."""
    accounts = [
        *ledger.accounts_for_owner(AccountType.VOLUNTEER, actor.id),
        *ledger.accounts_for_owner(AccountType.HOLD, actor.id),
    ]
    for unit_id in sorted(liaison_unit_ids(actor)):
        accounts += ledger.accounts_for_owner(AccountType.UNIT, unit_id)
    return accounts


def _row(account: Account, owner_name: str, held: int = 0) -> dict:
    return {
        "id": account.id,
        "type": account.type,
        "community_id": account.community_id,
        "community_name": db.session.get(Community, account.community_id).name,
        "owner_id": account.owner_id,
        "owner_name": owner_name,
        "balance": ledger.balance_of(account),
        "held": held,
    }


@blp.route("/accounts/me")
class MyAccounts(MethodView):
    @blp.response(200, MyAccountsOut)
    @documents_errors(blp, 401)
    def get(self):
        """The caller's points: a volunteer's account per community, with what her pending
        redemptions hold; a unit liaison's unit accounts. Empty before the first points."""
        actor = require_actor()
        accounts = _owned(actor)
        holds = {a.community_id: a for a in accounts if a.type is AccountType.HOLD}
        rows = []
        for account in accounts:
            if account.type is AccountType.VOLUNTEER:
                hold = holds.get(account.community_id)
                held = ledger.balance_of(hold) if hold is not None else 0
                rows.append(_row(account, actor.display_name, held))
            elif account.type is AccountType.UNIT:
                rows.append(_row(account, db.session.get(Unit, account.owner_id).name))
        volunteer = bool(actor.grants_of(Role.VOLUNTEER))
        totalled = [r for r in rows if (r["type"] is AccountType.VOLUNTEER) == volunteer]
        return {
            "balance": sum(r["balance"] for r in totalled),
            "held": sum(r["held"] for r in totalled),
            "accounts": rows,
        }


@blp.route("/accounts/me/entries")
class MyEntries(MethodView):
    @blp.arguments(EntryArgs, location="query")
    @blp.response(200, page_schema(EntryOut))
    @documents_errors(blp, 401, 404, 422)
    def get(self, args):
        """Every entry on the caller's accounts (her own, her holds, her units'), newest first,
        each with its posting's kind, memo and source. ``account_id`` not hers is a 404."""
        account_ids = [a.id for a in _owned(require_actor())]
        if args.get("account_id") is not None:
            if args["account_id"] not in account_ids:
                raise NotFound()
            account_ids = [args["account_id"]]
        return paginate(ledger.entries_select(account_ids), args["page"], args["per_page"])
