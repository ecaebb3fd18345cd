import re

import pytest
import sqlalchemy as sa

from coop.auth import invitations
from coop.auth.models import Role, User
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.people import service
from coop.timeutil import local_today
from tests.factories import (
    bearer,
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


def add(actor, community, **overrides):
    fields = {
        "role": Role.VOLUNTEER,
        "username": "laoli",
        "display_name": "李大爷",
        "joined_on": local_today(),
        **overrides,
    }
    return service.add_person(actor, community.id, **fields).person


def test_secretary_adds_a_party_member_volunteer(ctx):
    community = make_community()
    unit = make_unit(community)
    person = add(
        make_secretary(community),
        community,
        is_party_member=True,
        work_unit_id=unit.id,
        skills=["理发", "维修家电"],
    )
    assert person.roles == [Role.VOLUNTEER]
    assert person.volunteer.is_party_member and person.volunteer.work_unit == unit
    assert person.volunteer.home_community_id == community.id


def test_a_person_added_has_no_password_but_an_invitation(ctx):
    community = make_community()
    secretary = make_secretary(community)
    added = service.add_person(
        secretary,
        community.id,
        role=Role.VOLUNTEER,
        display_name="李大爷",
        phone="13912345678",
        joined_on=local_today(),
        now=utcnow(),
    )
    assert not invitations.has_password(added.person)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", added.code)
    invitation = invitations.live_invitation(added.code, now=utcnow())
    assert invitation.user == added.person and invitation.created_by_id == secretary.id


def test_she_signs_in_with_her_phone_when_no_username_is_given(ctx):
    community = make_community()
    person = add(make_secretary(community), community, username="", phone="13912345678")
    assert person.username == "13912345678"


def test_without_a_phone_or_username_a_username_is_generated(ctx):
    community = make_community()
    secretary = make_secretary(community)
    first = add(secretary, community, username="")
    second = add(secretary, community, username="", display_name="李大妈")
    assert re.fullmatch(r"u\d{8}", first.username) and first.username != second.username


def test_a_phone_already_taken_as_a_username_gets_a_generated_one(ctx):
    community = make_community()
    make_volunteer(community, username="13912345678")
    person = add(make_secretary(community), community, username="", phone="13912345678")
    assert re.fullmatch(r"u\d{8}", person.username)


def test_a_phone_with_an_account_is_not_added_again(ctx):
    community = make_community()
    secretary = make_secretary(community)
    add(secretary, community, phone="13912345678")
    with pytest.raises(Invalid) as raised:
        add(secretary, community, username="laoli2", phone="13912345678")
    assert "phone" in raised.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).where(User.phone == "13912345678")) == 1


def test_a_liaison_must_belong_to_a_unit_of_the_alliance(ctx):
    community = make_community()
    stranger = make_unit(make_community())
    with pytest.raises(Invalid) as raised:
        add(make_secretary(community), community, role=Role.UNIT_LIAISON, unit_id=stranger.id)
    assert "unit_id" in raised.value.errors


def test_a_liaison_of_an_alliance_unit_is_added(ctx):
    community = make_community()
    unit = make_unit(community)
    person = add(make_secretary(community), community, role=Role.UNIT_LIAISON, unit_id=unit.id)
    assert person.grants[0].unit_id == unit.id


def test_a_resident_lives_in_one_of_the_communitys_neighbourhoods(ctx):
    community, other = make_community(), make_community()
    with pytest.raises(Invalid):
        add(
            make_secretary(community),
            community,
            role=Role.RESIDENT,
            neighbourhood_id=other.neighbourhoods[0].id,
        )


def test_usernames_are_unique(ctx):
    community = make_community()
    secretary = make_secretary(community)
    add(secretary, community)
    with pytest.raises(Invalid) as raised:
        add(secretary, community, display_name="另一个李大爷")
    assert "username" in raised.value.errors


@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_only_the_secretary_adds_people(ctx, make):
    community = make_community()
    with pytest.raises(Forbidden):
        add(make(community), community)
    assert db.session.scalars(sa.select(User).where(User.username == "laoli")).all() == []


def test_secretary_cannot_add_a_street_admin(ctx):
    community = make_community()
    with pytest.raises(Invalid):
        add(make_secretary(community), community, role=Role.STREET_ADMIN)


def test_people_page_masks_phones(client, ctx):
    community = make_community()
    make_volunteer(community, display_name="王阿姨", phone="13812341234")
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/people").get_data(as_text=True)
    assert "王阿姨" in html and "138****1234" in html and "13812341234" not in html


def test_street_admin_reads_people_but_cannot_add(client, ctx):
    community = make_community()
    login(client, make_street_admin(community.street))
    assert client.get(f"/communities/{community.id}/people").status_code == 200
    assert client.get(f"/communities/{community.id}/people/new").status_code == 403


def test_a_resident_cannot_see_the_people_list(client, ctx):
    community = make_community()
    login(client, make_resident(community))
    assert client.get(f"/communities/{community.id}/people").status_code == 403


def test_the_add_person_form_creates_a_volunteer(client, ctx):
    community = make_community()
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/people/new"
    form = {
        "csrf_token": csrf(client, path),
        "role": "volunteer",
        "display_name": "张志强",
        "phone": "13900001111",
        "is_party_member": "y",
        "skills": "理发，摄影",
    }
    response = client.post(path, data=form)
    assert response.status_code == 302
    person = db.session.scalars(sa.select(User).where(User.username == "13900001111")).one()
    assert person.volunteer.is_party_member and person.volunteer.skills == ["理发", "摄影"]
    assert response.location.endswith(f"/people/{person.id}/invitation")


def test_a_bad_person_form_shows_errors_and_adds_nobody(client, ctx):
    community = make_community()
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/people/new"
    form = {
        "csrf_token": csrf(client, path),
        "role": "unit_liaison",
        "display_name": "",
        "username": "x",
        "phone": "123",
    }
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "此项必填",
        "用户名为 3–64 位字母、数字或 _ . -",
        "请填写 11 位手机号",
        "单位联络员需要选择所在单位",
    ):
        assert message in html
    assert db.session.scalars(sa.select(User).where(User.username == "x")).all() == []


def test_people_api_lists_and_adds(client, ctx):
    community = make_community()
    make_volunteer(community, phone="13812341234")
    headers = bearer(make_secretary(community))
    listed = client.get(
        f"/api/v1/communities/{community.id}/people?role=volunteer", headers=headers
    )
    assert listed.json["total"] == 1 and listed.json["items"][0]["phone"] == "138****1234"
    response = client.post(
        f"/api/v1/communities/{community.id}/people",
        json={
            "role": "resident",
            "display_name": "刘桂兰",
            "phone": "13912345678",
        },
        headers=headers,
    )
    assert response.status_code == 201 and response.json["roles"] == ["resident"]
    assert response.json["username"] == "13912345678"
    assert response.json["phone"] == "139****5678"
    code = response.json["invitation_code"]
    assert invitations.live_invitation(code, now=utcnow()).user_id == response.json["id"]


def test_the_people_api_takes_no_password(client, ctx):
    community = make_community()
    response = client.post(
        f"/api/v1/communities/{community.id}/people",
        json={"role": "resident", "display_name": "刘桂兰", "password": "12345678"},
        headers=bearer(make_secretary(community)),
    )
    assert response.status_code == 422 and "password" in response.json["errors"]
    assert db.session.scalar(sa.select(User).where(User.display_name == "刘桂兰")) is None


def test_the_profile_page_shows_the_volunteers_record(client, ctx):
    community = make_community()
    volunteer = make_volunteer(community, display_name="陈秀英")
    login(client, volunteer)
    html = client.get("/me").get_data(as_text=True)
    assert "陈秀英" in html and "志愿者档案" in html and community.name in html


@pytest.mark.parametrize("status", ["", "active", "inactive"])
def test_the_people_page_counts_everyone_and_its_statements_do_not_grow_with_it(
    client, ctx, count_queries, status
):
    community = make_community()
    unit = make_unit(community)
    make_liaison(unit)
    login(client, make_secretary(community))
    left = make_volunteer(community)
    left.is_active = False
    url = f"/communities/{community.id}/people?status={status}"

    def listed() -> tuple[int, int]:
        with count_queries() as counted:
            html = client.get(url).get_data(as_text=True)
        total = int(re.search(r"共 (\d+) ", html).group(1))
        return counted.n, total

    listed()  # the first request after signing in also renews her session
    few, few_total = listed()
    for i in range(12):
        make_volunteer(community, display_name=f"志愿者{i}", party=i % 2 == 0)
    make_volunteer(make_community(), display_name="别的社区")
    many, many_total = listed()

    expected = {"": (3, 15), "active": (2, 14), "inactive": (1, 1)}[status]
    assert (few_total, many_total) == expected
    assert many == few
