from flask.views import MethodView

from coop import stats
from coop.alliance import queries, service
from coop.alliance.schemas import (
    AgreementEdit,
    AgreementEndIn,
    AgreementIn,
    AgreementOut,
    CommunityOut,
    StatsOut,
    UnitArgs,
    UnitEdit,
    UnitIn,
    UnitOut,
)
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.needs import rates
from coop.pagination import paginate
from coop.schemas import patch_of
from coop.timeutil import local_today
from coop.uow import unit_of_work

blp = signed_in_blueprint("alliance_api", __name__, "Communities, units, agreements")


@blp.route("/communities")
class Communities(MethodView):
    @blp.response(200, page_schema(CommunityOut))
    @documents_errors(blp, 401)
    def get(self):
        """The communities in the caller's scope, with their neighbourhoods and alliance."""
        items = queries.communities_for(require_actor())
        return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}


@blp.route("/communities/<int:community_id>")
class CommunityDetail(MethodView):
    @blp.response(200, CommunityOut)
    @documents_errors(blp, 401, 404)
    def get(self, community_id):
        """One community; another community's is a 404."""
        return queries.get_community(require_actor(), community_id)


@blp.route("/communities/<int:community_id>/stats")
class CommunityStats(MethodView):
    @blp.response(200, StatsOut)
    @documents_errors(blp, 401, 404)
    def get(self, community_id):
        """Dashboard counts, each computed from rows."""
        community = queries.get_community(require_actor(), community_id)
        now = utcnow()
        return {
            **stats.community_stats(community, local_today(), now),
            "rates_by_month": rates.recent_months(community.id, now),
        }


@blp.route("/communities/<int:community_id>/units")
class CommunityUnits(MethodView):
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """A new unit joins the community's alliance (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            unit = service.add_unit(actor, community_id, **fields)
        return unit


@blp.route("/units")
class Units(MethodView):
    @blp.arguments(UnitArgs, location="query")
    @blp.response(200, page_schema(UnitOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Partner units serving the caller's communities; filter by community_id, kind, q."""
        query = queries.units_select(
            require_actor(),
            community_id=args.get("community_id"),
            kind=args.get("kind"),
            search=args.get("q"),
        )
        return paginate(query, args["page"], args["per_page"])


@blp.route("/units/<int:unit_id>")
class UnitDetail(MethodView):
    @blp.response(200, UnitOut)
    @documents_errors(blp, 401, 404)
    def get(self, unit_id):
        """One unit with its agreements; a unit outside the caller's communities is a 404."""
        return queries.get_unit(require_actor(), unit_id)

    @blp.arguments(patch_of(UnitEdit))
    @blp.response(200, UnitOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, unit_id):
        """Correct the unit's details (its liaison, or the secretary of a community it serves),
        with the ``version`` last read: a stale one is 409 ``version_conflict``."""
        actor = require_actor()
        with unit_of_work(actor):
            unit = service.edit_unit(actor, unit_id, **fields)
        return unit


@blp.route("/communities/<int:community_id>/units/<int:unit_id>/agreements")
class Agreements(MethodView):
    @blp.arguments(AgreementIn)
    @blp.response(201, AgreementOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, community_id, unit_id):
        """Record a signed 《共驻共建协议书》 between the unit and the community (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            agreement = service.record_agreement(actor, community_id, unit_id, **fields)
        return agreement


@blp.route("/agreements/<int:agreement_id>")
class AgreementDetail(MethodView):
    @blp.response(200, AgreementOut)
    @documents_errors(blp, 401, 404)
    def get(self, agreement_id):
        """One agreement; another community's is a 404."""
        return queries.get_agreement(require_actor(), agreement_id)

    @blp.arguments(patch_of(AgreementEdit))
    @blp.response(200, AgreementOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, agreement_id):
        """Correct when the agreement runs out (secretary), with the ``version`` last read: a
        stale one is 409 ``version_conflict``; one ended early is 409; an overlap with the
        unit's other agreements is 409 ``agreement_overlaps``."""
        actor = require_actor()
        with unit_of_work(actor):
            agreement = service.edit_agreement(actor, agreement_id, **fields)
        return agreement


@blp.route("/agreements/<int:agreement_id>/end")
class EndAgreement(MethodView):
    @blp.arguments(AgreementEndIn)
    @blp.response(200, AgreementOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, agreement_id):
        """End an agreement early, with a reason (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            agreement = service.end_agreement(actor, agreement_id, **fields)
        return agreement
