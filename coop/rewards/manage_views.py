"""The supermarket's back office: stocking the shelf, the monthly summary, who the staff are."""

from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from coop import pictures, xlsx
from coop.alliance import queries as alliance_queries
from coop.alliance.models import DEFAULT_PICKUP_DAYS
from coop.alliance.permissions import require
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role, RoleGrant, User
from coop.errors import Invalid, retry_form
from coop.extensions import db
from coop.forms import submit_once
from coop.htmx import is_htmx, render
from coop.pagination import paginate
from coop.rewards import excel, permissions, queries, stocking
from coop.rewards.models import DEFAULT_LOW_STOCK_AT, ItemStatus
from coop.rewards.schemas import ItemIn, PickupDaysIn, RestockIn, RewardArgs, StaffIn, SummaryArgs
from coop.schemas import load_form
from coop.timeutil import local_today, month_start, next_month
from coop.uow import unit_of_work

bp = Blueprint("rewards_manage", __name__)

# The edit page sends every field, so a blank 每人每月限兑 or 供应方 means 不限 / 社区 (None),
# which the partial ItemPatch would read as "unchanged".
ITEM_FORM = ItemIn(exclude=("community_id",))
EDIT_FORM = ItemIn(exclude=("community_id", "stock"))


def _staff_community(community_id: int):
    """:raise NotFound: not her community. :raise Forbidden: she does not run its supermarket."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_run_supermarket(actor, community.id))
    return actor, community


def _staff_item(item_id: int):
    actor = require_actor()
    item = queries.get_item(actor, item_id)
    require(permissions.can_run_supermarket(actor, item.community_id))
    return actor, item


def _secretary_community(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_grant_staff(actor, community.id))
    return actor, community


def _safe_next(target: str | None, default: str) -> str:
    """Back to the list as she filtered it, if the target is a path on this site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _upload(name: str = "picture") -> bytes | None:
    """The chosen file's bytes (one past the limit at most, so pictures.prepare can refuse it)."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.stream.read(pictures.MAX_UPLOAD_BYTES + 1)


# --- The shelf -------------------------------------------------------------------------------


def _status_counts(community_id: int) -> dict:
    items = queries.shelf_select([community_id], status=None).order_by(None).subquery()
    return dict(
        db.session.execute(
            sa.select(items.c.status, sa.func.count()).group_by(items.c.status)
        ).all()
    )


def _filter_args(args: dict) -> dict:
    return {
        name: (value.value if hasattr(value, "value") else value)
        for name, value in args.items()
        if name in ("status", "q") and value not in (None, "")
    }


def _links(actor, community) -> dict:
    return {
        "can_grant_staff": permissions.can_grant_staff(actor, community.id),
    }


def _listed_items(community) -> tuple[sa.Select, dict]:
    """The shelf under the page's filters; the page and its export share it."""
    args, errors = load_form(RewardArgs(exclude=("community_id",)), request.args)
    if errors:
        raise Invalid(errors=errors)
    return queries.shelf_select([community.id], status=args.get("status"), q=args["q"]), args


ITEM_EXPORT_HEADERS = (
    ("编号", 8),
    ("商品名称", 24),
    ("所需积分", 10),
    ("库存", 8),
    ("每月限兑", 10),
    ("状态", 8),
    ("提供单位", 24),
)


@bp.get("/communities/<int:community_id>/supermarket/items/export.xlsx")
@login_required
def items_export(community_id: int):
    _actor, community = _staff_community(community_id)
    query, _args = _listed_items(community)
    rows = (
        [
            str(i.id),
            i.name,
            i.cost,
            i.stock,
            i.monthly_limit,
            i.status.label,
            i.supplier.name if i.supplier else "",
        ]
        for i in xlsx.streamed(query)
    )
    return xlsx.list_export(
        "积分超市商品", ITEM_EXPORT_HEADERS, rows, place=community.name, slug="supermarket-items"
    )


@bp.get("/communities/<int:community_id>/supermarket/items")
@login_required
def items(community_id: int):
    actor, community = _staff_community(community_id)
    query, args = _listed_items(community)
    filter_args = _filter_args(args)
    return render(
        "rewards_manage/items.html",
        block="item_rows",
        community=community,
        page=paginate(query, args["page"], args["per_page"]),
        args=args,
        filter_args=filter_args,
        counts=_status_counts(community.id),
        statuses=list(ItemStatus),
        low_stock=queries.low_stock(community.id),
        next_url=url_for("rewards_manage.items", community_id=community.id, **filter_args),
        **_links(actor, community),
    )


def _form_context(actor, community, item=None) -> dict:
    units = db.session.scalars(alliance_queries.units_select(actor, community_id=community.id))
    return {
        "community": community,
        "item": item,
        "supplier_options": [(unit.id, unit.name) for unit in units],
        "max_mb": pictures.MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_side": pictures.MAX_SIDE,
        # A file input cannot be filled in again: if the form comes back, she must re-choose it.
        "picture_chosen": request.method == "POST" and bool(request.files.get("picture")),
    }


@bp.route("/communities/<int:community_id>/supermarket/items/new", methods=["GET", "POST"])
@login_required
def new_item(community_id: int):
    actor, community = _staff_community(community_id)
    context = _form_context(actor, community)
    if request.method == "GET":
        form = {"low_stock_at": str(DEFAULT_LOW_STOCK_AT)}
        return render("rewards_manage/form.html", form=form, errors={}, **context)
    retry_form("rewards_manage/form.html", **context)
    data, errors = load_form(ITEM_FORM, request.form)
    if errors:
        raise Invalid(errors=errors)
    picture = _upload()

    def create():  # one unit of work: a refused picture rolls the new item back too
        item = stocking.add_item(actor, community.id, **data)
        if picture is not None:
            stocking.set_picture(actor, item.id, picture)
        flash(_("已上架“%(name)s”，志愿者现在可以兑换。", name=item.name), "success")
        items = url_for("rewards_manage.items", community_id=community.id)
        return redirect(f"{items}#item-{item.id}")

    return submit_once(actor, create)


def _item_form(item) -> dict:
    return {
        "name": item.name,
        "description": item.description,
        "cost": str(item.cost),
        "monthly_limit": "" if item.monthly_limit is None else str(item.monthly_limit),
        "supplier_unit_id": "" if item.supplier_unit_id is None else str(item.supplier_unit_id),
        "low_stock_at": str(item.low_stock_at),
    }


@bp.route("/supermarket/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):
    actor, item = _staff_item(item_id)
    community = alliance_queries.get_community(actor, item.community_id)
    context = _form_context(actor, community, item)
    if request.method == "GET":
        return render("rewards_manage/form.html", form=_item_form(item), errors={}, **context)
    retry_form("rewards_manage/form.html", **context)
    data, errors = load_form(EDIT_FORM, request.form)
    if errors:
        raise Invalid(errors=errors)
    picture = _upload()
    with unit_of_work(actor):
        stocking.update_item(actor, item.id, **data)
        if picture is not None:
            stocking.set_picture(actor, item.id, picture)
        elif request.form.get("remove_picture"):
            stocking.remove_picture(actor, item.id)
    flash(_("已保存“%(name)s”。", name=data["name"]), "success")
    return redirect(url_for("rewards_manage.items", community_id=community.id) + f"#item-{item.id}")


# --- In-place actions on a row ----------------------------------------------------------------


def _row_answer(item, message: str):
    """htmx: the row, swapped in place with the message in it. Otherwise: back to the list.

    Row forms aim htmx at the row's message slot, so a refusal (the one error handler's
    fragment) shows there; only success re-aims the response at the whole row.
    """
    default = url_for("rewards_manage.items", community_id=item.community_id)
    next_url = _safe_next(request.form.get("next"), default)
    if is_htmx():
        html = render_template(
            "rewards_manage/_item_row.html", item=item, row_message=message, next_url=next_url
        )
        response = make_response(html)
        response.headers["HX-Retarget"] = f"#item-{item.id}"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(message, "success")
    return redirect(f"{next_url}#item-{item.id}")


@bp.route("/supermarket/items/<int:item_id>/restock", methods=["GET", "POST"])
@login_required
def restock(item_id: int):
    """补货 or 报损. The row's form posts here; the page is for phones without JavaScript,
    where a refusal comes back beside the quantity."""
    actor, item = _staff_item(item_id)
    default = url_for("rewards_manage.items", community_id=item.community_id)
    context = {"item": item, "next_url": _safe_next(request.values.get("next"), default)}
    if request.method == "GET":
        return render("rewards_manage/restock.html", form={}, errors={}, **context)
    retry_form("rewards_manage/restock.html", **context)
    data, errors = load_form(RestockIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        restocked = stocking.restock(actor, item.id, quantity=data["quantity"])
        n, stock = data["quantity"], restocked.stock
        if n > 0:
            message = _("已补货 %(n)s 件，现有库存 %(stock)s 件。", n=n, stock=stock)
        else:
            message = _("已报损 %(n)s 件，现有库存 %(stock)s 件。", n=-n, stock=stock)
        return _row_answer(restocked, message)

    return submit_once(actor, create)


@bp.post("/supermarket/items/<int:item_id>/<any(delist, relist):action>")
@login_required
def shelve(item_id: int, action: str):
    """下架 / 重新上架. Reservations already made stand either way."""
    actor, item = _staff_item(item_id)
    with unit_of_work(actor):
        if action == "delist":
            stocking.delist(actor, item.id)
            message = _("已下架“%(name)s”，已预约的仍可凭领取码领取。", name=item.name)
        else:
            stocking.relist(actor, item.id)
            message = _("已重新上架“%(name)s”。", name=item.name)
    return _row_answer(item, message)


# --- The monthly summary ----------------------------------------------------------------------


def _month() -> tuple[date, date]:
    """(the month asked for, this month), both as their 1st; community time."""
    args, errors = load_form(SummaryArgs(exclude=("community_id",)), request.args)
    if errors:
        raise Invalid(errors=errors)
    this_month = month_start(local_today())
    if "month" not in args:
        return this_month, this_month
    year, month = args["month"].split("-")
    return date(int(year), int(month), 1), this_month


def _summary(community_id: int, month: date) -> dict:
    rows = queries.monthly_summary(community_id, month)
    return {
        "rows": rows,
        "by_supplier": [
            {"supplier_name": name, "picked_up": n, "points": points}
            for name, n, points in excel.supplier_totals(rows)
        ],
        "total_points": sum(row.points for row in rows),
        "total_picked_up": sum(row.picked_up for row in rows),
    }


def _previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


@bp.get("/communities/<int:community_id>/supermarket/summary")
@login_required
def summary(community_id: int):
    _actor, community = _staff_community(community_id)
    month, this_month = _month()
    following = next_month(month)
    return render(
        "rewards_manage/summary.html",
        community=community,
        month=month.strftime("%Y-%m"),
        this_month=this_month.strftime("%Y-%m"),
        previous=_previous_month(month).strftime("%Y-%m"),
        following=following.strftime("%Y-%m") if following <= this_month else None,
        **_summary(community.id, month),
    )


@bp.get("/communities/<int:community_id>/supermarket/summary.xlsx")
@login_required
def summary_xlsx(community_id: int):
    _actor, community = _staff_community(community_id)
    month, _this_month = _month()
    text = month.strftime("%Y-%m")
    data = excel.write_summary(community.name, text, queries.monthly_summary(community.id, month))
    return xlsx.attachment(
        data, f"积分超市月度汇总-{community.name}-{text}.xlsx", f"supermarket-summary-{text}.xlsx"
    )


# --- Staff and the pickup deadline (the secretary's) ------------------------------------------


# The 添加管理员 list holds this many of her people, by name; the search box narrows them (a city
# community has 20,000).
STAFF_OPTIONS = 50


def _staff_context(actor, community, *, q: str = "") -> dict:
    grants = stocking.staff_grants(community.id)
    return {
        "community": community,
        "grants": grants,
        "q": q,
        "people_options": _people_options(community, q, grants),
        "options_limit": STAFF_OPTIONS,
        "default_pickup_days": DEFAULT_PICKUP_DAYS,
    }


def _people_options(community, q: str, grants=None) -> list[tuple[int, str]]:
    """The first STAFF_OPTIONS, by name, of the people she may make staff whose name (or user
    name) holds ``q``: grant_staff takes the community's own people only (not the units'
    liaisons), and not those who already are. Users are walked in name order with one index
    probe each for a grant here, so the list stops at its length instead of sorting 20,000."""
    if grants is None:
        grants = stocking.staff_grants(community.id)
    own = sa.select(RoleGrant.id).where(
        RoleGrant.user_id == User.id,
        RoleGrant.community_id == community.id,
        RoleGrant.role != Role.SUPERMARKET_STAFF,
    )
    people = (
        sa.select(User)
        .where(own.exists(), User.id.not_in([grant.user_id for grant in grants]))
        .options(sa.orm.selectinload(User.grants))
        .order_by(User.display_name, User.id)
        .limit(STAFF_OPTIONS)
    )
    if q:
        people = people.where(
            sa.or_(
                User.display_name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
            )
        )
    return [
        (person.id, f"{person.display_name}（{_role_names(person, community.id)}）")
        for person in db.session.scalars(people)
    ]


def _role_names(person, community_id: int) -> str:
    return "、".join(
        grant.role.label
        for grant in person.grants
        if grant.community_id == community_id and grant.role is not Role.SUPERMARKET_STAFF
    )


@bp.get("/communities/<int:community_id>/supermarket/staff/people")
@login_required
def staff_people(community_id: int):
    """添加管理员's options for a name typed in the search box; the whole staff page (with the
    narrowed list) when visited without htmx."""
    actor, community = _secretary_community(community_id)
    q = request.args.get("q", "").strip()[:32]
    if not is_htmx():
        return render(
            "rewards_manage/staff.html", form={}, errors={}, **_staff_context(actor, community, q=q)
        )
    return render(
        "rewards_manage/staff.html",
        block="people_options",
        form={},
        q=q,
        people_options=_people_options(community, q),
        options_limit=STAFF_OPTIONS,
    )


@bp.route("/communities/<int:community_id>/supermarket/staff", methods=["GET", "POST"])
@login_required
def staff(community_id: int):
    actor, community = _secretary_community(community_id)
    context = _staff_context(actor, community)
    if request.method == "GET":
        return render("rewards_manage/staff.html", form={}, errors={}, **context)
    retry_form("rewards_manage/staff.html", **context)
    data, errors = load_form(StaffIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        grant = stocking.grant_staff(actor, community.id, data["user_id"])
        flash(
            _(
                "%(name)s 现在是积分超市管理员，可以补货、上下架和在柜台办理领取。",
                name=grant.user.display_name,
            ),
            "success",
        )
        return redirect(url_for("rewards_manage.staff", community_id=community.id))

    return submit_once(actor, create)


@bp.post("/communities/<int:community_id>/supermarket/staff/<int:grant_id>/revoke")
@login_required
def revoke_staff(community_id: int, grant_id: int):
    actor, community = _secretary_community(community_id)
    retry_form("rewards_manage/staff.html", **_staff_context(actor, community))
    with unit_of_work(actor):
        grant = next((g for g in stocking.staff_grants(community.id) if g.id == grant_id), None)
        name = grant.user.display_name if grant is not None else ""
        stocking.revoke_staff(actor, grant_id)
    flash(_("已撤销%(name)s的积分超市管理员权限。", name=name), "success")
    return redirect(url_for("rewards_manage.staff", community_id=community.id))


@bp.post("/communities/<int:community_id>/supermarket/pickup-days")
@login_required
def pickup_days(community_id: int):
    actor, community = _secretary_community(community_id)
    retry_form("rewards_manage/staff.html", **_staff_context(actor, community))
    data, errors = load_form(PickupDaysIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        stocking.set_pickup_days(actor, community.id, data["pickup_days"])
    flash(
        _("领取期限已改为 %(n)s 天，从现在起的预约按新期限计算。", n=data["pickup_days"]),
        "success",
    )
    return redirect(url_for("rewards_manage.staff", community_id=community.id))
