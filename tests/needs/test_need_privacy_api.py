"""Who asked for help is personal data: the needs API names the requester, and searches by her
name, only for the community's staff and the street (and tells a requester her own)."""

import pytest

from coop.auth.models import Role, RoleGrant
from coop.extensions import db
from coop.needs.models import NeedStatus
from tests.factories import (
    bearer,
    make_community,
    make_liaison,
    make_need,
    make_resident,
    make_secretary,
    make_street_admin,
    make_unit,
    make_volunteer,
)

REQUESTER_FIELDS = {"requester_name", "requester_phone", "requester_address"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def need(community):
    return make_need(community, title="独居老人助餐", requester_name="刘桂兰")


MAKERS = {
    "secretary": make_secretary,
    "street admin": lambda community: make_street_admin(community.street),
    "resident": make_resident,
    "volunteer": make_volunteer,
    "unit liaison": lambda community: make_liaison(make_unit(community)),
}
STAFF = {"secretary", "street admin"}


@pytest.mark.parametrize("role", MAKERS)
def test_only_staff_read_who_asked_in_a_need(client, community, need, role):
    headers = bearer(MAKERS[role](community))
    one = client.get(f"/api/v1/needs/{need.id}", headers=headers)
    listed = client.get(f"/api/v1/needs?community_id={community.id}", headers=headers)
    assert one.status_code == 200 and listed.status_code == 200
    [item] = listed.json["items"]
    if role in STAFF:
        assert one.json["requester_name"] == item["requester_name"] == "刘桂兰"
        assert one.json["requester_phone"] == "138****1234"
    else:
        assert not REQUESTER_FIELDS & set(one.json) and not REQUESTER_FIELDS & set(item)
        assert "刘桂兰" not in listed.get_data(as_text=True)


@pytest.mark.parametrize("role", MAKERS)
def test_only_staff_find_a_need_by_who_asked(client, community, need, role):
    headers = bearer(MAKERS[role](community))
    by_name = client.get(f"/api/v1/needs?community_id={community.id}&q=刘桂兰", headers=headers)
    by_title = client.get(f"/api/v1/needs?community_id={community.id}&q=助餐", headers=headers)
    assert [n["id"] for n in by_title.json["items"]] == [need.id]
    assert [n["id"] for n in by_name.json["items"]] == ([need.id] if role in STAFF else [])


def test_a_resident_reads_her_own_name_on_her_need(client, community):
    resident = make_resident(community, display_name="王建国", phone="13900001111")
    own = make_need(
        community,
        status=NeedStatus.SUBMITTED,
        requester_id=resident.id,
        requester_name="王建国",
        requester_phone="13900001111",
    )
    body = client.get(f"/api/v1/needs/{own.id}", headers=bearer(resident)).json
    assert body["requester_name"] == "王建国" and body["requester_phone"] == "139****1111"


def test_a_name_is_found_only_where_she_is_staff(client, community, need):
    # A volunteer here who is the secretary of another community finds the name there only.
    other = make_community()
    there = make_need(other, requester_name="刘桂兰")
    user = make_volunteer(community)
    user.grants.append(RoleGrant(role=Role.SECRETARY, community_id=other.id))
    db.session.flush()
    found = client.get("/api/v1/needs?q=刘桂兰", headers=bearer(user)).json["items"]
    assert [n["id"] for n in found] == [there.id]
