import io
from datetime import date
from http import HTTPStatus

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView

from coop import idempotency
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require, visible_community_ids
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.pagination import paginate
from coop.rewards import permissions, queries, service, stocking
from coop.rewards.models import ItemStatus, Redemption, RewardItem
from coop.rewards.schemas import (
    CancelIn,
    ItemIn,
    ItemOut,
    ItemPatch,
    PickupDaysIn,
    PickupDaysOut,
    PictureIn,
    RedemptionArgs,
    RedemptionOut,
    RestockIn,
    RewardArgs,
    StaffGrantOut,
    StaffIn,
    SummaryArgs,
    SummaryOut,
    WalletArgs,
    WalletOut,
    pickup_qr,
    preload_offers,
)
from coop.timeutil import local_today, month_start
from coop.uow import unit_of_work

blp = signed_in_blueprint("rewards_api", __name__, "积分超市 · rewards and redemptions")

TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


# --- the shelf ----------------------------------------------------------------------------------


@blp.route("/rewards")
class Rewards(MethodView):
    @blp.arguments(RewardArgs, location="query")
    @blp.response(200, page_schema(ItemOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """The items of the caller's communities, cheapest first, each with ``mine`` (can she
        reserve it, and why not). Volunteers see what is on the shelf; staff see every item, or
        with ``status`` only those on or off the shelf. ``q`` searches the names."""
        actor = require_actor()
        community_ids = visible_community_ids(actor)
        if args.get("community_id") is not None:
            community_ids &= {args["community_id"]}
        query = queries.shelf_select(community_ids, status=args.get("status"), q=args["q"])
        staff_of = permissions.staff_community_ids(actor) & community_ids
        if staff_of != community_ids:
            # What is off the shelf is the staff's business; elsewhere she sees the shelf.
            query = query.where(
                sa.or_(
                    RewardItem.community_id.in_(list(staff_of)),
                    RewardItem.status == ItemStatus.ON_SHELF,
                )
            )
        page = paginate(query, args["page"], args["per_page"])
        preload_offers(page["items"])
        return page

    @blp.arguments(ItemIn)
    @blp.response(201, ItemOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields):
        """Put an item on the shelf, supplied by the community or by a unit of its alliance
        (公益合伙人) (secretary, supermarket staff). 422 when the supplier is not in the alliance."""
        actor = require_actor()
        values = dict(fields)
        with unit_of_work(actor):
            item = stocking.add_item(actor, values.pop("community_id"), **values)
        return item


@blp.route("/rewards/<int:item_id>")
class RewardDetail(MethodView):
    @blp.response(200, ItemOut)
    @documents_errors(blp, 401, 404)
    def get(self, item_id):
        """One item of the caller's communities, with ``mine``."""
        return queries.get_item(require_actor(), item_id)

    @blp.arguments(ItemPatch)
    @blp.response(200, ItemOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def patch(self, fields, item_id):
        """Rename, reprice, change the monthly limit, supplier or low-stock mark (staff). Changes
        apply from now on: reservations keep the name and cost they were made at."""
        actor = require_actor()
        with unit_of_work(actor):
            item = stocking.update_item(actor, item_id, **fields)
        return item


@blp.route("/rewards/<int:item_id>/restock")
class RestockItem(MethodView):
    @blp.arguments(RestockIn)
    @blp.response(200, ItemOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, item_id):
        """Add to the stock, or with a negative ``quantity`` take lost or broken ones off (staff).
        422 for zero, for more than is in stock, or past 100,000."""
        actor = require_actor()
        with unit_of_work(actor):
            item = stocking.restock(actor, item_id, **fields)
        return item


@blp.route("/rewards/<int:item_id>/delist")
class DelistItem(MethodView):
    @blp.response(200, ItemOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, item_id):
        """Take the item off the shelf; reservations already made stand (staff). 409
        illegal_transition when it is off the shelf already."""
        actor = require_actor()
        with unit_of_work(actor):
            item = stocking.delist(actor, item_id)
        return item


@blp.route("/rewards/<int:item_id>/relist")
class RelistItem(MethodView):
    @blp.response(200, ItemOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, item_id):
        """Put the item back on the shelf (staff). 409 illegal_transition when it is on it."""
        actor = require_actor()
        with unit_of_work(actor):
            item = stocking.relist(actor, item_id)
        return item


@blp.route("/rewards/<int:item_id>/picture")
class ItemPicture(MethodView):
    @blp.arguments(PictureIn, location="files")
    @blp.response(200, ItemOut)
    @blp.alt_response(413, response=TOO_LARGE.name)
    @documents_errors(blp, 401, 403, 404, 422)
    def put(self, files, item_id):
        """Replace the item's picture (staff): multipart/form-data with the file in ``picture``.
        It is re-encoded as a JPEG of at most 800 × 800 without its EXIF data. 422 when the file
        is missing, not a JPG/PNG/WebP picture or over 5 MB; 413 for a request over 16 MB."""
        actor = require_actor()
        upload = files["picture"].read()
        with unit_of_work(actor):
            picture = stocking.set_picture(actor, item_id, upload)
        return picture.item

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, item_id):
        """Remove the item's picture (staff); removing none is no error."""
        actor = require_actor()
        with unit_of_work(actor):
            stocking.remove_picture(actor, item_id)


# --- redeeming ----------------------------------------------------------------------------------


@blp.route("/rewards/<int:item_id>/redemptions")
class ItemRedemptions(MethodView):
    @blp.response(201, RedemptionOut)
    @blp.doc(parameters=[idempotency.HEADER_DOC])
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, item_id):
        """A volunteer of the community reserves one: its points are held at once and she gets
        a pickup code, valid for the community's pickup days. 403 for anyone but its
        volunteers; 409 insufficient_points, out_of_stock, limit_reached, not_on_shelf,
        idempotency_mismatch — and a refusal changes nothing."""
        actor = require_actor()

        def create() -> dict:
            redemption = service.reserve(actor, item_id, now=utcnow())
            return RedemptionOut().dump(redemption)

        return idempotency.respond_once(actor, {"item_id": item_id}, create, 201)


@blp.route("/redemptions")
class Redemptions(MethodView):
    @blp.arguments(RedemptionArgs, location="query")
    @blp.response(200, page_schema(RedemptionOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Redemptions, newest first: a volunteer gets her own, staff their supermarkets'
        (``mine=true`` for their own). ``code`` is the counter's lookup by pickup code (spaces
        and dashes ignored)."""
        query = queries.redemptions_select(
            require_actor(),
            community_id=args.get("community_id"),
            volunteer_id=args.get("volunteer_id"),
            status=args.get("status"),
            mine=args["mine"],
        )
        if args.get("code"):
            # People read the code in pairs: "1234 5678" and "1234-5678" are the same code.
            code = "".join(ch for ch in args["code"] if ch not in " -")
            query = query.where(Redemption.code == code)
        return paginate(query, args["page"], args["per_page"])


@blp.route("/redemptions/<int:redemption_id>")
class RedemptionDetail(MethodView):
    @blp.response(200, RedemptionOut)
    @documents_errors(blp, 401, 404)
    def get(self, redemption_id):
        """One redemption: her own, or any of a supermarket the caller runs."""
        return queries.get_redemption(require_actor(), redemption_id)


@blp.route("/redemptions/<int:redemption_id>/qr.svg")
class RedemptionQr(MethodView):
    @blp.response(
        200,
        content_type="image/svg+xml",
        description="An SVG QR code of the counter page's link, pickup code included",
    )
    @blp.doc(
        responses={
            "200": {
                "description": "An SVG QR code of the counter page's link, pickup code included",
                "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            }
        }
    )
    @documents_errors(blp, 401, 404)
    def get(self, redemption_id):
        """The QR she shows at the counter: it opens the counter page with her code filled in
        (its volunteer, or staff)."""
        redemption = queries.get_redemption(require_actor(), redemption_id)
        svg = io.BytesIO()
        pickup_qr(redemption).save(svg, kind="svg", scale=8, border=2, title=redemption.item_name)
        # The code is as good as the item: no shared or cached copies.
        return Response(
            svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"}
        )


@blp.route("/redemptions/<int:redemption_id>/pickup")
class PickupRedemption(MethodView):
    @blp.response(200, RedemptionOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, redemption_id):
        """Hand the item over at the counter: the held points are spent (secretary, supermarket
        staff). 403 own_redemption for one's own; 409 illegal_transition when not reserved,
        redemption_overdue past the pickup deadline."""
        actor = require_actor()
        with unit_of_work(actor):
            redemption = service.pickup(actor, redemption_id, now=utcnow())
        return redemption


@blp.route("/redemptions/<int:redemption_id>/cancel")
class CancelRedemption(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, RedemptionOut)
    @documents_errors(blp, 400, 401, 404, 409, 422)
    def post(self, fields, redemption_id):
        """Cancel a reservation: the item goes back on the shelf and the points come back, once.
        The volunteer cancels her own; staff cancel anyone's with a ``reason`` she reads (422
        without one). 409 illegal_transition when it is no longer reserved."""
        actor = require_actor()
        with unit_of_work(actor):
            redemption = service.cancel(actor, redemption_id, now=utcnow(), **fields)
        return redemption


# --- the caller's points, the month's summary ---------------------------------------------------


@blp.route("/rewards/wallet")
class Wallet(MethodView):
    @blp.arguments(WalletArgs, location="query")
    @blp.response(200, WalletOut)
    @documents_errors(blp, 401, 404, 422)
    def get(self, args):
        """The caller's points in one of her communities: what she can spend, and what her
        reservations hold until pickup."""
        actor = require_actor()
        community = alliance_queries.get_community(actor, args["community_id"])
        wallet = queries.wallet(actor.id, community.id)
        return {"community_id": community.id, "available": wallet.available, "held": wallet.held}


@blp.route("/rewards/summary")
class Summary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummaryOut)
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args):
        """Points spent in a month (items handed over, community time) by item and supplier,
        most points first; ``month`` is this month when left out (secretary, supermarket
        staff)."""
        actor = require_actor()
        community = alliance_queries.get_community(actor, args["community_id"])
        require(permissions.can_run_supermarket(actor, community.id))
        if "month" in args:
            year, month = args["month"].split("-")
            first = date(int(year), int(month), 1)
        else:
            first = month_start(local_today())
        rows = queries.monthly_summary(community.id, first)
        return {
            "community_id": community.id,
            "month": first.strftime("%Y-%m"),
            "rows": rows,
            "total_points": sum(row.points for row in rows),
            "total_picked_up": sum(row.picked_up for row in rows),
        }


# --- running the supermarket: its staff and pickup deadline -------------------------------------


@blp.route("/communities/<int:community_id>/supermarket-staff")
class SupermarketStaff(MethodView):
    @blp.response(200, page_schema(StaffGrantOut))
    @documents_errors(blp, 401, 403, 404)
    def get(self, community_id):
        """Who holds the 积分超市管理员 role in the community (secretary)."""
        actor = require_actor()
        community = alliance_queries.get_community(actor, community_id)
        require(permissions.can_grant_staff(actor, community.id))
        grants = stocking.staff_grants(community.id)
        return {"items": grants, "total": len(grants), "page": 1, "per_page": len(grants)}

    @blp.arguments(StaffIn)
    @blp.response(201, StaffGrantOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """Make one of the community's people supermarket staff (secretary). 422 when she is
        not of this community or is staff already."""
        actor = require_actor()
        with unit_of_work(actor):
            grant = stocking.grant_staff(actor, community_id, fields["user_id"])
        return grant


@blp.route("/supermarket-staff/<int:grant_id>")
class SupermarketStaffGrant(MethodView):
    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, grant_id):
        """Take the supermarket staff role back (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            stocking.revoke_staff(actor, grant_id)


@blp.route("/communities/<int:community_id>/pickup-days")
class PickupDays(MethodView):
    @blp.arguments(PickupDaysIn)
    @blp.response(200, PickupDaysOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def put(self, fields, community_id):
        """How many days a reservation waits at the counter before it expires and its points
        return (secretary). Reservations already made keep their deadline."""
        actor = require_actor()
        with unit_of_work(actor):
            community = stocking.set_pickup_days(actor, community_id, fields["pickup_days"])
        return {"community_id": community.id, "pickup_days": community.pickup_days}
