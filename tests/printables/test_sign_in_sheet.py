"""签到表: one A4 page for 40 people, its names and code readable back out of the PDF."""

import io

import pytest
from pypdf import PdfReader

from coop.activities.models import Signup, SignupStatus
from coop.extensions import db
from tests.factories import (
    bearer,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_secretary,
    make_unit,
    make_volunteer,
)
from tests.photos.conftest import lead_project


def _pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _text(reader: PdfReader) -> str:
    return "".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def community(ctx):
    return make_community()


def _sign_up(activity, people: int):
    names = []
    for n in range(people):
        volunteer = make_volunteer(activity.community, display_name=f"志愿者{n:02d}号")
        db.session.add(
            Signup(
                activity_id=activity.id, volunteer_id=volunteer.id, status=SignupStatus.CONFIRMED
            )
        )
        names.append(volunteer.display_name)
    db.session.flush()
    return names


def test_a_sign_in_sheet_for_40_people_is_exactly_one_a4_page(client, community):
    activity = make_activity(community, title="爱心捐赠", capacity=40)
    names = _sign_up(activity, 40)
    secretary = make_secretary(community)
    response = client.get(
        f"/api/v1/activities/{activity.id}/sign-in-sheet.pdf", headers=bearer(secretary)
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = _pdf(response.data)
    assert len(reader.pages) == 1
    assert round(float(reader.pages[0].mediabox.height)) == 842  # A4
    text = _text(reader)
    assert "爱心捐赠" in text and "签到表" in text and activity.checkin_code in text
    assert all(name in text for name in names)


def test_the_lead_units_liaison_prints_the_sheet_from_the_page(client, community):
    unit = make_unit(community)
    liaison = make_liaison(unit)
    activity = make_activity(community, project_id=lead_project(community, unit).id)
    _sign_up(activity, 3)
    db.session.commit()
    login(client, liaison)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f"/activities/{activity.id}/sign-in-sheet.pdf" in page
    response = client.get(f"/activities/{activity.id}/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert "志愿者02号" in _text(_pdf(response.data))


def test_a_volunteer_cannot_print_the_sheet_and_another_community_does_not_find_it(
    client, community
):
    activity = make_activity(community)
    headers = bearer(make_volunteer(community))
    url = f"/api/v1/activities/{activity.id}/sign-in-sheet.pdf"
    assert client.get(url, headers=headers).status_code == 403
    stranger = bearer(make_secretary(make_community()))
    assert client.get(url, headers=stranger).status_code == 404
