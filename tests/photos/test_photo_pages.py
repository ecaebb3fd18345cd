"""The photos on the activity page, the upload form and the delete confirmation."""

import io
import re

import sqlalchemy as sa

from coop.extensions import db
from coop.photos import service
from coop.photos.models import ActivityPhoto
from tests.factories import csrf, login, make_community, make_secretary, make_volunteer
from tests.photos.conftest import png


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActivityPhoto))


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def test_the_activity_page_shows_its_photos_with_the_caption_as_alt_text(
    client, community, secretary, activity
):
    photo = service.add_photo(secretary, activity.id, png(), caption="为老人理发")
    db.session.commit()
    login(client, make_volunteer(community))
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert 'class="photo-grid"' in html
    assert f"/photos/{photo.id}.jpg" in html and 'alt="为老人理发"' in html
    assert "添加照片" not in html and f"/photos/{photo.id}/delete" not in html
    image = client.get(f"/photos/{photo.id}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_staff_upload_a_photo_from_the_page(client, secretary, activity):
    login(client, secretary)
    page = client.get(f"/activities/{activity.id}/photos").get_data(as_text=True)
    response = client.post(
        f"/activities/{activity.id}/photos",
        data={
            "csrf_token": csrf(client, f"/activities/{activity.id}/photos"),
            "form_token": _token(page),
            "caption": "合影",
            "photo": (io.BytesIO(png()), "a.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [photo] = db.session.scalars(sa.select(ActivityPhoto)).all()
    assert photo.caption == "合影"
    assert 'alt="合影"' in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_a_bad_upload_redraws_the_form_with_the_message_and_writes_nothing(
    client, secretary, activity
):
    login(client, secretary)
    page = client.get(f"/activities/{activity.id}/photos").get_data(as_text=True)
    response = client.post(
        f"/activities/{activity.id}/photos",
        data={
            "csrf_token": csrf(client, f"/activities/{activity.id}/photos"),
            "form_token": _token(page),
            "photo": (io.BytesIO(b"not a picture" * 20), "a.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "无法识别这张图片" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_volunteer_gets_no_upload_form_and_cannot_post(client, community, activity):
    login(client, make_volunteer(community))
    page = client.get(f"/activities/{activity.id}/photos").get_data(as_text=True)
    assert 'type="file"' not in page
    response = client.post(
        f"/activities/{activity.id}/photos",
        data={
            "csrf_token": csrf(client, f"/activities/{activity.id}/photos"),
            "photo": (io.BytesIO(png()), "a.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert _count() == 0


def test_another_communitys_photo_page_is_404(client, activity):
    login(client, make_secretary(make_community()))
    assert client.get(f"/activities/{activity.id}/photos").status_code == 404


def test_deleting_asks_first_then_deletes(client, secretary, activity):
    photo = service.add_photo(secretary, activity.id, png(), caption="合影")
    db.session.commit()
    login(client, secretary)
    confirm = client.get(f"/photos/{photo.id}/delete")
    assert confirm.status_code == 200 and "确认删除" in confirm.get_data(as_text=True)
    assert _count() == 1  # asking deletes nothing
    response = client.post(
        f"/photos/{photo.id}/delete",
        data={"csrf_token": csrf(client, f"/photos/{photo.id}/delete")},
    )
    assert response.status_code == 302
    assert _count() == 0
