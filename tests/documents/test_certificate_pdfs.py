"""A certificate's PDF is made once by the task queue when it is issued, stored, and served from
storage; while it is being made the API answers 202, when it failed 409, and it can be made again."""

import re

import pytest
import sqlalchemy as sa

from coop.certificates import documents, pdfs
from coop.certificates.models import Certificate, CertificatePdf
from coop.extensions import db
from tests.documents.helpers import pdf_text, served
from tests.factories import bearer, login, make_community, make_secretary, make_volunteer


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community, display_name="王书记")


@pytest.fixture
def volunteer(community, secretary):
    her = make_volunteer(community, display_name="李秀英")
    served(her, community, secretary, 2)
    return her


def _issue(client, who, volunteer) -> dict:
    answer = client.post(
        "/api/v1/certificates", json={"volunteer_id": volunteer.id}, headers=bearer(who)
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def _document(certificate_id) -> CertificatePdf:
    db.session.expire_all()
    return db.session.get(CertificatePdf, certificate_id)


def _broken(monkeypatch):
    def fail(certificate):
        raise RuntimeError("pango gave up")

    monkeypatch.setattr(documents, "certificate_pdf", fail)


def test_the_pdf_is_made_once_when_issued_and_served_from_storage(client, volunteer, monkeypatch):
    issued = _issue(client, volunteer, volunteer)
    assert issued["pdf_status"] == "done"  # the queue ran it after the commit (immediate)
    document = _document(issued["id"])
    assert document.status == "done" and document.attempts == 1
    assert document.size == len(pdfs.stored_pdf(document)) > 0
    assert document.base_url == "http://localhost/"

    _broken(monkeypatch)  # downloading draws nothing: a broken renderer does not matter now
    pdf = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(volunteer))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "李秀英" in text and issued["number"] in text
    assert "http://localhost/certificates/check/" in text.replace("\n", "")
    job = client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=bearer(volunteer))
    assert job.json["status"] == "done"
    assert job.json["pdf_url"] == f"/certificates/{issued['id']}.pdf"


def test_while_it_is_being_made_the_api_answers_202_in_chinese(client, volunteer, monkeypatch):
    monkeypatch.setattr(pdfs.queue, "enqueue", lambda fn, *args: None)  # no worker yet
    issued = _issue(client, volunteer, volunteer)
    assert issued["pdf_status"] == "queued"
    answer = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(volunteer))
    assert answer.status_code == 202
    assert answer.json["code"] == "pdf_not_ready" and "正在生成" in answer.json["message"]
    assert answer.headers["Retry-After"] == "2"
    # the page shows 正在生成… and polls the card until it is ready
    login(client, volunteer)
    html = client.get("/me/certificates").get_data(as_text=True)
    assert "正在生成…" in html and 'hx-trigger="every 2s"' in html
    assert f"/certificates/{issued['id']}.pdf" not in html
    pdfs.build_pdf(issued["id"])  # the worker gets to it
    card = client.get(f"/certificates/{issued['id']}/pdf", headers={"HX-Request": "true"})
    fragment = card.get_data(as_text=True)
    assert f"/certificates/{issued['id']}.pdf" in fragment and "hx-trigger" not in fragment
    assert "<html" not in fragment


def test_a_failed_render_is_retried_then_shown_failed_and_can_be_made_again(
    client, volunteer, monkeypatch
):
    _broken(monkeypatch)
    issued = _issue(client, volunteer, volunteer)  # the first attempt fails; the queue retries
    document = _document(issued["id"])
    assert (document.status, document.attempts) == ("queued", 1)
    assert document.message == "RuntimeError"
    with pytest.raises(RuntimeError):  # the second attempt fails too and is raised: retried
        pdfs.build_pdf(issued["id"])
    pdfs.build_pdf(issued["id"])  # the last attempt: failed, not raised
    document = _document(issued["id"])
    assert (document.status, document.attempts) == ("failed", pdfs.ATTEMPTS)
    assert document.pdf is None

    answer = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(volunteer))
    assert answer.status_code == 409 and answer.json["code"] == "pdf_failed"
    assert "重新生成" in answer.json["message"]
    login(client, volunteer)
    html = client.get("/me/certificates").get_data(as_text=True)
    assert "PDF生成失败" in html and "重新生成" in html

    monkeypatch.undo()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    again = client.post(f"/certificates/{issued['id']}/pdf", data={"csrf_token": token})
    assert again.status_code == 302
    document = _document(issued["id"])
    assert (document.status, document.attempts) == ("done", 1)
    answer = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(volunteer))
    assert answer.status_code == 200


def test_making_it_again_is_refused_when_done_or_not_hers(client, community, volunteer):
    issued = _issue(client, volunteer, volunteer)
    before = _document(issued["id"]).finished_at
    again = client.post(f"/api/v1/certificates/{issued['id']}/pdf", headers=bearer(volunteer))
    assert again.status_code == 409 and again.json["code"] == "pdf_already_made"
    assert "直接下载" in again.json["message"]
    outsider = make_secretary(make_community())
    other = make_volunteer(community)
    for who in (outsider, other):
        answer = client.post(f"/api/v1/certificates/{issued['id']}/pdf", headers=bearer(who))
        assert answer.status_code == 404
        answer = client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=bearer(who))
        assert answer.status_code == 404
    assert (
        client.post("/api/v1/certificates/999999/pdf", headers=bearer(volunteer)).status_code == 404
    )
    document = _document(issued["id"])
    assert (document.status, document.finished_at) == ("done", before)


def test_a_certificate_issued_before_pdfs_were_kept_gets_one_on_request(
    client, secretary, volunteer
):
    issued = _issue(client, secretary, volunteer)
    db.session.execute(sa.delete(CertificatePdf))  # as the migration leaves older ones
    answer = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(secretary))
    assert answer.status_code == 409 and answer.json["code"] == "pdf_missing"
    login(client, secretary)
    html = client.get(f"/volunteers/{volunteer.id}/certificates").get_data(as_text=True)
    assert "生成PDF" in html
    made = client.post(f"/api/v1/certificates/{issued['id']}/pdf", headers=bearer(secretary))
    assert made.status_code == 202 and made.json["status"] == "done"
    pdf = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(secretary))
    assert pdf.status_code == 200


def test_a_revoked_certificate_still_downloads(client, secretary, volunteer):
    issued = _issue(client, secretary, volunteer)
    client.post(
        f"/api/v1/certificates/{issued['id']}/revoke",
        json={"reason": "时长有误"},
        headers=bearer(secretary),
    )
    assert db.session.get(Certificate, issued["id"]).revoked_at is not None
    pdf = client.get(f"/api/v1/certificates/{issued['id']}.pdf", headers=bearer(volunteer))
    assert pdf.status_code == 200
    login(client, volunteer)
    page = client.get(f"/certificates/{issued['id']}.pdf")
    assert page.status_code == 200 and page.mimetype == "application/pdf"


def test_the_page_link_before_it_is_ready_goes_back_with_a_message(client, volunteer, monkeypatch):
    monkeypatch.setattr(pdfs.queue, "enqueue", lambda fn, *args: None)
    issued = _issue(client, volunteer, volunteer)
    login(client, volunteer)
    answer = client.get(f"/certificates/{issued['id']}.pdf")
    assert answer.status_code == 302 and answer.location.endswith("/me/certificates")
    assert "还没有生成好" in client.get("/me/certificates").get_data(as_text=True)
