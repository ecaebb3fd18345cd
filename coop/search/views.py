from flask import Blueprint, has_request_context, request

from coop.auth.current import current_actor, login_required, require_actor
from coop.htmx import render
from coop.search import service
from coop.search.links import link

bp = Blueprint("search", __name__)


@bp.app_context_processor
def _search_box():
    """The header's search box, for those who may search (no query: the grants say it)."""
    if not has_request_context() or request.path.startswith("/api/"):
        return {"search_box": False, "search_q": ""}
    return {"search_box": service.can_search(current_actor()), "search_q": ""}


@bp.get("/search")
@login_required
def page():
    result = service.search(require_actor(), request.args.get("q", ""))
    return render(
        "search/results.html",
        result=result,
        link=link,
        search_q=result.query,
        kinds=service.KINDS,
    )
