import re

import pytest
import sqlalchemy as sa

from coop.alliance.models import Agreement, Unit
from coop.extensions import db
from tests.factories import (
    csrf,
    login,
    make_community,
    make_liaison,
    make_resident,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}",
        "/communities/{c}/units",
        "/communities/{c}/units/new",
        "/communities/{c}/people",
        "/communities/{c}/people/new",
        "/units/{u}",
    ],
)
def test_another_communitys_pages_are_not_found(client, community, path):
    unit = make_unit(community)
    login(client, make_secretary(make_community()))
    response = client.get(path.format(c=community.id, u=unit.id))
    assert response.status_code == 404
    assert "找不到该内容" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/communities/{c}/units/new", "/communities/{c}/people/new"])
@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_managing_pages_are_forbidden_to_members(client, community, path, make):
    login(client, make(community))
    assert client.get(path.format(c=community.id)).status_code == 403


def test_the_community_page_shows_its_alliance(client, community):
    make_unit(community, name="阳光物业")
    make_unit(community, name="无协议单位", live=False)
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert community.name in html and "邻里单元1" in html
    assert "阳光物业" in html and "协议生效中" in html
    assert "无生效协议，暂不能认领" in html
    assert "添加联盟单位" not in html  # a resident reads, she does not manage


def test_the_secretary_sees_her_management_actions(client, community):
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert "添加联盟单位" in html and "人员名单" in html


def test_street_admin_sees_each_community_of_her_street(client, community):
    sibling = make_community(community.street)
    login(client, make_street_admin(community.street))
    html = client.get("/communities").get_data(as_text=True)
    assert community.name in html and sibling.name in html
    assert client.get(f"/communities/{sibling.id}").status_code == 200


def test_the_street_list_counts_as_each_dashboard_does_in_statements_that_do_not_grow(
    client, community, count_queries
):
    from coop import stats
    from coop.alliance import queries
    from coop.timeutil import local_today

    make_unit(community)
    make_volunteer(community, party=True)
    login(client, make_street_admin(community.street))
    client.get("/communities")
    with count_queries() as few:
        client.get("/communities")
    for _ in range(3):
        sibling = make_community(community.street)
        make_unit(sibling)
        make_volunteer(sibling, party=True)
    with count_queries() as more:
        html = client.get("/communities").get_data(as_text=True)
    assert more.n == few.n
    communities = queries.communities_for(make_street_admin(community.street))
    listed = queries.street_list_counts([c.id for c in communities], local_today())
    for each in communities:
        expected = stats.community_stats(each, local_today())
        for figure in listed[each.id]:
            if figure != "id":
                assert listed[each.id][figure] == expected[figure], (each.name, figure)
        assert each.name in html


def test_liaison_lands_on_her_todo_with_her_unit_in_the_menu(client, community):
    unit = make_unit(community, name="康达物业")
    login(client, make_liaison(unit))
    home = client.get("/").get_data(as_text=True)
    assert "<h1>待办" in home and re.search(rf'<a href="/units/{unit.id}"[^>]*>我的单位', home)
    assert "康达物业" in client.get(f"/units/{unit.id}").get_data(as_text=True)


def test_units_filter_answers_htmx_with_the_rows_only(client, community):
    from coop.alliance.models import UnitKind

    make_unit(community, name="市图书馆", kind=UnitKind.MUNICIPAL)
    make_unit(community, name="鑫源超市", kind=UnitKind.STATIONED)
    login(client, make_resident(community))
    response = client.get(
        f"/communities/{community.id}/units?kind=municipal", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "市图书馆" in html and "鑫源超市" not in html
    full = client.get(f"/communities/{community.id}/units?kind=municipal").get_data(as_text=True)
    assert "<html" in full and "市图书馆" in full


def test_units_filter_rejects_an_unknown_kind(client, community):
    login(client, make_resident(community))
    response = client.get(f"/communities/{community.id}/units?kind=bogus")
    assert response.status_code == 422


def test_units_are_paginated(client, community):
    for n in range(3):
        make_unit(community, name=f"单位{n}")
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}/units?per_page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in html and "下一页" in html


def test_secretary_adds_a_unit_then_records_its_agreement(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/new"
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "name": "市税务局", "kind": "municipal"}
    )
    unit = db.session.scalars(sa.select(Unit).where(Unit.name == "市税务局")).one()
    assert response.location == f"/communities/{community.id}/units/{unit.id}/agreements/new"
    form = {
        "csrf_token": csrf(client, response.location),
        "signed_on": "2026-01-05",
        "starts_on": "2026-01-05",
        "ends_on": "2028-01-04",
        "scope": "个税申报辅导",
    }
    response = client.post(response.location, data=form)
    assert response.location == f"/units/{unit.id}"
    html = client.get(response.location).get_data(as_text=True)
    assert "生效中" in html and "个税申报辅导" in html


def test_an_invalid_unit_form_shows_errors_and_changes_nothing(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/new"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "name": " ", "kind": "planet"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and "此项必填" in html and "请从给定的选项中选择" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == before


def test_a_taken_unit_name_is_shown_beside_the_field(client, community):
    make_unit(community, name="市税务局")
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/new"
    response = client.post(
        path, data={"csrf_token": csrf(client, path), "name": "市税务局", "kind": "municipal"}
    )
    assert response.status_code == 422
    assert "已有同名的联盟单位" in response.get_data(as_text=True)


def test_an_overlapping_agreement_is_refused_on_the_form(client, community):
    unit = make_unit(community)
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/units/{unit.id}/agreements/new"
    form = {
        "csrf_token": csrf(client, path),
        "signed_on": "2026-01-05",
        "starts_on": "2026-01-05",
        "ends_on": "2028-01-04",
        "scope": "重复的协议",
    }
    response = client.post(path, data=form)
    assert response.status_code == 409
    assert "已有协议" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Agreement).where(Agreement.unit_id == unit.id)
        )
        == 1
    )


def test_ending_an_agreement_needs_a_reason(client, community):
    unit = make_unit(community)
    agreement = unit.agreements[0]
    login(client, make_secretary(community))
    path = f"/agreements/{agreement.id}/end"
    assert "确认终止" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422
    db.session.refresh(agreement)
    assert agreement.ended_on is None
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "单位撤并"})
    assert response.status_code == 302
    db.session.refresh(agreement)
    assert agreement.ended_on is not None


def test_forms_refuse_a_post_without_csrf_token(client, community):
    login(client, make_secretary(community))
    response = client.post(
        f"/communities/{community.id}/units/new", data={"name": "无令牌单位", "kind": "municipal"}
    )
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Unit).where(Unit.name == "无令牌单位")).all() == []


def test_pages_are_chinese_and_phone_ready(client, community):
    login(client, make_resident(community))
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'integrity="sha384-' in html


def test_the_community_page_reads_in_english_when_chosen(client, community):
    login(client, make_resident(community))
    client.set_cookie("lang", "en")
    html = client.get(f"/communities/{community.id}").get_data(as_text=True)
    assert '<html lang="en">' in html and "Partner units" in html


def test_community_page_queries_do_not_grow_with_units(client, community, count_queries):
    login(client, make_resident(community))
    for _ in range(3):
        make_unit(community)
    with count_queries() as few:
        client.get(f"/communities/{community.id}")
    for _ in range(9):
        make_unit(community)
    with count_queries() as many:
        client.get(f"/communities/{community.id}")
    assert many.n == few.n
