from flask import Blueprint, abort, request

from coop.auth.current import login_required, require_actor
from coop.rewards import queries

bp = Blueprint("rewards", __name__)


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
