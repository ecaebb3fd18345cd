"""Adding and removing an activity's photos. The activity's organisers (its community's staff,
the liaison of its project's lead unit) add and delete them; everyone who sees the activity sees
them."""

import sqlalchemy as sa

from coop import pictures
from coop.activities import permissions as activity_permissions
from coop.activities import queries as activity_queries
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.photos.errors import TooManyPhotos
from coop.photos.models import ActivityPhoto

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a phone camera's JPEG; re-encoded much smaller
MAX_SIDE = 1600  # sharp on a phone and on an A4 page, a few hundred KB
MAX_PHOTOS = 60  # per activity: evidence, not an album


def can_add_photos(actor: User | None, activity) -> bool:
    """The activity's organisers: its community's staff and its project's lead unit liaison."""
    return activity_permissions.can_run(actor, activity)


def add_photo(actor: User, activity_id: int, upload: bytes, *, caption: str = "") -> ActivityPhoto:
    """Add a photo to an activity, re-encoded (EXIF and location dropped) as reward pictures are.

    :raise NotFound: not an activity of the actor's communities.
    :raise Forbidden: not one of its organisers.
    :raise BadPicture: not a JPEG/PNG/WebP picture, or over 10 MB.
    :raise TooManyPhotos: the activity has its 60 already.
    """
    activity = activity_queries.get_activity(actor, activity_id, for_update=True)
    require(can_add_photos(actor, activity))
    if count_of(activity.id) >= MAX_PHOTOS:
        raise TooManyPhotos()
    picture = pictures.prepare(upload, field="photo", max_side=MAX_SIDE, max_bytes=MAX_UPLOAD_BYTES)
    photo = ActivityPhoto(
        activity_id=activity.id,
        caption=caption,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        size=len(picture.data),
        etag=picture.etag,
        data=picture.data,
        added_by_id=actor.id,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def delete_photo(actor: User, photo_id: int) -> None:
    """Delete a photo.

    :raise NotFound: not a photo of an activity the actor sees.
    :raise Forbidden: not one of the activity's organisers.
    """
    photo = get_photo(actor, photo_id)
    require(can_add_photos(actor, photo.activity))
    db.session.delete(photo)
    db.session.flush()


def get_photo(actor: User | None, photo_id: int) -> ActivityPhoto:
    """:raise NotFound: not a photo of an activity of the actor's communities."""
    photo = db.session.get(ActivityPhoto, photo_id)
    if photo is None:
        raise NotFound()
    activity_queries.get_activity(actor, photo.activity_id)  # NotFound when not visible
    return photo


def count_of(activity_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(ActivityPhoto.activity_id == activity_id)
    )


def photos_of(activity_id: int) -> list[ActivityPhoto]:
    """The activity's photos, oldest first, without their bytes."""
    return list(
        db.session.scalars(
            sa.select(ActivityPhoto)
            .where(ActivityPhoto.activity_id == activity_id)
            .order_by(ActivityPhoto.created_at, ActivityPhoto.id)
        )
    )


def photos_by_activity(activity_ids) -> dict[int, list[ActivityPhoto]]:
    """Photos of several activities in one query (reports, 六个一 evidence), without bytes."""
    found: dict[int, list[ActivityPhoto]] = {}
    ids = list(activity_ids)
    if not ids:
        return found
    for photo in db.session.scalars(
        sa.select(ActivityPhoto)
        .where(ActivityPhoto.activity_id.in_(ids))
        .order_by(ActivityPhoto.created_at, ActivityPhoto.id)
    ):
        found.setdefault(photo.activity_id, []).append(photo)
    return found
