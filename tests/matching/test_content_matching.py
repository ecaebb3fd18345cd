"""智能匹配 reads the need: its words rank a need's own suggestions, hard limits rule out, and
each suggestion shows the words that matched."""

import pytest

from coop.categories import Category
from coop.extensions import db
from coop.matching import content, service
from coop.matching.models import CandidateType
from coop.resources.models import ResourceKind
from tests.factories import make_community, make_need, make_resource, make_unit, make_volunteer

from .helpers import NOW, serve, suggestions

UNIT, RESOURCE, VOLUNTEER = CandidateType.UNIT, CandidateType.RESOURCE, CandidateType.VOLUNTEER


@pytest.fixture
def community(ctx):
    return make_community()


def offer(community, title, description="", **overrides):
    unit = overrides.pop("unit", None) or make_unit(community)
    overrides.setdefault("category", Category.CONVENIENCE)
    return make_resource(unit, community, title=title, description=description, **overrides)


def test_words_come_from_our_dictionary_without_stop_words_and_with_synonyms_folded():
    words = content.tokens("阳光苑楼道灯坏了，需要电工维修照明")
    assert "楼道灯" in words and "维修" in words and "电工" in words
    assert "需要" not in words and "了" not in words
    # 剪发 is folded onto 理发, 修理 onto 维修: a need and a resource saying either match.
    assert content.tokens("上门剪发") == content.tokens("上门理发")
    assert "维修" in content.tokens("修理洗衣机")


def test_only_a_need_asking_for_a_place_things_or_money_can_use_them():
    repair = content.usable_kinds(content.tokens("楼道灯坏了，需要电工维修"))
    assert repair == {ResourceKind.VOLUNTEERS, ResourceKind.EXPERTISE}
    calligraphy = content.usable_kinds(content.tokens("老人想学书法，需要老师和场地"))
    assert ResourceKind.VENUE in calligraphy and ResourceKind.GOODS not in calligraphy
    gifts = content.usable_kinds(content.tokens("给困难家庭送慰问物资，需要经费"))
    assert {ResourceKind.GOODS, ResourceKind.FUNDS} <= gifts


def test_what_the_need_says_puts_the_resource_saying_it_first(community):
    haircut = offer(community, "便民理发志愿队", "为老人义务理发、上门理发")
    electrician = offer(community, "电工维修", "专业电工维修楼道灯、照明线路")
    assert haircut.id < electrician.id  # without the words the lower id would come first
    light = make_need(
        community, category=Category.CONVENIENCE, title="楼道灯维修", description="楼道灯坏了"
    )
    barber = make_need(community, category=Category.CONVENIENCE, title="每周三义务理发")
    service.match_community(community.id, now=NOW)
    for_light = suggestions(light, RESOURCE)
    assert [s.candidate_id for s in for_light] == [electrician.id, haircut.id]
    assert for_light[0].matched[:2] == ["楼道灯", "维修"] or set(for_light[0].matched) >= {
        "楼道灯",
        "维修",
    }
    assert for_light[1].matched == []
    # Same category, same (no) 邻里单元: each need's list is its own.
    assert [s.candidate_id for s in suggestions(barber, RESOURCE)] == [haircut.id, electrician.id]
    assert "理发" in suggestions(barber, RESOURCE)[0].matched


def test_a_venue_cannot_repair_a_light(community):
    offer(community, "学校操场", "楼道灯下的操场", kind=ResourceKind.VENUE)
    offer(community, "维修工具箱", "楼道灯灯泡", kind=ResourceKind.GOODS)
    people = offer(community, "电工维修", "维修楼道灯")
    light = make_need(community, category=Category.CONVENIENCE, title="楼道灯维修")
    room = make_need(
        community, category=Category.CONVENIENCE, title="楼道灯维修讲座", description="需要场地"
    )
    service.match_community(community.id, now=NOW)
    assert [s.candidate_id for s in suggestions(light, RESOURCE)] == [people.id]
    assert len(suggestions(room, RESOURCE)) == 2  # the venue, asked for, and the people


def test_a_resource_not_serving_the_needs_neighbourhood_is_never_suggested(community):
    east, west = community.neighbourhoods
    there = offer(community, "电工维修", "维修楼道灯", neighbourhoods=[west])
    unit = make_unit(community)
    serve(unit, community, [west])  # a resource naming no 邻里单元 reaches where its unit does
    offer(community, "楼道灯维修队", "维修楼道灯", unit=unit)
    here = offer(community, "家电维修", "维修家电")
    need = make_need(
        community, neighbourhood_id=east.id, category=Category.CONVENIENCE, title="楼道灯维修"
    )
    service.match_community(community.id, now=NOW)
    assert [s.candidate_id for s in suggestions(need, RESOURCE)] == [here.id]
    assert there.id not in {s.candidate_id for s in suggestions(need, RESOURCE)}
    assert unit.id not in {s.candidate_id for s in suggestions(need, UNIT)}


def test_another_category_counts_only_when_its_words_match(community):
    canteen = offer(
        community, "社区食堂", "可供老人助餐", kind=ResourceKind.VENUE, category=Category.CARE
    )
    offer(community, "党史讲解", "讲党史", category=Category.RED_EDUCATION)
    need = make_need(
        community, category=Category.CONVENIENCE, title="高龄老人助餐", description="送餐上门"
    )
    service.match_community(community.id, now=NOW)
    (only,) = suggestions(need, RESOURCE)
    assert only.candidate_id == canteen.id and "助餐" in only.matched


def test_a_units_profile_and_a_volunteers_skills_are_read(community):
    hospital = make_unit(community, description="医院医护人员，开展义诊、测量血压")
    school = make_unit(community, description="小学，周末开放操场")
    for unit in (school, hospital):
        make_resource(unit, community, category=Category.CARE, title="志愿者")
    barber = make_volunteer(community).volunteer
    barber.skills = ["理发"]
    nurse = make_volunteer(community).volunteer
    nurse.skills = ["医疗护理"]
    db.session.flush()
    clinic = make_need(community, category=Category.CARE, title="义诊量血压")
    service.match_community(community.id, now=NOW)
    units = suggestions(clinic, UNIT)
    assert units[0].candidate_id == hospital.id and "义诊" in units[0].matched
    volunteers = suggestions(clinic, VOLUNTEER)
    assert volunteers[0].candidate_id == nurse.user_id
