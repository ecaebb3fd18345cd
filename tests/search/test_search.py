"""搜索 for staff: by title or name, by a phone's last four digits, only in her communities, with
``%`` and ``_`` taken literally."""

import pytest

from coop.errors import Forbidden
from coop.search import service
from tests.factories import (
    bearer,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_secretary,
    make_street,
    make_street_admin,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def street(ctx):
    return make_street()


@pytest.fixture
def community(street):
    return make_community(street)


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def _titles(result, kind):
    if kind == "people":
        return {hit.user.display_name for hit in result.found[kind]}
    return {item.name if kind == "units" else item.title for item in result.found[kind]}


# --- service ------------------------------------------------------------------------------


def test_finds_each_kind_by_title_or_name(community, secretary):
    make_need(community, title="楼道灯坏了")
    make_project(community, title="楼道亮灯行动")
    make_activity(community, title="楼道清扫")
    make_unit(community, name="楼道维修公司")
    make_volunteer(community, display_name="楼道长王芳")

    result = service.search(secretary, "楼道")

    assert _titles(result, "needs") == {"楼道灯坏了"}
    assert _titles(result, "projects") == {"楼道亮灯行动"}
    assert _titles(result, "activities") == {"楼道清扫"}
    assert _titles(result, "units") == {"楼道维修公司"}
    assert _titles(result, "people") == {"楼道长王芳"}


def test_finds_by_the_last_four_digits_of_a_phone(community, secretary):
    make_need(community, title="助餐", requester_phone="13800004321")
    make_resident(community, display_name="李大爷", phone="13900004321")
    make_resident(community, display_name="张阿姨", phone="13943210000")
    make_need(community, title="水管 4321 号楼")  # digits in a title: not a phone

    result = service.search(secretary, "4321")

    assert result.by_phone
    assert _titles(result, "needs") == {"助餐"}
    assert _titles(result, "people") == {"李大爷"}


def test_never_finds_another_communitys_things(street, community, secretary):
    other = make_community(street)
    make_need(other, title="邻居的需求", requester_phone="13800005555")
    make_project(other, title="邻居的项目")
    make_activity(other, title="邻居的活动")
    make_unit(other, name="邻居的单位")
    make_volunteer(other, display_name="邻居的志愿者", phone="13700005555")

    assert service.search(secretary, "邻居").empty
    assert service.search(secretary, "5555").empty


def test_street_admin_finds_her_streets_communities_only(street, community):
    make_need(community, title="街道内的需求")
    make_need(make_community(street), title="街道内的另一个需求")
    make_need(make_community(), title="别的街道的需求")

    result = service.search(make_street_admin(street), "需求")

    assert _titles(result, "needs") == {"街道内的需求", "街道内的另一个需求"}


def test_a_unit_liaison_is_found_through_her_unit(community, secretary):
    make_liaison(make_unit(community), display_name="联络员赵敏")
    assert _titles(service.search(secretary, "赵敏"), "people") == {"联络员赵敏"}


@pytest.mark.parametrize("who", ["volunteer", "resident", "liaison"])
def test_only_staff_and_street_admins_search(community, who):
    actor = {
        "volunteer": lambda: make_volunteer(community),
        "resident": lambda: make_resident(community),
        "liaison": lambda: make_liaison(make_unit(community)),
    }[who]()
    with pytest.raises(Forbidden):
        service.search(actor, "楼道")


def test_one_character_gets_a_hint_not_results(community, secretary):
    make_need(community, title="灯")
    result = service.search(secretary, " 灯 ")
    assert result.hint and "2" in result.hint
    assert result.empty


def test_more_than_fifty_characters_gets_a_hint(secretary):
    result = service.search(secretary, "长" * 51)
    assert result.hint and "50" in result.hint
    assert result.empty


def test_percent_is_literal_never_a_pattern(community, secretary):
    make_project(community, title="参与率100%提升计划")
    make_project(community, title="普通项目")
    assert _titles(service.search(secretary, "0%"), "projects") == {"参与率100%提升计划"}
    assert service.search(secretary, "%%").empty


def test_underscore_is_literal_never_a_pattern(community, secretary):
    make_unit(community, name="A_B公司")
    make_unit(community, name="AXB公司")
    assert _titles(service.search(secretary, "A_B"), "units") == {"A_B公司"}


def test_at_most_ten_a_kind_and_says_there_are_more(community, secretary):
    for n in range(12):
        make_need(community, title=f"助老需求{n}")
    result = service.search(secretary, "助老")
    assert len(result.found["needs"]) == service.PER_KIND
    assert result.more["needs"] is True
    assert result.more["projects"] is False


def test_one_query_per_kind(community, secretary, count_queries):
    for n in range(3):
        make_need(community, title=f"查询{n}")
        make_project(community, title=f"查询项目{n}")
        make_activity(community, title=f"查询活动{n}")
        make_volunteer(community, display_name=f"查询人{n}")
    with count_queries() as counted:
        service.search(secretary, "查询")
    # five kinds; people's role grants come in one more (selectin), whatever the rows
    assert counted.n <= len(service.KINDS) + 1


# --- HTTP ---------------------------------------------------------------------------------


def test_api_returns_masked_people_with_links(client, community, secretary):
    person = make_volunteer(community, display_name="王小明", phone="13812345678")
    need = make_need(community, title="王小明家水管")

    answer = client.get("/api/v1/search", query_string={"q": "王小明"}, headers=bearer(secretary))

    assert answer.status_code == 200
    (found,) = answer.json["people"]
    assert found["id"] == person.id
    assert found["phone"] == "138****5678"
    assert "13812345678" not in answer.get_data(as_text=True)
    assert found["link"] == f"/communities/{community.id}/people?q={person.username}"
    assert answer.json["needs"][0]["link"] == f"/needs/{need.id}"


def test_api_short_query_is_a_hint_not_an_error(client, secretary):
    answer = client.get("/api/v1/search", query_string={"q": "a"}, headers=bearer(secretary))
    assert answer.status_code == 200
    assert answer.json["hint"]
    assert answer.json["needs"] == []


def test_api_refuses_a_volunteer(client, community):
    answer = client.get(
        "/api/v1/search", query_string={"q": "楼道"}, headers=bearer(make_volunteer(community))
    )
    assert answer.status_code == 403
    assert answer.json["code"] == "forbidden"


def test_api_percent_finds_only_a_literal_percent(client, community, secretary):
    make_need(community, title="满意度90%以上")
    make_need(community, title="满意度以上")
    answer = client.get("/api/v1/search", query_string={"q": "%"}, headers=bearer(secretary))
    assert answer.json["hint"]  # one character
    answer = client.get("/api/v1/search", query_string={"q": "%以"}, headers=bearer(secretary))
    assert [n["title"] for n in answer.json["needs"]] == ["满意度90%以上"]


def test_page_shows_results_and_the_header_box(client, community, secretary):
    make_project(community, title="红色故事会")
    login(client, secretary)

    html = client.get("/search", query_string={"q": "故事会"}).get_data(as_text=True)

    assert "红色故事会" in html
    assert 'class="top-search"' in html


def test_page_shows_a_needs_requester_phone_masked_when_found_by_it(client, community, secretary):
    make_need(community, title="助餐", requester_phone="13800004321")
    login(client, secretary)

    html = client.get("/search", query_string={"q": "4321"}).get_data(as_text=True)

    assert "138****4321" in html
    assert "13800004321" not in html


def test_page_empty_state(client, secretary):
    login(client, secretary)
    html = client.get("/search", query_string={"q": "不存在的东西"}).get_data(as_text=True)
    assert "没有找到" in html


def test_page_refuses_a_volunteer_and_hides_the_box(client, community):
    volunteer = make_volunteer(community)
    login(client, volunteer)
    assert client.get("/search", query_string={"q": "楼道"}).status_code == 403
    assert 'class="top-search"' not in client.get("/me").get_data(as_text=True)
