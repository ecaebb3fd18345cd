from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.search import service
from coop.search.schemas import SearchArgs, SearchOut, search_out

blp = signed_in_blueprint("search_api", __name__, "搜索 · one box for community staff")


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchOut)
    @documents_errors(blp, 401, 403, 422)
    def get(self, args):
        """Needs, projects, activities, units and people of the caller's communities (staff)
        or street (street admin) whose name or title holds ``q``; 4 or more digits match the end
        of a phone number instead (needs' requesters, people). At most 10 a kind; phones
        masked. Under 2 or over 50 characters: no results and a ``hint``."""
        return search_out(service.search(require_actor(), args["q"]))
