import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import fields

from coop.photos.models import CAPTION_LENGTH
from coop.schemas import Trimmed, length


class PhotoFormIn(ma.Schema):
    """The multipart form's text fields (the page's form sends the same)."""

    caption = Trimmed(
        load_default="",
        validate=length(max=CAPTION_LENGTH),
        metadata={"description": "optional, at most 100 characters; the photo's alt text"},
    )


class PhotoUploadIn(PhotoFormIn):
    """multipart/form-data: the file in the field ``photo`` and an optional ``caption``.
    (flask-smorest documents one request body per operation: this one names both fields; the
    caption itself is read from the form by ``PhotoFormIn``.)"""

    photo = Upload(
        required=True,
        metadata={"description": "JPG, PNG or WebP, at most 10 MB; stored as a JPEG ≤ 1600 × 1600"},
    )


class PhotoOut(ma.Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    caption = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size = fields.Integer(metadata={"description": "bytes of the stored JPEG"})
    created_at = fields.DateTime()
    url = fields.Method("_url", metadata={"description": "the JPEG (signed-in session or token)"})

    def _url(self, photo) -> str:
        return url_for("photos.image", photo_id=photo.id, v=photo.etag[:12])
