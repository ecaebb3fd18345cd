"""Activity photos: who adds and deletes them, and what is kept of an upload."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from coop.errors import Forbidden, NotFound
from coop.extensions import db
from coop.photos import service
from coop.photos.errors import TooManyPhotos
from coop.photos.models import ActivityPhoto
from coop.pictures import BadPicture
from tests.factories import (
    make_activity,
    make_community,
    make_liaison,
    make_secretary,
    make_unit,
    make_volunteer,
)
from tests.photos.conftest import jpeg_with_gps, lead_project, png


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPhoto))


def test_a_photo_is_reencoded_without_its_exif_and_shrunk(secretary, activity):
    photo = service.add_photo(secretary, activity.id, jpeg_with_gps(), caption="合影")
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == service.MAX_SIDE
        assert not stored.getexif()  # no camera, no GPS
    assert photo.caption == "合影"
    assert photo.size == len(photo.data) and photo.added_by_id == secretary.id


def test_the_lead_units_liaison_adds_photos(community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    activity = make_activity(community, project_id=lead_project(community, unit).id)
    photo = service.add_photo(liaison, activity.id, png())
    assert photo.activity_id == activity.id


def test_a_volunteer_cannot_add_photos(community, activity):
    with pytest.raises(Forbidden):
        service.add_photo(make_volunteer(community), activity.id, png())
    assert _count() == 0


def test_another_communitys_staff_do_not_find_the_activity(activity):
    with pytest.raises(NotFound):
        service.add_photo(make_secretary(make_community()), activity.id, png())
    assert _count() == 0


def test_something_that_is_not_a_picture_is_refused_and_nothing_is_written(secretary, activity):
    with pytest.raises(BadPicture) as refused:
        service.add_photo(secretary, activity.id, b"%PDF-1.4 not a picture" * 10)
    assert refused.value.status == 422
    assert refused.value.errors == {"photo": ["无法识别这张图片，请换一张 JPG、PNG 或 WebP 图片。"]}
    assert _count() == 0


def test_a_photo_over_10_mb_is_refused(secretary, activity):
    with pytest.raises(BadPicture) as refused:
        service.add_photo(secretary, activity.id, png() + b"\0" * service.MAX_UPLOAD_BYTES)
    assert refused.value.errors == {"photo": ["图片不能超过 10 MB，请换一张小一些的。"]}
    assert _count() == 0


def test_an_activity_keeps_at_most_60_photos(secretary, activity, monkeypatch):
    monkeypatch.setattr(service, "MAX_PHOTOS", 2)
    service.add_photo(secretary, activity.id, png())
    service.add_photo(secretary, activity.id, png())
    with pytest.raises(TooManyPhotos):
        service.add_photo(secretary, activity.id, png())
    assert _count() == 2


def test_organisers_delete_a_photo_and_volunteers_cannot(community, secretary, activity):
    photo = service.add_photo(secretary, activity.id, png())
    with pytest.raises(Forbidden):
        service.delete_photo(make_volunteer(community), photo.id)
    service.delete_photo(secretary, photo.id)
    assert _count() == 0


def test_photos_by_activity_groups_several_activities_in_order(community, secretary, activity):
    other = make_activity(community)
    first = service.add_photo(secretary, activity.id, png(), caption="一")
    second = service.add_photo(secretary, activity.id, png(), caption="二")
    service.add_photo(secretary, other.id, png())
    found = service.photos_by_activity([activity.id, other.id])
    assert [p.id for p in found[activity.id]] == [first.id, second.id]
    assert len(found[other.id]) == 1
