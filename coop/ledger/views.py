from flask import Blueprint, request
from flask_babel import gettext as _

from coop import xlsx
from coop.alliance import queries as alliance_queries
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.errors import Invalid
from coop.htmx import render
from coop.ledger import balance, standings
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.ledger.schemas import StandingsArgs
from coop.pagination import paginate
from coop.privacy import mask_phone
from coop.schemas import load_form

bp = Blueprint("ledger", __name__)


def _points_context(actor) -> dict:
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    context = balance.of_volunteer(actor)
    # Her spendable account's statement; a hold's entries mirror its reservations.
    context["page"] = paginate(
        ledger.entries_select([a.id for a in context["accounts"]]), args["page"], args["per_page"]
    )
    return context


@bp.get("/my/points")
@login_required
def points():
    return render("ledger/points.html", **_points_context(require_actor()))


MY_EXPORT_HEADERS = (("时间", 17), ("社区", 16), ("类别", 12), ("积分", 10), ("说明", 40))


@bp.get("/my/points/export.xlsx")
@login_required
def export_mine():
    """我的积分's statement, every entry the page pages through, newest first."""
    actor = require_actor()
    mine = ledger.accounts_for_owner(AccountType.VOLUNTEER, actor.id)
    names = {c.id: c.name for c in alliance_queries.communities_for(actor)}
    rows = (
        [
            xlsx.local_time(e.created_at),
            names.get(e.account.community_id, ""),
            e.posting.kind.label,
            e.amount,
            e.posting.memo,
        ]
        for e in xlsx.streamed(ledger.entries_select([a.id for a in mine]))
    )
    return xlsx.list_export(
        "我的积分", MY_EXPORT_HEADERS, rows, place=actor.display_name, slug="my-points"
    )


# --- 积分台账: the community's volunteers and their points, for its staff ---------------------


def _standings_args() -> dict:
    args, errors = load_form(StandingsArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    return args


@bp.get("/communities/<int:community_id>/points")
@login_required
def community_points(community_id: int):
    """积分台账: balance, reserved, issued and spent per volunteer; paged, by name and month."""
    actor = require_actor()
    community = standings.community_for_staff(actor, community_id)
    args = _standings_args()
    page = paginate(
        standings.accounts_select(community.id, q=args["q"]), args["page"], args["per_page"]
    )
    page["items"] = standings.standings(page["items"], community.id, month=args["month"] or None)
    return render(
        "ledger/community_points.html",
        block="standings_rows",
        community=community,
        page=page,
        args=args,
        filters={name: args[name] for name in ("q", "month") if args[name]},
        mask_phone=mask_phone,
    )


STANDINGS_HEADERS = (
    ("姓名", 12),
    ("用户名", 16),
    ("手机号", 14),
    ("可用积分", 10),
    ("兑换冻结", 10),
    ("获得积分", 10),
    ("已兑换积分", 10),
)


@bp.get("/communities/<int:community_id>/points/export.xlsx")
@login_required
def export_community_points(community_id: int):
    """积分台账 as the page lists it under its filters, every page of it."""
    actor = require_actor()
    community = standings.community_for_staff(actor, community_id)
    args = _standings_args()
    month = args["month"] or None
    rows = (
        [
            s.volunteer.display_name,
            s.volunteer.username,
            mask_phone(s.volunteer.phone),
            s.balance,
            s.held,
            s.issued,
            s.spent,
        ]
        for s in standings.all_standings(community.id, q=args["q"], month=month)
    )
    title = _("积分台账") if not month else _("积分台账%(month)s", month=month)
    return xlsx.list_export(title, STANDINGS_HEADERS, rows, place=community.name, slug="points")
