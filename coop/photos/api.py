from http import HTTPStatus

from flask import request
from flask.views import MethodView

from coop.activities import queries as activity_queries
from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.errors import Invalid
from coop.photos import service
from coop.photos.schemas import PhotoFormIn, PhotoOut, PhotoUploadIn
from coop.photos.views import read_upload, serve
from coop.schemas import load_form
from coop.uow import unit_of_work

blp = signed_in_blueprint("photos_api", __name__, "活动照片 · photos of activities, as evidence")


@blp.route("/activities/<int:activity_id>/photos")
class ActivityPhotos(MethodView):
    @blp.response(200, PhotoOut(many=True))
    @documents_errors(blp, 401, 404)
    def get(self, activity_id):
        """The activity's photos, oldest first (anyone who sees the activity)."""
        activity = activity_queries.get_activity(require_actor(), activity_id)
        return service.photos_of(activity.id)

    @blp.arguments(PhotoUploadIn, location="files")
    @blp.response(201, PhotoOut)
    @blp.alt_response(413, response=HTTPStatus.REQUEST_ENTITY_TOO_LARGE.name)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, files, activity_id):
        """Add a photo (the activity's organisers: staff, the lead unit's liaison):
        multipart/form-data with the file in ``photo`` and an optional ``caption``. It is
        re-encoded as a JPEG of at most 1600 × 1600 without its EXIF data. 422 when the file is
        missing, not a JPG/PNG/WebP picture or over 10 MB; 409 too_many_photos past 60."""
        actor = require_actor()
        form, errors = load_form(PhotoFormIn(), request.form)
        if errors:
            raise Invalid(errors=errors)
        upload = read_upload(files["photo"])
        with unit_of_work(actor):
            photo = service.add_photo(actor, activity_id, upload, caption=form["caption"])
        return photo


@blp.route("/photos/<int:photo_id>")
class Photo(MethodView):
    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, photo_id):
        """Delete a photo (the activity's organisers)."""
        actor = require_actor()
        with unit_of_work(actor):
            service.delete_photo(actor, photo_id)


@blp.route("/photos/<int:photo_id>.jpg")
class PhotoImage(MethodView):
    @blp.doc(
        responses={
            "200": {"description": "The JPEG", "content": {"image/jpeg": {"schema": {}}}},
            "304": {"description": "Not modified since the ETag sent"},
        }
    )
    @documents_errors(blp, 401, 404)
    def get(self, photo_id):
        """The photo's JPEG (anyone who sees the activity); cached until it changes."""
        return serve(service.get_photo(require_actor(), photo_id))
