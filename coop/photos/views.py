from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.activities import queries as activity_queries
from coop.alliance.permissions import require
from coop.auth.current import login_required, require_actor
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.photos import service
from coop.photos.models import CAPTION_LENGTH
from coop.photos.schemas import PhotoFormIn
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("photos", __name__)


def read_upload(upload) -> bytes:
    """The chosen file's bytes (one past the limit at most, so pictures.prepare can refuse it);
    empty when no file was chosen."""
    if upload is None or not upload.filename:
        return b""
    return upload.stream.read(service.MAX_UPLOAD_BYTES + 1)


def serve(photo):
    """The photo's JPEG, cached by the phone until it changes (the URL carries its etag)."""
    if request.if_none_match.contains(photo.etag):
        return "", 304, {"ETag": f'"{photo.etag}"'}
    return (
        photo.data,
        200,
        {
            "Content-Type": photo.content_type,
            "ETag": f'"{photo.etag}"',
            "Cache-Control": "private, max-age=604800",
        },
    )


def _page_context(actor, activity) -> dict:
    return {
        "activity": activity,
        "photos": service.photos_of(activity.id),
        "can_add_photos": service.can_add_photos(actor, activity),
        "max_mb": service.MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_photos": service.MAX_PHOTOS,
        "caption_length": CAPTION_LENGTH,
    }


@bp.route("/activities/<int:activity_id>/photos", methods=["GET", "POST"])
@login_required
def photos(activity_id: int):
    """活动照片: everyone who sees the activity sees them; its organisers add them here."""
    actor = require_actor()
    activity = activity_queries.get_activity(actor, activity_id)
    context = _page_context(actor, activity)
    if request.method == "GET":
        return render("photos/photos.html", form={}, errors={}, **context)
    retry_form("photos/photos.html", **context)
    data, errors = load_form(PhotoFormIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    upload = read_upload(request.files.get("photo"))

    def create():  # submit_once's unit of work: a refused picture writes nothing
        service.add_photo(actor, activity.id, upload, caption=data["caption"])
        flash(_("照片已添加。"), "success")
        return redirect(url_for("photos.photos", activity_id=activity.id) + "#photos")

    return submit_once(actor, create)


@bp.get("/photos/<int:photo_id>.jpg")
@login_required
def image(photo_id: int):
    return serve(service.get_photo(require_actor(), photo_id))


@bp.route("/photos/<int:photo_id>/delete", methods=["GET", "POST"])
@login_required
def delete(photo_id: int):
    """删除照片: asked first, since evidence cannot be brought back."""
    actor = require_actor()
    photo = service.get_photo(actor, photo_id)
    if request.method == "GET":
        require(service.can_add_photos(actor, photo.activity))
        return render("photos/delete.html", photo=photo, form={}, errors={}, form_message=None)
    activity_id = photo.activity_id
    with unit_of_work(actor):
        service.delete_photo(actor, photo_id)
    flash(_("照片已删除。"), "success")
    return redirect(url_for("photos.photos", activity_id=activity_id) + "#photos")
