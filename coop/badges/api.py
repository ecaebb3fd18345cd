"""月月红: monthly themes, badges and awards."""

from flask.views import MethodView

from coop.alliance import queries as alliance_queries
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.badges import queries, themes
from coop.badges.catalog import ensure_catalog
from coop.badges.schemas import AwardArgs, BadgeAwardOut, BadgeOut, ThemeIn, ThemeOut
from coop.pagination import paginate
from coop.uow import unit_of_work

blp = signed_in_blueprint("badges_api", __name__, "月月红 · monthly themes, badges and awards")


@blp.route("/badges")
class Badges(MethodView):
    @blp.response(200, BadgeOut(many=True))
    @documents_errors(blp, 401)
    def get(self):
        """The badge catalogue: codes, names, who may hold each and its bonus points."""
        with unit_of_work():
            ensure_catalog()  # brought up to date on first use
        return queries.badges()


@blp.route("/badge-awards")
class BadgeAwards(MethodView):
    @blp.arguments(AwardArgs, location="query")
    @blp.response(200, page_schema(BadgeAwardOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Awards in the caller's communities, newest month first, revoked ones included with
        their reason; narrowed by month (2026-10), holder and community."""
        query = queries.awards_select(
            require_actor(),
            month=args.get("month"),
            holder_type=args.get("holder_type"),
            holder_id=args.get("holder_id"),
            community_id=args.get("community_id"),
        )
        page = paginate(query, args["page"], args["per_page"])
        names = queries.holder_names(page["items"])
        for award in page["items"]:
            award.holder_name = names.get((award.holder_type, award.holder_id), "")
        return page


@blp.route("/communities/<int:community_id>/themes")
class Themes(MethodView):
    @blp.response(200, ThemeOut(many=True))
    @documents_errors(blp, 401, 404)
    def get(self, community_id):
        """The community's twelve monthly red themes, January first."""
        community = alliance_queries.get_community(require_actor(), community_id)
        return themes.themes_of(community.id)  # the defaults where she changed nothing


@blp.route("/communities/<int:community_id>/themes/<int:month>")
class Theme(MethodView):
    @blp.response(200, ThemeOut)
    @documents_errors(blp, 401, 404)
    def get(self, community_id, month):
        """One month's theme (1–12)."""
        community = alliance_queries.get_community(require_actor(), community_id)
        return themes.theme_of(community.id, month)

    @blp.arguments(ThemeIn)
    @blp.response(200, ThemeOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def put(self, fields, community_id, month):
        """Rename a month's theme or rewrite its description (the community's secretary).
        Awards already made keep the title they were earned under."""
        actor = require_actor()
        with unit_of_work(actor):
            theme = themes.update_theme(actor, community_id, month, **fields)
        return theme
