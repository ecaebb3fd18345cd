"""志愿服务记录证明 over HTTP: the API, the PDF, the pages and the public check."""

import re

import pytest
import sqlalchemy as sa

from coop.certificates.models import Certificate
from coop.extensions import db
from coop.hours.models import RecordOrigin, RecordStatus
from coop.hours.queries import volunteer_totals
from tests.documents.helpers import pdf_text, served
from tests.factories import bearer, login, make_community, make_secretary, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community(address="幸福路1号")


@pytest.fixture
def secretary(community):
    return make_secretary(community, display_name="王书记")


@pytest.fixture
def volunteer(community, secretary):
    her = make_volunteer(community, display_name="张小燕")
    served(her, community, secretary, "2.5")
    served(her, community, secretary, 3, days_ago=3)
    clerk = make_secretary(community)
    served(her, community, clerk, 1, origin=RecordOrigin.ENTERED, entered_by=secretary)
    served(her, community, secretary, 7, status=RecordStatus.PENDING, days_ago=1)
    return her


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))


def test_volunteer_issues_her_own_and_the_pdf_states_her_name_and_total(client, volunteer):
    answer = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(volunteer)
    )
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert re.fullmatch(r"XW-\d{4}-\d{6}", body["number"])
    assert body["hours_total"] == "6.50" and body["hours_entered"] == "1.00"
    pdf = client.get(f"/api/v1/certificates/{body['id']}.pdf", headers=bearer(volunteer))
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "张小燕" in text
    assert "志愿服务记录证明" in text
    assert body["number"] in text
    # the total printed is the one sum's, and the 补录 hours are apart
    assert volunteer_totals(volunteer.id).total == 6.5
    assert "共计 6.5 小时" in text.replace("\n", "")
    assert "补录 1 小时" in text.replace("\n", "")
    assert "王书记" in text  # person in charge
    assert "未登记" in text  # no ID document is stored


def test_staff_of_another_community_get_404_and_nothing_is_written(client, volunteer):
    outsider = make_secretary(make_community())
    answer = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(outsider)
    )
    assert answer.status_code == 404
    assert _count() == 0
    mine = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(volunteer)
    ).json
    assert (
        client.get(f"/api/v1/certificates/{mine['id']}.pdf", headers=bearer(outsider)).status_code
        == 404
    )


def test_a_volunteer_cannot_issue_for_another(client, community, volunteer):
    other = make_volunteer(community)
    answer = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(other)
    )
    assert answer.status_code == 404
    assert _count() == 0


def test_no_verified_hours_is_409_with_a_chinese_message(client, community, secretary):
    newcomer = make_volunteer(community)
    served(newcomer, community, secretary, 2, status=RecordStatus.PENDING)
    answer = client.post(
        "/api/v1/certificates", json={"volunteer_id": newcomer.id}, headers=bearer(secretary)
    )
    assert answer.status_code == 409
    assert answer.json["code"] == "no_verified_hours"
    assert "已核实" in answer.json["message"]
    assert _count() == 0


def test_staff_revoke_and_the_public_check_says_so(client, secretary, volunteer):
    issued = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(secretary)
    ).json
    code = issued["check_url"].rsplit("/", 1)[1]
    page = client.get(f"/certificates/check/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "真实有效" in html and issued["number"] in html
    assert "张*燕" in html and "张小燕" not in html  # masked, nothing beyond the certificate
    assert "王书记" not in html and "敬老院" not in html
    assert "Set-Cookie" not in page.headers
    refused = client.post(
        f"/api/v1/certificates/{issued['id']}/revoke", json={}, headers=bearer(secretary)
    )
    assert refused.status_code == 422
    revoked = client.post(
        f"/api/v1/certificates/{issued['id']}/revoke",
        json={"reason": "时长有误"},
        headers=bearer(secretary),
    )
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    html = client.get(f"/certificates/check/{code}").get_data(as_text=True)
    assert "已作废" in html and "真实有效" not in html


def test_a_volunteer_cannot_revoke_her_own(client, volunteer):
    issued = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(volunteer)
    ).json
    answer = client.post(
        f"/api/v1/certificates/{issued['id']}/revoke",
        json={"reason": "不要了"},
        headers=bearer(volunteer),
    )
    assert answer.status_code == 404


def test_an_unknown_code_is_404_and_says_so(client, ctx):
    page = client.get("/certificates/check/nosuchcode")
    assert page.status_code == 404
    assert "查无此证明" in page.get_data(as_text=True)


def test_her_profile_shows_totals_and_stars_from_the_one_sum(client, volunteer):
    login(client, volunteer)
    html = client.get("/me").get_data(as_text=True)
    assert "6小时30分钟" in html  # 2.5 + 3 + 1 verified; the pending 7 not
    assert "其中补录" in html and "未达一星" in html
    page = client.get("/me/certificates")
    assert page.status_code == 200 and "出具新的证明" in page.get_data(as_text=True)


def test_staff_issue_from_the_people_page(client, community, secretary, volunteer):
    login(client, secretary)
    people = client.get(f"/communities/{community.id}/people").get_data(as_text=True)
    assert f"/volunteers/{volunteer.id}/certificates" in people
    page = client.get(f"/volunteers/{volunteer.id}/certificates")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    answer = client.post(f"/volunteers/{volunteer.id}/certificates", data={"csrf_token": token})
    assert answer.status_code == 302
    assert _count() == 1
