"""积分超市 pages: the volunteer's shelf, her redemptions, and the staff's counter."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from markupsafe import Markup

from coop import xlsx
from coop.alliance.models import Community
from coop.alliance.permissions import require, visible_community_ids
from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import is_htmx, render
from coop.notices import inbox
from coop.pagination import paginate
from coop.rewards import errors as reward_errors
from coop.rewards import permissions, queries, service
from coop.rewards.models import RedemptionStatus
from coop.rewards.schemas import (
    CancelIn,
    CodeIn,
    RewardArgs,
    offer_for,
    pickup_qr,
    picture_url,
    preload_offers,
)
from coop.schemas import load_form
from coop.timeutil import local_today
from coop.uow import unit_of_work

bp = Blueprint("rewards", __name__)

COUNTER_LIST_LIMIT = 50


def _args(schema, values) -> dict:
    data, errors = load_form(schema, values)
    if errors:
        raise Invalid(errors=errors)
    return data


def _wallet_of(actor, community_id: int):
    """Her 可用 / 冻结 points in the community, or None when she is not its volunteer."""
    if not permissions.is_volunteer_of(actor, community_id):
        return None
    return queries.wallet(actor.id, community_id)


def _shelf_community(actor, community_id: int | None) -> Community:
    """The asked-for community if she may see it, else her own (volunteer first, then staff).

    :raise NotFound: a community she cannot see. :raise Forbidden: she belongs to none.
    """
    visible = visible_community_ids(actor)
    if community_id is None:
        own = sorted(g.community_id for g in actor.grants_of(Role.VOLUNTEER))
        own = own or sorted(permissions.staff_community_ids(actor)) or sorted(visible)
        if not own:
            raise Forbidden()
        community_id = own[0]
    if community_id not in visible:
        raise NotFound()
    return db.session.get(Community, community_id)


# --- The shelf ------------------------------------------------------------------------------


@bp.get("/supermarket")
@login_required
def shelf():
    actor = require_actor()
    args = _args(RewardArgs(), request.args)
    community = _shelf_community(actor, args.get("community_id"))
    page = paginate(
        queries.shelf_select([community.id], q=args["q"]), args["page"], args["per_page"]
    )
    preload_offers(page["items"])
    offers = {item.id: offer_for(item) for item in page["items"]}
    wallet = _wallet_of(actor, community.id)
    return render(
        "rewards/shelf.html",
        block="shelf_items",
        community=community,
        page=page,
        offers=offers,
        reasons={
            item.id: _short_reason(item, offers[item.id], wallet)
            for item in page["items"]
            if offers[item.id] and not offers[item.id]["can_reserve"]
        },
        pictures={item.id: picture_url(item) for item in page["items"]},
        wallet=wallet,
        q=args["q"],
        pager_args={
            "community_id": community.id,
            "per_page": args["per_page"],
            **({"q": args["q"]} if args["q"] else {}),
        },
        can_run=permissions.can_run_supermarket(actor, community.id),
    )


def _short_reason(item, offer, wallet) -> str:
    """Why the 兑换 button is greyed, in three or four words under it."""
    code = offer["reason_code"]
    if code == "insufficient_points":
        return _("还差 %(n)d 分", n=item.cost - (wallet.available if wallet else 0))
    if code == "out_of_stock":
        return _("已兑完")
    if code == "limit_reached":
        return _("本月已兑满")
    return offer["reason"] or ""


def _reserve_context(actor, item) -> dict:
    community = db.session.get(Community, item.community_id)
    return {
        "item": item,
        "community": community,
        "offer": offer_for(item),
        "picture": picture_url(item),
        "wallet": _wallet_of(actor, item.community_id),
    }


@bp.route("/supermarket/items/<int:item_id>/reserve", methods=["GET", "POST"])
@login_required
def reserve(item_id: int):
    """兑换: GET asks her to confirm (in place with htmx), POST holds the points."""
    actor = require_actor()
    item = queries.get_item(actor, item_id)
    require(permissions.can_redeem(actor, item))
    context = _reserve_context(actor, item)
    if request.method == "GET":
        return render("rewards/confirm.html", block="confirm", form={}, errors={}, **context)
    retry_form("rewards/confirm.html", **context)

    def create():
        redemption = service.reserve(actor, item.id, now=utcnow())
        flash(
            _(
                "兑换成功！领取码 %(code)s，请到社区积分超市出示领取。",
                code=_grouped(redemption.code),
            ),
            "success",
        )
        return redirect(url_for("rewards.redemption", redemption_id=redemption.id))

    return submit_once(actor, create)


# --- Her redemptions ------------------------------------------------------------------------


def _grouped(code: str) -> str:
    """1234 5678: read out and typed in two halves."""
    return f"{code[:4]} {code[4:]}"


@bp.get("/supermarket/redemptions")
@login_required
def mine():
    actor = require_actor()
    args = _args(PageArgs(), request.args)
    page = paginate(queries.redemptions_select(actor, mine=True), args["page"], args["per_page"])
    return render("rewards/mine.html", block="redemption_rows", page=page)


MY_EXPORT_HEADERS = (
    ("兑换物品", 24),
    ("社区", 16),
    ("积分", 8),
    ("状态", 10),
    ("预约时间", 17),
    ("领取截止", 17),
    ("办结时间", 17),
    ("取消原因", 30),
)


@bp.get("/supermarket/redemptions/export.xlsx")
@login_required
def export_mine():
    """我的兑换 as the page lists them, every page of it."""
    actor = require_actor()
    query = queries.redemptions_select(actor, mine=True)
    rows = (
        [
            r.item_name,
            db.session.get(Community, r.community_id).name,  # a few, from the identity map
            r.cost,
            r.status.label,
            xlsx.local_time(r.reserved_at),
            xlsx.local_time(r.expires_at),
            xlsx.local_time(r.closed_at),
            r.cancel_reason,
        ]
        for r in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "我的兑换", MY_EXPORT_HEADERS, rows, place=actor.display_name, slug="my-redemptions"
    )


def _redemption_context(actor, redemption) -> dict:
    reserved = redemption.status is RedemptionStatus.RESERVED
    return {
        "redemption": redemption,
        "is_own": permissions.is_own(actor, redemption),
        "can_cancel": permissions.can_cancel(actor, redemption),
        "overdue": redemption.is_overdue(utcnow()),
        # Inline, not an <img> of the API's picture: an <img> would not carry the session.
        "qr_svg": Markup(pickup_qr(redemption).svg_inline(scale=6, title=_("领取二维码")))
        if reserved and permissions.is_own(actor, redemption)
        else None,
        "wallet": _wallet_of(actor, redemption.community_id)
        if permissions.is_own(actor, redemption)
        else None,
    }


@bp.get("/supermarket/redemptions/<int:redemption_id>")
@login_required
def redemption(redemption_id: int):
    actor = require_actor()
    found = queries.get_redemption(actor, redemption_id)
    return render(
        "rewards/redemption.html", form={}, errors={}, **_redemption_context(actor, found)
    )


@bp.route("/supermarket/redemptions/<int:redemption_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(redemption_id: int):
    """取消兑换. GET asks first (in place with htmx); POST returns the points. Staff give a
    reason, which she reads; from the counter they land back at the counter."""
    actor = require_actor()
    found = queries.get_redemption(actor, redemption_id)
    context = _redemption_context(actor, found)
    if request.method == "GET":
        require(context["can_cancel"])
        return render(
            "rewards/redemption.html",
            block="cancel_panel",
            form={},
            errors={},
            confirming=True,
            **context,
        )
    at_counter = request.form.get("from") == "counter"
    if at_counter:
        retry_form("rewards/counter.html", **_counter_context(actor, found.code, found))
    else:
        retry_form("rewards/redemption.html", confirming=True, **context)
    data = _args(CancelIn(), request.form)
    with unit_of_work(actor):
        done = service.cancel(actor, found.id, now=utcnow(), reason=data["reason"])
        cost, own = done.cost, permissions.is_own(actor, done)
    if own:
        flash(_("已取消兑换，%(points)s 积分已退回您的可用积分。", points=cost), "success")
    else:
        flash(_("已取消这次兑换，%(points)s 积分已退回志愿者。", points=cost), "success")
    if at_counter:
        return redirect(url_for("rewards.counter", community_id=found.community_id))
    return redirect(url_for("rewards.redemption", redemption_id=found.id))


# --- The counter ----------------------------------------------------------------------------


def _counter_community(actor, community_id: int | None) -> int:
    """:raise Forbidden: she runs no supermarket, or not this one."""
    staff_of = permissions.staff_community_ids(actor)
    if not staff_of:
        raise Forbidden()
    if community_id is None:
        return min(staff_of)
    require(community_id in staff_of)
    return community_id


def _lookup_problem(actor, redemption, now) -> str | None:
    """Why the counter cannot hand this one over, in words for the person at the desk."""
    if redemption.status is RedemptionStatus.PICKED_UP:
        return _(
            "这个领取码已于 %(when)s 领取过，不能重复发放。", when=_local(redemption.closed_at)
        )
    if redemption.status is RedemptionStatus.CANCELLED:
        return _("这次兑换已取消，积分已退回，不能发放。")
    if redemption.status is RedemptionStatus.EXPIRED:
        return _("这次兑换已过期，积分已退回，不能发放。")
    if redemption.is_overdue(now):
        return str(reward_errors.RedemptionOverdue.default_message)
    if permissions.is_own(actor, redemption):
        return str(reward_errors.OwnRedemption.default_message)
    return None


def _local(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _counter_context(actor, code: str, redemption=None, *, community_id=None) -> dict:
    now = utcnow()
    community_id = redemption.community_id if redemption else community_id
    community_id = _counter_community(actor, community_id)
    return {
        "community": db.session.get(Community, community_id),
        "code": code,
        "redemption": redemption,
        "others": [
            db.session.get(Community, cid)
            for cid in sorted(permissions.staff_community_ids(actor))
            if cid != community_id
        ],
        "problem": _lookup_problem(actor, redemption, now) if redemption else None,
        "can_pickup": redemption is not None
        and permissions.can_pickup(actor, redemption)
        and not redemption.is_overdue(now),
        "can_cancel": redemption is not None and permissions.can_cancel(actor, redemption),
        "pickups": queries.pickups_on(community_id, local_today())[:COUNTER_LIST_LIMIT],
        "low_stock": queries.low_stock(community_id)[:COUNTER_LIST_LIMIT],
        "manage_url": url_for("rewards_manage.items", community_id=community_id),
        "shelf_url": url_for("rewards.shelf", community_id=community_id)
        if permissions.is_volunteer_of(actor, community_id)
        else None,
    }


@bp.get("/supermarket/counter")
@login_required
def counter():
    """The desk: type or scan a pickup code, then 确认发放 or 取消. htmx swaps the result only."""
    actor = require_actor()
    community_id = request.args.get("community_id", type=int)
    raw = request.args.get("code", "").strip()[:32]
    redemption, errors = None, {}
    if raw:
        data, errors = load_form(CodeIn(), {"code": raw})
        if not errors:
            redemption = queries.find_by_code(actor, data["code"])
            if redemption is None:
                # Said beside the field, not as an error page: the next person is waiting.
                errors = {"code": [_("没有找到这个领取码，请核对后重新输入。")]}
    context = _counter_context(actor, raw, redemption, community_id=community_id)
    # htmx asks for the lookup's result only; the whole desk ends with her notices.
    notices_summary = None if is_htmx() else inbox.summary(actor.id)
    return render(
        "rewards/counter.html",
        block="lookup",
        form={},
        errors=errors,
        notices_summary=notices_summary,
        **context,
    )


@bp.post("/supermarket/redemptions/<int:redemption_id>/pickup")
@login_required
def pickup(redemption_id: int):
    actor = require_actor()
    found = queries.get_redemption(actor, redemption_id)
    retry_form("rewards/counter.html", **_counter_context(actor, found.code, found))
    with unit_of_work(actor):
        done = service.pickup(actor, found.id, now=utcnow())
        message = _(
            "已发放“%(item)s”给%(name)s。", item=done.item_name, name=done.volunteer.display_name
        )
        community_id = done.community_id
    flash(message, "success")
    return redirect(url_for("rewards.counter", community_id=community_id))


@bp.get("/rewards/<int:item_id>/picture")
@login_required
def picture(item_id: int):
    """The item's picture, cached by the phone until it changes (the URL carries its etag)."""
    queries.get_item(require_actor(), item_id)
    picture = queries.picture_of(item_id)
    if picture is None:
        abort(404)
    if request.if_none_match.contains(picture.etag):
        return "", 304, {"ETag": f'"{picture.etag}"'}
    return (
        picture.data,
        200,
        {
            "Content-Type": picture.content_type,
            "ETag": f'"{picture.etag}"',
            "Cache-Control": "private, max-age=604800",
        },
    )
