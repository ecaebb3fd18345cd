"""The 智能匹配 pages: the secretary's board, acting in place with htmx, the project panel, the
liaison's fitting projects and the served-neighbourhoods form."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.categories import Category
from coop.extensions import db
from coop.matching import service
from coop.matching.models import CandidateType, SuggestionStatus
from coop.needs.models import Need
from coop.projects.models import ProjectStatus
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resource,
    make_secretary,
    make_unit,
)

from .helpers import NOW, suggestions

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def unit(community):
    unit = make_unit(community, name="康达物业")
    make_resource(unit, community, category=Category.CARE, title="助老志愿服务队")
    make_liaison(unit)
    return unit


@pytest.fixture
def project(community, unit):
    project = make_project(community, title="重阳节慰问老党员")
    make_need(community, title="独居老人理发")
    service.match_community(community.id, now=NOW)
    return project


def test_the_board_names_each_targets_suggestions_and_opens_them(client, community, project):
    login(client, make_secretary(community))
    board = f"/communities/{community.id}/matching"
    html = client.get(board).get_data(as_text=True)
    assert "重阳节慰问老党员" in html and "独居老人理发" in html
    card = html[html.index(f'id="p-{project.id}"') : html.index("</section>")]
    assert "联盟单位</span>" in card and "康达物业" in card
    assert "助老志愿服务队（康达物业）" in card
    # the reasons and the buttons come when she opens them, with htmx or as a page
    assert "暂无进行中的认领" not in html and "邀请认领" not in html
    opener = f"{board}/projects/{project.id}"
    assert f'href="{opener}" hx-get="{opener}"' in card
    assert f'hx-target="#suggestions-project-{project.id}" hx-swap="outerHTML"' in card
    assert "查看理由并处理（2 条推荐）" in card
    assert "立即重新匹配" in html and f'href="{board}"' in html


def test_opening_a_projects_suggestions_with_htmx_swaps_in_their_rows(client, community, project):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/matching/projects/{project.id}"
    response = client.get(path, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    slot = f'<div class="target-suggestions" id="suggestions-project-{project.id}">'
    assert html.lstrip().startswith(slot)
    assert "暂无进行中的认领" in html and "康达物业" in html and "助老志愿服务队" in html
    assert "邀请认领" in html and "资源点单" in html and "忽略" in html
    assert '<h3 class="suggestion-kind" tabindex="-1" autofocus>' in html  # her focus moves there


def test_a_targets_suggestions_are_a_page_without_javascript(client, community, project):
    login(client, make_secretary(community))
    board = f"/communities/{community.id}/matching"
    path = f"{board}/projects/{project.id}"
    html = client.get(path).get_data(as_text=True)
    assert "<html" in html and "<h1>重阳节慰问老党员</h1>" in html and "autofocus" not in html
    assert '<h2 class="suggestion-kind"' in html
    assert f'href="{board}#p-{project.id}">返回智能匹配</a>' in html
    (row,) = suggestions(project, CandidateType.UNIT)
    assert f'<input type="hidden" name="next" value="{path}">' in html
    response = client.post(
        f"/suggestions/{row.id}/invite", data={"csrf_token": csrf(client, path), "next": path}
    )
    assert response.status_code == 302 and response.location == path
    html = client.get(path).get_data(as_text=True)
    assert "已向该单位联络员发送认领邀请。" in html and "已邀请或点单：康达物业" in html


def need(community):
    return db.session.scalar(sa.select(Need).where(Need.title == "独居老人理发"))


def test_a_needs_suggestions_open_with_dismiss(client, community, unit, project):
    login(client, make_secretary(community))
    target = need(community)
    board = f"/communities/{community.id}/matching"
    html = client.get(board).get_data(as_text=True)
    section = html[html.index(f'id="n-{target.id}"') :]
    assert "康达物业" in section and f'hx-get="{board}/needs/{target.id}"' in section
    html = client.get(f"{board}/needs/{target.id}", headers=HTMX).get_data(as_text=True)
    (row,) = suggestions(target, CandidateType.UNIT)
    action = f"/needs/{target.id}/suggestions/{row.ranking_id}/dismiss"
    assert "康达物业" in html and f'action="{action}"' in html
    assert f'id="need-{target.id}-ranking-{row.ranking_id}"' in html


@pytest.mark.parametrize("kind", ["projects", "needs"])
def test_a_target_not_on_the_communitys_board_is_not_found(client, community, project, kind):
    other = make_community()
    elsewhere = make_project(other) if kind == "projects" else make_need(other)
    login(client, make_secretary(community))
    board = f"/communities/{community.id}/matching"
    assert client.get(f"{board}/{kind}/{elsewhere.id}").status_code == 404
    assert client.get(f"{board}/{kind}/999999999").status_code == 404


def test_a_draft_is_no_target(client, community, project):
    draft = make_project(community, status=ProjectStatus.DRAFT)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/matching/projects/{draft.id}"
    assert client.get(path).status_code == 404


def test_a_targets_suggestions_are_for_the_communitys_staff(client, community, unit, project):
    login(client, make_liaison(unit))
    path = f"/communities/{community.id}/matching/projects/{project.id}"
    assert client.get(path, headers=HTMX).status_code == 403


def test_the_board_pages_projects_and_needs_by_twenty_each(client, community, unit):
    for i in range(21):
        deadline = NOW + timedelta(days=1, hours=i)
        make_project(community, title=f"项目{i:02d}", claim_deadline=deadline)
        make_need(community, title=f"需求{i:02d}")
    login(client, make_secretary(community))
    board = f"/communities/{community.id}/matching"
    html = client.get(board).get_data(as_text=True)
    assert "项目00" in html and "项目19" in html and "项目20" not in html
    assert "第 1 / 2 页，共 21 条" in html
    assert f'href="{board}?project_page=2#projects"' in html
    assert f'href="{board}?page=2#needs"' in html
    html = client.get(f"{board}?project_page=2&page=2").get_data(as_text=True)
    assert "项目20" in html and "项目19" not in html
    # each list's pager keeps the other list's page
    assert f'href="{board}?page=2&amp;project_page=1#projects"' in html
    assert f'href="{board}?project_page=2&amp;page=1#needs"' in html


@pytest.mark.parametrize("query", ["project_page=0", "project_page=x", "page=0", "page=-2"])
def test_a_bad_board_page_is_refused(client, community, project, query):
    login(client, make_secretary(community))
    assert client.get(f"/communities/{community.id}/matching?{query}").status_code == 422


def test_dismissing_a_needs_suggestion_with_htmx_replaces_the_row(client, community, project):
    login(client, make_secretary(community))
    target = need(community)
    (row,) = suggestions(target, CandidateType.UNIT)
    board = f"/communities/{community.id}/matching"
    response = client.post(
        f"/needs/{target.id}/suggestions/{row.ranking_id}/dismiss",
        data={"csrf_token": csrf(client, board)},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Retarget"] == f"#need-{target.id}-ranking-{row.ranking_id}"
    assert "已忽略" in html and "康达物业" in html
    assert suggestions(target, CandidateType.UNIT) == []


def test_dismissing_a_needs_suggestion_without_javascript_goes_back(client, community, project):
    login(client, make_secretary(community))
    target = need(community)
    (row,) = suggestions(target, CandidateType.UNIT)
    board = f"/communities/{community.id}/matching"
    response = client.post(
        f"/needs/{target.id}/suggestions/{row.ranking_id}/dismiss",
        data={"csrf_token": csrf(client, board), "next": board},
    )
    assert response.status_code == 302 and response.location == board
    assert "已忽略，该推荐不会再出现。" in client.get(board).get_data(as_text=True)


def test_a_stale_needs_suggestion_says_to_reload_in_place(client, community, project):
    login(client, make_secretary(community))
    target = need(community)
    (row,) = suggestions(target, CandidateType.UNIT)
    service.match_community(community.id, now=NOW)
    board = f"/communities/{community.id}/matching"
    response = client.post(
        f"/needs/{target.id}/suggestions/{row.ranking_id}/dismiss",
        data={"csrf_token": csrf(client, board)},
        headers=HTMX,
    )
    assert response.status_code == 409 and "推荐已重新计算" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["liaison", "other_secretary"])
def test_the_board_is_for_the_communitys_staff(client, community, unit, who):
    actor = make_liaison(unit) if who == "liaison" else make_secretary(make_community())
    login(client, actor)
    response = client.get(f"/communities/{community.id}/matching")
    assert response.status_code == (403 if who == "liaison" else 404)


def test_inviting_with_htmx_replaces_the_row(client, community, project):
    login(client, make_secretary(community))
    (row,) = suggestions(project, CandidateType.UNIT)
    board = f"/communities/{community.id}/matching"
    response = client.post(
        f"/suggestions/{row.id}/invite", data={"csrf_token": csrf(client, board)}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Retarget"] == f"#suggestion-{row.id}"
    assert "已邀请" in html and "已向该单位联络员发送认领邀请" in html
    card = client.get(board).get_data(as_text=True)
    card = card[card.index(f'id="p-{project.id}"') :]
    assert "已邀请或点单：康达物业" in card  # after a reload, what she did stays in sight


def test_a_refused_move_shows_its_message_in_place(client, community, project):
    login(client, make_secretary(community))
    (row,) = suggestions(project, CandidateType.UNIT)
    board = f"/communities/{community.id}/matching"
    token = csrf(client, board)
    client.post(f"/suggestions/{row.id}/dismiss", data={"csrf_token": token}, headers=HTMX)
    response = client.post(
        f"/suggestions/{row.id}/invite", data={"csrf_token": token}, headers=HTMX
    )
    assert response.status_code == 409 and "不能邀请认领" in response.get_data(as_text=True)


def test_ordering_without_javascript_goes_back_to_the_board(client, community, project):
    login(client, make_secretary(community))
    (row,) = suggestions(project, CandidateType.RESOURCE)
    board = f"/communities/{community.id}/matching"
    response = client.post(
        f"/suggestions/{row.id}/order", data={"csrf_token": csrf(client, board), "next": board}
    )
    assert response.status_code == 302 and response.location == board
    assert suggestions(project, CandidateType.RESOURCE) == []
    (acted,) = service.target_suggestions(
        make_secretary(community), row.target_type, project.id, status=SuggestionStatus.ACTED
    )
    assert acted.id == row.id


def test_rerunning_from_the_board(client, community, project):
    login(client, make_secretary(community))
    board = f"/communities/{community.id}/matching"
    response = client.post(f"{board}/run", data={"csrf_token": csrf(client, board)})
    assert response.status_code == 302
    assert "已重新匹配" in client.get(board).get_data(as_text=True)


def test_the_project_page_loads_the_panel(client, community, project):
    login(client, make_secretary(community))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/projects/{project.id}/suggestions" in page
    panel = client.get(f"/projects/{project.id}/suggestions", headers=HTMX)
    html = panel.get_data(as_text=True)
    assert "<html" not in html and "康达物业" in html and "助老志愿服务队" in html
    full = client.get(f"/projects/{project.id}/suggestions").get_data(as_text=True)
    assert "<html" in full


def test_the_liaison_sees_projects_that_fit_her_unit(client, unit, project):
    login(client, make_liaison(unit))
    assert f"/units/{unit.id}/fitting-projects" in client.get(f"/units/{unit.id}").get_data(
        as_text=True
    )
    html = client.get(f"/units/{unit.id}/fitting-projects").get_data(as_text=True)
    assert "重阳节慰问老党员" in html and "暂无进行中的认领" in html


def test_the_secretary_sets_the_neighbourhoods_a_unit_serves(client, community, unit):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/{unit.id}/neighbourhoods"
    east = community.neighbourhoods[0]
    assert path in client.get(f"/units/{unit.id}").get_data(as_text=True)
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "neighbourhood_ids": [str(east.id)]}
    )
    assert response.status_code == 302
    assert f'value="{east.id}" checked' in client.get(path).get_data(as_text=True)


def test_the_nav_has_the_matching_page_for_secretaries(client, community):
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert f'href="/communities/{community.id}/matching"' in html


def test_the_board_shows_the_words_a_needs_suggestion_matched(client, community, unit):
    make_resource(unit, community, category=Category.CARE, title="便民理发", description="上门理发")
    target = make_need(community, title="卧床老人上门理发")
    service.match_community(community.id, now=NOW)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/matching/needs/{target.id}"
    section = client.get(path, headers=HTMX).get_data(as_text=True)
    assert "便民理发" in section and "匹配词" in section
    shown = [p.split("</p>")[0] for p in section.split('class="matched-words">')[1:]]
    assert shown and all("匹配词" in words and "理发" in words for words in shown)
    assert any("上门 · 理发" in words or "理发 · 上门" in words for words in shown), shown
