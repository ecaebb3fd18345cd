"""操作记录 over HTTP: the page and its fragment, the export, the API and the 历史 sections."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from coop.audit import AuditLog
from coop.categories import Category
from coop.extensions import db
from coop.needs import service as needs_service
from coop.needs.models import Beneficiary, NeedSource
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

PHONE, NEW_PHONE = "13812341234", "13900009999"


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community, display_name="张书记")


def _record_need(secretary, community, title="独居老人助餐"):
    with unit_of_work(secretary):
        need = needs_service.record_need(
            secretary,
            community.id,
            title=title,
            category=Category.CARE,
            source=NeedSource.VISIT,
            beneficiary_group=Beneficiary.ELDERLY,
            requester_name="刘桂兰",
            requester_phone=PHONE,
        )
    return need


def _edited_need(secretary, community):
    need = _record_need(secretary, community)
    with unit_of_work(secretary):
        needs_service.edit_need(
            secretary,
            need.id,
            version=need.version,
            title="独居老人助餐（午餐）",
            requester_phone=NEW_PHONE,
        )
    return need


def _element_texts(html: str) -> set[str]:
    """The whole text of every element, as a browser's exact text match sees it."""
    from html.parser import HTMLParser

    class Texts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.found = [], set()

        def handle_starttag(self, tag, attrs):
            if tag not in ("br", "input", "img", "meta", "link"):
                self.open.append([])

        def handle_endtag(self, tag):
            if self.open:
                text = "".join(self.open.pop()).strip()
                self.found.add(text)
                if self.open:
                    self.open[-1].append(text)

        def handle_data(self, data):
            if self.open:
                self.open[-1].append(data)

    parser = Texts()
    parser.feed(html)
    return parser.found


def _audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))


# --- the page ---------------------------------------------------------------------------------


def test_the_page_reads_the_change_in_words_with_phones_masked(client, community, secretary):
    need = _edited_need(secretary, community)
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/audit").get_data(as_text=True)
    assert "<h1>操作记录" in html and "张书记" in html
    assert f'href="/needs/{need.id}"' in html
    assert "标题：" in html and "独居老人助餐 → 独居老人助餐（午餐）" in html
    assert "138****1234" in html and "139****9999" in html
    assert PHONE not in html and NEW_PHONE not in html
    assert '"title"' not in html and "{" not in html.split('id="audit-rows"')[1]  # words, not JSON


def test_htmx_gets_only_the_rows(client, community, secretary):
    _edited_need(secretary, community)
    login(client, secretary)
    response = client.get(
        f"/communities/{community.id}/audit?kind=needs", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>" not in html and "<form" not in html and "独居老人助餐（午餐）" in html


def test_an_empty_record_says_so(client, community, secretary):
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/audit?kind=reward_items").get_data(as_text=True)
    assert "没有符合条件的操作记录。" in html


def test_a_bad_filter_redraws_the_form_with_its_message_and_changes_nothing(
    client, community, secretary
):
    _record_need(secretary, community)
    login(client, secretary)
    before = _audit_count()
    response = client.get(
        f"/communities/{community.id}/audit?date_from=2026-05-02&date_to=2026-05-01"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "结束日期不能早于开始日期。" in html and 'aria-invalid="true"' in html
    assert 'value="2026-05-02"' in html  # what she typed stays
    assert "独居老人助餐" not in html
    assert _audit_count() == before


@pytest.mark.parametrize(
    "who, status",
    [
        ("secretary", 200),
        ("street_admin", 200),
        ("volunteer", 403),
        ("liaison", 403),
        ("other_secretary", 404),
        ("other_street_admin", 404),
    ],
)
def test_who_opens_the_page(client, community, who, status):
    people = {
        "secretary": lambda: make_secretary(community),
        "street_admin": lambda: make_street_admin(community.street),
        "volunteer": lambda: make_volunteer(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "other_secretary": lambda: make_secretary(make_community()),
        "other_street_admin": lambda: make_street_admin(make_community().street),
    }
    login(client, people[who]())
    assert client.get(f"/communities/{community.id}/audit").status_code == status
    assert client.get(f"/communities/{community.id}/audit.xlsx").status_code == status


def test_the_page_runs_as_many_statements_for_thirty_rows_as_for_three(
    client, community, secretary, count_queries
):
    def statements() -> int:
        with count_queries() as counted:
            assert client.get(f"/communities/{community.id}/audit").status_code == 200
        return counted.n

    login(client, secretary)
    for n in range(3):
        _record_need(secretary, community, title=f"需求{n}")
    few = statements()
    for n in range(27):
        _record_need(secretary, community, title=f"更多需求{n}")
    assert statements() == few


def test_the_community_page_links_to_the_record_for_its_secretary_only(
    client, community, secretary
):
    login(client, secretary)
    assert f"/communities/{community.id}/audit" in client.get(
        f"/communities/{community.id}"
    ).get_data(as_text=True)
    login(client, make_volunteer(community))
    assert f"/communities/{community.id}/audit" not in client.get(
        f"/communities/{community.id}"
    ).get_data(as_text=True)


# --- the export -------------------------------------------------------------------------------


def test_the_export_opens_with_the_filtered_rows_and_masked_phones(client, community, secretary):
    _edited_need(secretary, community)
    make_activity(community, title="重阳节慰问")
    login(client, secretary)
    response = client.get(f"/communities/{community.id}/audit.xlsx?kind=needs")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "对象类型", "对象", "修改内容")
    assert [row[2] for row in rows[1:]] == ["修改", "新建"]
    assert {row[3] for row in rows[1:]} == {"需求"}
    assert "标题：独居老人助餐 → 独居老人助餐（午餐）" in rows[1][5]
    everything = repr(rows)
    assert "139****9999" in everything and NEW_PHONE not in everything and PHONE not in everything
    assert "重阳节慰问" not in everything


def test_a_bad_export_filter_is_refused(client, community, secretary):
    login(client, secretary)
    assert client.get(f"/communities/{community.id}/audit.xlsx?kind=x").status_code == 422


# --- the API ----------------------------------------------------------------------------------


def test_the_api_gives_a_page_of_entries_in_words(client, community, secretary):
    need = _edited_need(secretary, community)
    response = client.get(
        f"/api/v1/communities/{community.id}/audit?kind=needs&per_page=1",
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2 and body["page"] == 1
    [item] = body["items"]
    assert item["actor"] == {"id": secretary.id, "name": "张书记"}
    assert item["action"] == "update" and item["object_type"] == "needs"
    assert item["object_id"] == str(need.id) and item["object_label"] == "独居老人助餐（午餐）"
    assert item["at"].endswith("+08:00")
    changes = {change["field"]: change for change in item["changes"]}
    assert changes["title"] == {
        "field": "title",
        "label": "标题",
        "before": "独居老人助餐",
        "after": "独居老人助餐（午餐）",
    }
    assert changes["requester_phone"]["after"] == "139****9999"
    assert NEW_PHONE not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["kind=passwords", "actor_id=0", "date_from=2026-02-30", "object_id=1", "per_page=500"],
)
def test_the_api_refuses_bad_filters_with_422(client, community, secretary, query):
    headers = bearer(secretary)
    before = _audit_count()
    response = client.get(f"/api/v1/communities/{community.id}/audit?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid" and response.get_json()["errors"]
    assert _audit_count() == before


def test_the_api_hides_another_communitys_record(client, community):
    outsider = make_secretary(make_community())
    response = client.get(f"/api/v1/communities/{community.id}/audit", headers=bearer(outsider))
    assert response.status_code == 404


def test_the_api_refuses_a_volunteer(client, community):
    response = client.get(
        f"/api/v1/communities/{community.id}/audit", headers=bearer(make_volunteer(community))
    )
    assert response.status_code == 403


# --- 历史 on the detail pages --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["needs", "projects", "activities"])
def test_a_detail_page_has_a_history_section_for_staff_only(client, community, secretary, kind):
    objects = {
        "needs": lambda: _record_need(secretary, community),
        "projects": lambda: make_project(community),
        "activities": lambda: make_activity(community),
    }
    obj = objects[kind]()
    login(client, secretary)
    html = client.get(f"/{kind}/{obj.id}").get_data(as_text=True)
    assert f'hx-get="/audit/history/{kind}/{obj.id}"' in html and "历史" in html
    volunteer = make_volunteer(community)
    login(client, volunteer)
    page = client.get(f"/{kind}/{obj.id}")
    if page.status_code == 200:
        assert "/audit/history/" not in page.get_data(as_text=True)
    assert client.get(f"/audit/history/{kind}/{obj.id}").status_code == 404


def test_a_projects_history_lists_its_claims_and_links_to_the_full_record(
    client, community, secretary
):
    from coop.claims import service as claims_service
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow

    unit = make_unit(community, name="市第一医院")
    project = make_project(community, title="助老送餐")
    liaison = make_liaison(unit)
    with unit_of_work(liaison):
        claims_service.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=utcnow())
    with unit_of_work(secretary):
        project.title = "助老送餐到户"
    login(client, secretary)
    response = client.get(f"/audit/history/projects/{project.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>" not in html
    assert "助老送餐 → 助老送餐到户" in html
    assert "认领" in html and "待审核" in html and "市第一医院" in html
    assert "/projects/" not in html  # the page's own project is not linked to itself
    # Only the page's own title and badge read just a title or a state (exact text matches).
    assert not {"待审核", "助老送餐到户"} & _element_texts(html)
    assert f"/communities/{community.id}/audit?kind=projects&amp;object_id={project.id}" in html
    full = client.get(f"/audit/history/projects/{project.id}").get_data(as_text=True)
    assert "<h1>项目“助老送餐到户”的修改历史</h1>" in full


def test_another_communitys_history_is_not_found(client, community, secretary):
    other = make_community()
    need = _record_need(make_secretary(other), other)
    login(client, secretary)
    assert client.get(f"/audit/history/needs/{need.id}").status_code == 404
