"""The photos API: multipart upload, the list, the JPEG, delete; refusals write nothing."""

import io

import pytest
import sqlalchemy as sa

from coop.extensions import db
from coop.photos import service
from coop.photos.models import ActivityPhoto
from tests.factories import bearer, make_community, make_secretary, make_volunteer
from tests.photos.conftest import jpeg_with_gps, png


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPhoto))


def post(client, activity, user, data: bytes, filename="photo.jpg", caption="合影"):
    return client.post(
        f"/api/v1/activities/{activity.id}/photos",
        data={"photo": (io.BytesIO(data), filename), "caption": caption},
        content_type="multipart/form-data",
        headers=bearer(user),
    )


def test_staff_add_a_photo_and_everyone_who_sees_the_activity_lists_it(
    client, community, secretary, activity
):
    response = post(client, activity, secretary, jpeg_with_gps())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["caption"] == "合影" and body["activity_id"] == activity.id
    assert max(body["width"], body["height"]) == service.MAX_SIDE
    listed = client.get(
        f"/api/v1/activities/{activity.id}/photos", headers=bearer(make_volunteer(community))
    )
    assert listed.status_code == 200 and [p["id"] for p in listed.json] == [body["id"]]
    image = client.get(f"/api/v1/photos/{body['id']}.jpg", headers=bearer(secretary))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.data.startswith(b"\xff\xd8")


def test_not_an_image_is_422_with_a_chinese_message_and_nothing_written(
    client, secretary, activity
):
    response = post(client, activity, secretary, "这不是图片\n".encode() * 50, "notes.txt")
    assert response.status_code == 422
    assert response.json["errors"] == {
        "photo": ["无法识别这张图片，请换一张 JPG、PNG 或 WebP 图片。"]
    }
    assert _count() == 0


def test_a_photo_over_10_mb_is_422_and_nothing_written(client, secretary, activity):
    response = post(client, activity, secretary, png() + b"\0" * (10 * 1024 * 1024))
    assert response.status_code == 422
    assert response.json["errors"] == {"photo": ["图片不能超过 10 MB，请换一张小一些的。"]}
    assert _count() == 0


def test_a_caption_over_100_characters_is_422(client, secretary, activity):
    response = post(client, activity, secretary, png(), caption="字" * 101)
    assert response.status_code == 422 and "caption" in response.json["errors"]
    assert _count() == 0


def test_another_communitys_activity_is_404(client, activity):
    stranger = make_secretary(make_community())
    assert post(client, activity, stranger, png()).status_code == 404
    listed = client.get(f"/api/v1/activities/{activity.id}/photos", headers=bearer(stranger))
    assert listed.status_code == 404
    assert _count() == 0


def test_a_volunteer_cannot_add_a_photo(client, community, activity):
    response = post(client, activity, make_volunteer(community), png())
    assert response.status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("who", ["volunteer", "stranger"])
def test_only_organisers_delete_a_photo(client, community, secretary, activity, who):
    photo = service.add_photo(secretary, activity.id, png())
    db.session.commit()
    user = make_volunteer(community) if who == "volunteer" else make_secretary(make_community())
    response = client.delete(f"/api/v1/photos/{photo.id}", headers=bearer(user))
    assert response.status_code == (403 if who == "volunteer" else 404)
    assert _count() == 1


def test_staff_delete_a_photo(client, secretary, activity):
    photo = service.add_photo(secretary, activity.id, png())
    response = client.delete(f"/api/v1/photos/{photo.id}", headers=bearer(secretary))
    assert response.status_code == 204
    assert _count() == 0
    assert (
        client.get(f"/api/v1/photos/{photo.id}.jpg", headers=bearer(secretary)).status_code == 404
    )


def test_the_openapi_document_describes_the_upload(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/activities/{activity_id}/photos"]["post"]
    ref = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"photo", "caption"} <= set(schema["properties"])
