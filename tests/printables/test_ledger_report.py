"""月度台账: asked for on the page or the API, made by the task queue, downloadable; its figures
are the dashboard's (coop.stats_monthly) and its activities carry their photos."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from coop.extensions import db
from coop.photos import service as photos
from coop.printables import ledger
from coop.printables.models import DONE, LedgerReport
from coop.timeutil import local_midnight, local_today, month_start
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_need,
    make_resident,
    make_secretary,
    make_volunteer,
)
from tests.photos.conftest import png


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _reports() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerReport))


@pytest.fixture
def community(ctx):
    return make_community(name="兴旺社区")


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _last_month() -> date:
    return month_start(month_start(local_today()) - timedelta(days=1))


def _held_last_month(community, secretary, title: str, photo_count: int):
    activity = make_activity(
        community, title=title, starts_at=local_midnight(_last_month()) + timedelta(days=9, hours=9)
    )
    for n in range(photo_count):
        photos.add_photo(secretary, activity.id, png(), caption=f"{title}照片{n}")
    return activity


def test_the_ledger_is_made_by_the_queue_and_downloadable(client, community, secretary):
    _held_last_month(community, secretary, "爱心捐赠", 2)
    _held_last_month(community, secretary, "助力创城", 1)
    db.session.commit()
    month = _last_month().strftime("%Y-%m")
    response = client.post(
        f"/api/v1/communities/{community.id}/ledger-reports",
        json={"month": month},
        headers=bearer(secretary),
    )
    assert response.status_code == 202, response.json
    job = client.get(f"/api/v1/ledger-reports/{response.json['id']}", headers=bearer(secretary))
    assert job.json["status"] == DONE and job.json["pdf_url"]
    pdf = client.get(job.json["pdf_url"], headers=bearer(secretary))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _text(pdf.data)
    assert "兴旺社区" in text and "工作台账" in text
    assert "爱心捐赠" in text and "助力创城" in text
    # the figures table: activities held (stats_monthly) and the photos shown
    assert "开展活动（场）2" in text.replace(" ", "") or "开展活动（场）\n2" in text
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1


def test_the_figures_are_the_dashboards(community, secretary):
    from coop import stats_monthly
    from coop.dbtypes import utcnow

    _held_last_month(community, secretary, "邻里文化节", 0)
    period = stats_monthly.month(_last_month())
    held = stats_monthly.figures([community.id], [period], utcnow())["activities_held"]
    assert stats_monthly.by_community(held, 0)[community.id] == 1


def test_a_need_reopened_by_its_rating_is_not_solved_in_the_months_ledger(
    client, community, secretary
):
    from coop.needs.models import NeedStatus

    solved_on = local_midnight(_last_month()) + timedelta(days=9, hours=9)
    resident = make_resident(community)
    make_need(community, status=NeedStatus.RESOLVED, resolved_at=solved_on)
    reopened = make_need(
        community, requester_id=resident.id, status=NeedStatus.RESOLVED, resolved_at=solved_on
    )
    rated = client.post(
        f"/api/v1/needs/{reopened.id}/rating", json={"stars": 1}, headers=bearer(resident)
    )
    assert rated.status_code == 201, rated.json
    job = client.get(
        f"/api/v1/ledger-reports/{_ask(client, community, secretary)}", headers=bearer(secretary)
    )
    text = _text(client.get(job.json["pdf_url"], headers=bearer(secretary)).data)
    assert re.search(r"解决需求（件）(\d+)", re.sub(r"\s", "", text))[1] == "1"


def test_a_month_still_to_come_is_422_and_nothing_is_written(client, community, secretary):
    next_month = (month_start(local_today()) + timedelta(days=32)).strftime("%Y-%m")
    response = client.post(
        f"/api/v1/communities/{community.id}/ledger-reports",
        json={"month": next_month},
        headers=bearer(secretary),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"month": ["这个月份还没到，不能生成台账。"]}
    assert _reports() == 0


def test_a_malformed_month_is_422(client, community, secretary):
    response = client.post(
        f"/api/v1/communities/{community.id}/ledger-reports",
        json={"month": "2026-13"},
        headers=bearer(secretary),
    )
    assert response.status_code == 422 and _reports() == 0


def test_volunteers_and_other_communities_cannot_ask_or_download(client, community, secretary):
    month = _last_month().strftime("%Y-%m")
    url = f"/api/v1/communities/{community.id}/ledger-reports"
    volunteer = make_volunteer(community)
    assert client.post(url, json={"month": month}, headers=bearer(volunteer)).status_code == 403
    made = client.post(url, json={"month": month}, headers=bearer(secretary)).json
    stranger = bearer(make_secretary(make_community()))
    assert (
        client.get(f"/api/v1/ledger-reports/{made['id']}.pdf", headers=stranger).status_code == 404
    )
    assert (
        client.get(
            f"/api/v1/ledger-reports/{made['id']}.pdf", headers=bearer(volunteer)
        ).status_code
        == 404
    )


def test_staff_ask_on_the_page_and_the_job_page_offers_the_pdf(client, community, secretary):
    _held_last_month(community, secretary, "红色故事会", 1)
    db.session.commit()
    login(client, secretary)
    page = f"/communities/{community.id}/ledger"
    response = client.post(
        page, data={"csrf_token": csrf(client, page), "month": _last_month().strftime("%Y-%m")}
    )
    assert response.status_code == 302
    job = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "下载台账 PDF" in job and 'hx-trigger="every' not in job
    [report] = db.session.scalars(sa.select(LedgerReport)).all()
    assert "红色故事会" in _text(client.get(f"/ledger-reports/{report.id}.pdf").data)


def test_running_the_job_again_after_it_is_done_changes_nothing(community, secretary):
    with unit_of_work(secretary):
        report = ledger.request_ledger(
            secretary, community.id, _last_month().strftime("%Y-%m"), today=local_today()
        )
    db.session.refresh(report)
    first = report.finished_at
    ledger.build_ledger(report.id)
    db.session.refresh(report)
    assert report.status == DONE and report.finished_at == first


def _ask(client, community, secretary) -> int:
    answer = client.post(
        f"/api/v1/communities/{community.id}/ledger-reports",
        json={"month": _last_month().strftime("%Y-%m")},
        headers=bearer(secretary),
    )
    assert answer.status_code == 202, answer.json
    return answer.json["id"]


def test_while_it_is_being_made_the_pdf_answers_202_in_chinese(
    client, community, secretary, monkeypatch
):
    monkeypatch.setattr(ledger.queue, "enqueue", lambda fn, *args: None)  # no worker yet
    report_id = _ask(client, community, secretary)
    answer = client.get(f"/api/v1/ledger-reports/{report_id}.pdf", headers=bearer(secretary))
    assert answer.status_code == 202
    assert answer.json == {
        "code": "pdf_not_ready",
        "message": "台账PDF正在生成，请几秒后再下载。",
        "status": "queued",
    }
    assert answer.headers["Retry-After"] == "2"
    # the page's link kept from before it was ready goes to the job card, which polls
    login(client, secretary)
    page = client.get(f"/ledger-reports/{report_id}.pdf")
    assert page.status_code == 302 and page.location.endswith(f"/ledger-reports/{report_id}")
    ledger.build_ledger(report_id)  # the worker gets to it
    done = client.get(f"/api/v1/ledger-reports/{report_id}.pdf", headers=bearer(secretary))
    assert done.status_code == 200 and done.mimetype == "application/pdf"
    assert "inline; filename*=UTF-8''" in done.headers["Content-Disposition"]


def test_a_failed_report_answers_409_with_the_reason(client, community, secretary, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("pango gave up")

    monkeypatch.setattr(ledger, "ledger_pdf", fail)
    report_id = _ask(client, community, secretary)
    assert db.session.get(LedgerReport, report_id).status == "failed"
    answer = client.get(f"/api/v1/ledger-reports/{report_id}.pdf", headers=bearer(secretary))
    assert answer.status_code == 409 and answer.json["code"] == "pdf_failed"
    assert "生成失败" in answer.json["message"] and "RuntimeError" in answer.json["message"]
    assert "Retry-After" not in answer.headers


def test_a_report_that_does_not_exist_is_404(client, secretary):
    answer = client.get("/api/v1/ledger-reports/999999.pdf", headers=bearer(secretary))
    assert answer.status_code == 404 and answer.json["code"] == "not_found"
