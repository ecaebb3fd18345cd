"""The 积分超市's JSON and form shapes; pages load the same input schemas as the API."""

import marshmallow as ma
import segno
from flask import request, url_for
from flask_smorest.fields import Upload
from marshmallow import fields

from coop.apidoc import PageArgs
from coop.auth.current import current_actor
from coop.privacy import mask_phone
from coop.rewards import permissions, queries, service
from coop.rewards.models import CODE_LENGTH, DEFAULT_LOW_STOCK_AT, ItemStatus, RedemptionStatus
from coop.schemas import Id, Int, LocalDateTime, Trimmed, length, month
from coop.timeutil import local_today

MONTH = month(error="请按 年-月 填写月份，例如 2026-11。")


def _count(name: str, low: int, high: int, *, error: str, **kwargs):
    """An integer in [low, high]; ``error`` is written at the call (error="…") so that
    scripts/translations.py finds it."""
    return Int(
        validate=ma.validate.Range(min=low, max=high, error=error),
        metadata={"description": f"{name}, {low}–{high}"},
        **kwargs,
    )


class ItemIn(ma.Schema):
    """A new item. The page takes the community from its URL: load with exclude=("community_id",)."""

    community_id = Id(required=True)
    name = Trimmed(required=True, validate=length(min=2, max=64))
    description = Trimmed(load_default="", validate=length(max=500))
    cost = _count("points", 1, 100_000, error="所需积分应为 1–100000。", required=True)
    stock = _count("stock", 0, 100_000, error="库存应为 0–100000 件。", required=True)
    monthly_limit = _count(
        "per person a month (null: no limit)",
        1,
        1000,
        error="每人每月限兑应为 1–1000 件。",
        allow_none=True,
        load_default=None,
    )
    supplier_unit_id = Id(
        allow_none=True,
        load_default=None,
        metadata={"description": "公益合伙人: the unit that supplies it; null for the community"},
    )
    low_stock_at = _count(
        "low-stock mark",
        0,
        1000,
        error="低库存提醒应为 0–1000 件。",
        load_default=DEFAULT_LOW_STOCK_AT,
    )


class ItemPatch(ItemIn):
    """Any of the editable fields; a new price applies to reservations from now on."""

    class Meta:
        exclude = ("community_id", "stock")

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class RestockIn(ma.Schema):
    quantity = Int(
        required=True,
        validate=ma.validate.Range(min=-100_000, max=100_000, error="数量应在 ±100000 以内。"),
        metadata={"description": "Added to the stock; negative takes lost or broken ones off"},
    )


class PickupDaysIn(ma.Schema):
    pickup_days = _count("days", 1, 90, error="领取期限应为 1–90 天。", required=True)


class StaffIn(ma.Schema):
    user_id = Id(required=True)


class CancelIn(ma.Schema):
    """The volunteer may cancel without a reason; staff must give one."""

    reason = Trimmed(load_default="", validate=length(max=500))


class CodeIn(ma.Schema):
    """The counter's lookup: eight digits, spaces and dashes ignored (people read it in pairs)."""

    code = fields.String(required=True, metadata={"description": f"{CODE_LENGTH} digits"})

    @ma.post_load
    def _digits(self, data, **kwargs):
        code = "".join(ch for ch in data["code"] if ch not in " -")
        if len(code) != CODE_LENGTH or not code.isdigit():
            raise ma.ValidationError({"code": [f"领取码是 {CODE_LENGTH} 位数字。"]})
        return {"code": code}


class RewardArgs(PageArgs):
    community_id = Id()
    status = fields.Enum(ItemStatus, by_value=True, metadata={"description": "staff only"})
    q = Trimmed(load_default="", validate=length(max=64))


class RedemptionArgs(PageArgs):
    """A volunteer gets her own; staff their supermarkets' (``mine`` for their own)."""

    community_id = Id()
    status = fields.Enum(RedemptionStatus, by_value=True)
    volunteer_id = Id()
    code = fields.String(validate=length(max=16))
    mine = fields.Boolean(load_default=False)


class SummaryArgs(ma.Schema):
    community_id = Id(required=True)
    month = fields.String(
        validate=MONTH, metadata={"description": "YYYY-MM; this month if left out"}
    )


def preload_offers(items) -> None:
    """Work out, for a page of items, whether the caller can reserve each and why not, in a
    few queries (her wallet per community and her redemptions this month)."""
    actor = current_actor()
    memo = request.environ.setdefault("coop.reward_offers", {})
    today = local_today()
    by_community: dict[int, list] = {}
    for item in items:
        by_community.setdefault(item.community_id, []).append(item)
    for community_id, group in by_community.items():
        if not permissions.is_volunteer_of(actor, community_id):
            memo.update({item.id: None for item in group})
            continue
        wallet = queries.wallet(actor.id, community_id)
        used = queries.used_this_month_by_item(actor.id, [i.id for i in group], today)
        for item in group:
            refused = service.refusal(item, available=wallet.available, used=used.get(item.id, 0))
            memo[item.id] = {
                "can_reserve": refused is None,
                "reason_code": refused.code if refused else None,
                "reason": refused.message if refused else None,
                "used_this_month": used.get(item.id, 0),
            }


def offer_for(item):
    memo = request.environ.setdefault("coop.reward_offers", {})
    if item.id not in memo:
        preload_offers([item])
    return memo[item.id]


class OfferOut(ma.Schema):
    can_reserve = fields.Boolean()
    reason_code = fields.String(
        allow_none=True,
        metadata={"description": "out_of_stock, not_on_shelf, limit_reached, insufficient_points"},
    )
    reason = fields.String(allow_none=True)
    used_this_month = fields.Integer()


def picture_url(item) -> str | None:
    if item.picture is None:
        return None
    return url_for("rewards.picture", item_id=item.id, v=item.picture.etag[:8])


class ItemOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    description = fields.String()
    cost = fields.Integer()
    stock = fields.Integer()
    monthly_limit = fields.Integer(allow_none=True)
    supplier_unit_id = fields.Integer(allow_none=True)
    supplier_name = fields.Function(lambda i: i.supplier.name if i.supplier else None)
    status = fields.Enum(ItemStatus, by_value=True)
    status_label = fields.Function(lambda i: i.status.label)
    low_stock_at = fields.Integer()
    low_on_stock = fields.Boolean()
    picture_url = fields.Function(picture_url)
    mine = fields.Function(
        lambda i: OfferOut().dump(o) if (o := offer_for(i)) is not None else None,
        metadata={
            "description": "For a volunteer of the community: can she reserve it, and why not"
        },
    )


def pickup_url(redemption) -> str:
    """The counter page with the code filled in: what the redemption's QR encodes."""
    return url_for("rewards.counter", code=redemption.code, _external=True)


def pickup_qr(redemption) -> "segno.QRCode":
    return segno.make(pickup_url(redemption), "m", micro=False)


def _for_staff(value):
    def get(redemption):
        if permissions.can_run_supermarket(current_actor(), redemption.community_id):
            return value(redemption)
        return ma.missing

    return get


class RedemptionOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.String()
    supplier_unit_id = fields.Integer(allow_none=True)
    supplier_name = fields.Function(lambda r: r.supplier.name if r.supplier else None)
    volunteer_id = fields.Integer()
    volunteer_name = fields.Function(lambda r: r.volunteer.display_name)
    volunteer_phone = fields.Function(
        _for_staff(lambda r: mask_phone(r.volunteer.phone)),
        metadata={"description": "Masked; staff only"},
    )
    cost = fields.Integer(metadata={"description": "Points held, then spent or returned"})
    code = fields.String(metadata={"description": "The pickup code; the QR encodes pickup_url"})
    pickup_url = fields.Function(pickup_url)
    status = fields.Enum(RedemptionStatus, by_value=True)
    status_label = fields.Function(lambda r: r.status.label)
    reserved_at = LocalDateTime()
    expires_at = LocalDateTime()
    closed_at = LocalDateTime(allow_none=True)
    closed_by_name = fields.Function(lambda r: r.closed_by.display_name if r.closed_by else None)
    cancel_reason = fields.String()
    can_pickup = fields.Function(lambda r: permissions.can_pickup(current_actor(), r))
    can_cancel = fields.Function(lambda r: permissions.can_cancel(current_actor(), r))


class WalletOut(ma.Schema):
    community_id = fields.Integer()
    available = fields.Integer()
    held = fields.Integer()


class SummaryRowOut(ma.Schema):
    item_id = fields.Integer()
    item_name = fields.String()
    supplier_unit_id = fields.Integer(allow_none=True)
    supplier_name = fields.String(allow_none=True, metadata={"description": "null: the community"})
    picked_up = fields.Integer()
    points = fields.Integer()


class SummaryOut(ma.Schema):
    community_id = fields.Integer()
    month = fields.String()
    rows = fields.List(fields.Nested(SummaryRowOut))
    total_points = fields.Integer()
    total_picked_up = fields.Integer()


class PictureIn(ma.Schema):
    """multipart/form-data: the file in the field ``picture``."""

    picture = Upload(
        required=True,
        metadata={"description": "JPG, PNG or WebP, at most 5 MB; stored as a JPEG ≤ 800 × 800"},
    )


class WalletArgs(ma.Schema):
    community_id = Id(required=True)


class StaffGrantOut(ma.Schema):
    """One person's 积分超市管理员 grant; its id is what DELETE /supermarket-staff/{id} takes."""

    id = fields.Integer()
    community_id = fields.Integer()
    user_id = fields.Integer()
    display_name = fields.Function(lambda grant: grant.user.display_name)


class PickupDaysOut(ma.Schema):
    community_id = fields.Integer()
    pickup_days = fields.Integer()
