"""GET /api/v1/public/communities/{id}/board: the 公示栏 as JSON, for the street's data platform.

No token: the blueprint has no sign-in gate and its operation declares no security. Cached for a
minute like the page; its labels follow ``Accept-Language``.
"""

import json

from flask import current_app
from flask.views import MethodView
from flask_babel import get_locale

from coop.apidoc import Blueprint, documents_errors
from coop.dbtypes import utcnow
from coop.public import cache, queries
from coop.public.schemas import BoardApiArgs, BoardOut
from coop.public.views import cacheable

blp = Blueprint(
    "public_api",
    __name__,
    url_prefix="/api/v1/public",
    description="公示栏 · the public board (no token)",
)


@blp.after_request
def _cacheable(response):
    if response.status_code == 200:
        response = cacheable(response)
        response.vary.add("Accept-Language")
    return response


@blp.route("/communities/<int:community_id>/board")
class PublicBoard(MethodView):
    @blp.doc(security=[])
    @blp.arguments(BoardApiArgs, location="query")
    @blp.response(200, BoardOut)
    @documents_errors(blp, 404, 422)
    def get(self, args, community_id):
        """The community's 公示栏: a page of its needs (anonymised: category, neighbourhood,
        urgency, the day it came in, its state and timeline; never a title, name, phone or
        address), its projects with the partner units that claimed them and the sessions held,
        this month's figures and its units' honours. Needs kept off the board are absent."""
        locale = str(get_locale())
        variant = f"json:{locale}:{sorted((k, str(v)) for k, v in args.items())}"

        def build() -> bytes:
            board = queries.board(community_id, utcnow(), **args)
            return json.dumps(BoardOut().dump(board), ensure_ascii=False).encode()

        body = cache.cached(community_id, variant, build)
        return current_app.response_class(body, mimetype="application/json")
