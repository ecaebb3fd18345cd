"""六个一 report: the plan's items, their evidence and the evidence activities' photos, on A4."""

import io

from pypdf import PdfReader

from coop.extensions import db
from coop.photos import service as photos
from coop.terms.models import ItemKind
from tests.factories import bearer, login, make_community, make_secretary, make_volunteer
from tests.photos.conftest import png
from tests.terms.conftest import held_activity, item_of, link


def _pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_the_report_shows_each_item_its_evidence_and_photos(
    client, community, secretary, open_plan
):
    activity = held_activity(community, title="学雷锋志愿服务")
    photos.add_photo(secretary, activity.id, png(), caption="合影")
    link(secretary, item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY), "activity", activity.id)
    db.session.commit()
    login(client, secretary)
    page = client.get(f"/terms/{open_plan.term_id}").get_data(as_text=True)
    assert f"/terms/{open_plan.term_id}/report.pdf" in page
    reader = _pdf(client.get(f"/terms/{open_plan.term_id}/report.pdf").data)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "六个一" in text and "张海燕" in text and "学雷锋志愿服务" in text
    assert "1/1" in text  # the volunteer activity item, done
    assert any("/XObject" in (p.get("/Resources") or {}) for p in reader.pages)  # the photo


def test_volunteers_and_other_communities_cannot_print_it(client, community, open_plan):
    url = f"/api/v1/terms/{open_plan.term_id}/report.pdf"
    assert client.get(url, headers=bearer(make_volunteer(community))).status_code == 403
    assert client.get(url, headers=bearer(make_secretary(make_community()))).status_code == 404
