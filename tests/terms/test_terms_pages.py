"""The term page: 六个一 cards with progress, the 联盟大会, the deputy form while the plan waits;
linking in place with htmx; the proposals page."""

from datetime import date

import pytest

from coop.terms.models import ItemKind
from tests.factories import csrf, login, make_community, make_secretary, make_volunteer
from tests.terms.conftest import held_activity, item_of


def test_the_community_link_leads_to_the_current_term(client, plan, community, secretary):
    login(client, secretary)
    response = client.get(f"/communities/{community.id}/term")
    assert response.status_code == 302 and response.location.endswith(f"/terms/{plan.term_id}")
    assert f"/communities/{community.id}/term" in client.get(
        f"/communities/{community.id}"
    ).get_data(as_text=True)


def test_a_community_before_its_first_term_is_told_when_it_opens(
    client, community, secretary, monkeypatch
):
    """A community set up mid-term has no term until the clock opens the next half year: the
    menu's 六个一 says so, and when, instead of answering 404."""
    login(client, secretary)
    monkeypatch.setattr("coop.terms.views.local_today", lambda: date(2026, 12, 7))
    response = client.get(f"/communities/{community.id}/term")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "本社区的联盟还没有任期" in html and "2027-01-01" in html
    assert f'href="/communities/{community.id}"' in html
    monkeypatch.setattr("coop.terms.views.local_today", lambda: date(2027, 3, 1))
    assert "2027-07-01" in client.get(f"/communities/{community.id}/term").get_data(as_text=True)


def test_the_page_shows_the_assembly_and_the_way_to_the_choice_while_it_waits(
    client, plan, secretary
):
    login(client, secretary)
    html = client.get(f"/terms/{plan.term_id}").get_data(as_text=True)
    assert "联盟大会" in html and plan.assembly_on.isoformat() in html
    assert f"/terms/{plan.term_id}/election" in html and "待联盟大会推选" in html
    assert 'name="holder_name"' not in html  # no typing a unit in: the choice is recorded
    assert html.count('class="card plan-item') == 6


def test_a_volunteer_sees_progress_but_no_forms(client, open_plan, community):
    login(client, make_volunteer(community))
    html = client.get(f"/terms/{open_plan.term_id}").get_data(as_text=True)
    assert "<progress" in html and 'name="holder_name"' not in html and "计入佐证" not in html


@pytest.mark.parametrize("path", ["/terms/{term}", "/communities/{community}/proposals"])
def test_another_community_gets_404(client, plan, community, path):
    login(client, make_secretary(make_community()))
    url = path.format(term=plan.term_id, community=community.id)
    assert client.get(url).status_code == 404


def test_htmx_linking_answers_the_plan_fragment(client, open_plan, community, secretary):
    login(client, secretary)
    activity = held_activity(community, title="邻里文化节")
    item = item_of(open_plan, ItemKind.CULTURAL_ACTIVITY)
    page = client.get(f"/terms/{open_plan.term_id}").get_data(as_text=True)
    assert f'value="activity:{activity.id}"' in page
    response = client.post(
        f"/plan-items/{item.id}/evidence",
        data={
            "evidence": f"activity:{activity.id}",
            "csrf_token": csrf(client, f"/terms/{open_plan.term_id}"),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#plan"
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="plan"' in html and "邻里文化节" in html


def test_htmx_refusal_is_a_422_fragment(client, open_plan, secretary):
    login(client, secretary)
    item = item_of(open_plan, ItemKind.CONCERNS_RESOLVED)
    response = client.post(
        f"/plan-items/{item.id}/evidence",
        data={"evidence": "activity:1", "csrf_token": csrf(client, f"/terms/{open_plan.term_id}")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "flash error" in response.get_data(as_text=True)


def test_filing_a_proposal_from_the_page(client, open_plan, community, secretary):
    login(client, secretary)
    assert 'name="title"' in client.get(f"/communities/{community.id}/proposals").get_data(
        as_text=True
    )
    response = client.post(
        f"/communities/{community.id}/proposals",
        data={
            "title": "增设老年助餐点",
            "body": "",
            "csrf_token": csrf(client, f"/communities/{community.id}/proposals"),
        },
    )
    assert response.status_code == 302
    html = client.get(f"/communities/{community.id}/proposals").get_data(as_text=True)
    assert "增设老年助餐点" in html
