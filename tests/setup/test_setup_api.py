"""The street admin's set-up API: statuses, scope, and that a refused request changed nothing."""

import pytest
import sqlalchemy as sa

from coop.alliance.models import Community, Neighbourhood
from coop.auth import invitations
from coop.auth.models import RoleGrant, StaffTitle
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.setup.models import GridAssignment
from tests.factories import (
    bearer,
    make_community,
    make_secretary,
    make_street,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def street(ctx):
    return make_street()


@pytest.fixture
def admin(street):
    return make_street_admin(street)


@pytest.fixture
def community(street):
    return make_community(street)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_street_admin_creates_a_community_with_its_alliance(client, admin, street):
    response = client.post(
        "/api/v1/communities",
        json={"name": "春华社区", "address": "春华路 1 号"},
        headers=bearer(admin),
    )

    assert response.status_code == 201
    assert response.json["street"]["id"] == street.id
    assert response.json["alliance"]["name"] == "春华社区党建联盟"
    assert len(response.json["alliance"]["mechanisms"]) == 6


@pytest.mark.parametrize(
    "who, body, status",
    [
        ("secretary", {"name": "春华社区"}, 403),
        ("admin", {"name": "春华社区", "street_id": "other"}, 404),
        ("admin", {"address": "没有名称"}, 422),
        ("admin", {"name": "春华社区", "founded_on": "2026-13-01"}, 422),
        ("admin", {"name": "春华社区", "founded_on": "2099-01-01"}, 422),
    ],
)
def test_a_refused_community_is_not_created(client, admin, community, who, body, status):
    actor = admin if who == "admin" else make_secretary(community)
    if body.get("street_id") == "other":
        body = {**body, "street_id": make_street().id}
    before = count(Community)

    response = client.post("/api/v1/communities", json=body, headers=bearer(actor))

    assert response.status_code == status
    assert count(Community) == before


def test_neighbourhoods_are_added_renamed_and_listed(client, admin, community):
    headers = bearer(admin)
    created = client.post(
        f"/api/v1/communities/{community.id}/neighbourhoods",
        json={"name": "阳光苑", "households": 620, "description": "1–8 号楼"},
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json["members_needed"] == 5 and created.json["members_short"] == 5

    renamed = client.patch(
        f"/api/v1/neighbourhoods/{created.json['id']}", json={"name": "阳光苑东区"}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.json["name"] == "阳光苑东区" and renamed.json["households"] == 620

    listed = client.get(f"/api/v1/communities/{community.id}/neighbourhoods", headers=headers)
    assert "阳光苑东区" in [n["name"] for n in listed.json["items"]]
    shown = client.get(f"/api/v1/communities/{community.id}", headers=headers).json
    assert {"name": "阳光苑东区", "households": 620} in [
        {"name": n["name"], "households": n["households"]} for n in shown["neighbourhoods"]
    ]


@pytest.mark.parametrize(
    "who, body, status",
    [
        ("secretary", {"name": "新区"}, 403),
        ("other_admin", {"name": "新区"}, 404),
        ("admin", {"name": "新区", "households": -1}, 422),
        ("admin", {"name": "邻里单元1"}, 422),
    ],
)
def test_a_refused_neighbourhood_is_not_added(client, admin, community, who, body, status):
    actor = {
        "admin": admin,
        "secretary": make_secretary(community),
        "other_admin": make_street_admin(make_street()),
    }[who]
    before = count(Neighbourhood)

    response = client.post(
        f"/api/v1/communities/{community.id}/neighbourhoods", json=body, headers=bearer(actor)
    )

    assert response.status_code == status
    assert count(Neighbourhood) == before


def test_appointing_a_new_person_answers_her_invitation_code_once(client, admin, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/staff",
        json={"title": "secretary", "phone": "13600000001", "display_name": "钱书记"},
        headers=bearer(admin),
    )

    assert response.status_code == 201
    assert response.json["title"] == "secretary" and response.json["title_label"] == "社区书记"
    assert response.json["user"]["invited"] is True
    invitation = invitations.live_invitation(response.json["invitation_code"], now=utcnow())
    assert invitation.user.display_name == "钱书记"
    listed = client.get(f"/api/v1/communities/{community.id}/staff", headers=bearer(admin))
    assert "invitation_code" not in listed.json["items"][0]


def test_appointing_an_existing_person_answers_no_code(client, admin, community):
    make_volunteer(community, phone="13600000001")
    response = client.post(
        f"/api/v1/communities/{community.id}/staff",
        json={"title": "staff", "phone": "13600000001"},
        headers=bearer(admin),
    )

    assert response.status_code == 201
    assert response.json["invitation_code"] is None
    assert response.json["title_label"] == "社区工作者"


@pytest.mark.parametrize(
    "who, body, status",
    [
        ("secretary", {"title": "staff", "phone": "13600000009", "display_name": "钱"}, 403),
        ("other_admin", {"title": "staff", "phone": "13600000009", "display_name": "钱"}, 404),
        ("admin", {"title": "boss", "phone": "13600000009", "display_name": "钱"}, 422),
        ("admin", {"title": "staff", "phone": "123", "display_name": "钱"}, 422),
        ("admin", {"title": "staff", "phone": "13600000009"}, 422),
        ("admin", {"title": "staff", "phone": "13600000001"}, 409),
    ],
)
def test_a_refused_appointment_changes_nothing(client, admin, community, who, body, status):
    make_secretary(community, phone="13600000001")
    actor = {
        "admin": admin,
        "secretary": make_secretary(community),
        "other_admin": make_street_admin(make_street()),
    }[who]
    before = count(RoleGrant)

    response = client.post(
        f"/api/v1/communities/{community.id}/staff", json=body, headers=bearer(actor)
    )

    assert response.status_code == status, response.json
    assert count(RoleGrant) == before


def test_removing_staff_answers_204_and_ends_her_powers(client, admin, community):
    secretary = make_secretary(community)
    token = bearer(secretary)
    grant_id = secretary.grants[0].id

    response = client.delete(
        f"/api/v1/communities/{community.id}/staff/{grant_id}", headers=bearer(admin)
    )

    assert response.status_code == 204
    assert db.session.get(RoleGrant, grant_id) is None
    assert client.get(f"/api/v1/communities/{community.id}", headers=token).status_code == 404


@pytest.mark.parametrize("who, status", [("secretary", 403), ("other_admin", 404)])
def test_removing_staff_is_refused_beyond_the_admins_power(client, admin, community, who, status):
    secretary = make_secretary(community)
    actor = secretary if who == "secretary" else make_street_admin(make_street())
    grant_id = secretary.grants[0].id

    response = client.delete(
        f"/api/v1/communities/{community.id}/staff/{grant_id}", headers=bearer(actor)
    )

    assert response.status_code == status
    assert db.session.get(RoleGrant, grant_id) is not None


def test_the_last_street_admin_is_not_removed(client, admin, street):
    grant_id = admin.grants[0].id

    response = client.delete(
        f"/api/v1/streets/{street.id}/admins/{grant_id}", headers=bearer(admin)
    )

    assert response.status_code == 409
    assert response.json["code"] == "last_street_admin"
    assert db.session.get(RoleGrant, grant_id) is not None


def test_a_second_street_admin_is_appointed_and_the_first_steps_down(client, admin, street):
    appointed = client.post(
        f"/api/v1/streets/{street.id}/admins",
        json={"phone": "13500000001", "display_name": "钱街道"},
        headers=bearer(admin),
    )
    assert appointed.status_code == 201 and appointed.json["invitation_code"]

    response = client.delete(
        f"/api/v1/streets/{street.id}/admins/{admin.grants[0].id}", headers=bearer(admin)
    )

    assert response.status_code == 204
    listed = client.get(f"/api/v1/streets/{street.id}/admins", headers=bearer(admin))
    assert listed.status_code == 403  # she is no admin any more


def test_grid_posts_are_appointed_and_removed(client, admin, community):
    volunteer = make_volunteer(community)
    grid = community.neighbourhoods[0]
    headers = bearer(admin)

    leader = client.post(
        f"/api/v1/neighbourhoods/{grid.id}/grid-posts",
        json={"post": "leader", "user_id": volunteer.id},
        headers=headers,
    )
    second = client.post(
        f"/api/v1/neighbourhoods/{grid.id}/grid-posts",
        json={"post": "leader", "phone": "13700000001", "display_name": "孙网格"},
        headers=headers,
    )

    assert leader.status_code == 201 and leader.json["post_label"] == "网格长"
    assert second.status_code == 409 and second.json["code"] == "grid_leader_taken"
    assert count(GridAssignment) == 1
    removed = client.delete(f"/api/v1/grid-posts/{leader.json['id']}", headers=headers)
    assert removed.status_code == 204 and count(GridAssignment) == 0


def test_the_staff_title_shows_in_me(client, admin, community):
    secretary = make_secretary(community)
    secretary.grants[0].title = StaffTitle.STAFF
    db.session.flush()

    response = client.get("/api/v1/me", headers=bearer(secretary))

    assert response.json["grants"][0]["role_label"] == "社区工作者"
    assert response.json["grants"][0]["title"] == "staff"


def appoint(client, admin, community, title, phone, name):
    return client.post(
        f"/api/v1/communities/{community.id}/staff",
        json={"title": title, "phone": phone, "display_name": name},
        headers=bearer(admin),
    )


def test_a_community_has_one_secretary_and_any_number_of_deputies_and_staff(
    client, admin, community
):
    assert (
        appoint(client, admin, community, "secretary", "13600000001", "钱书记").status_code == 201
    )
    before = count(RoleGrant)

    second = appoint(client, admin, community, "secretary", "13600000002", "孙书记")

    assert second.status_code == 409, second.json
    assert second.json["code"] == "secretary_taken"
    assert "钱书记" in second.json["message"] and second.json["errors"]["title"]
    assert count(RoleGrant) == before
    assert appoint(client, admin, community, "deputy", "13600000002", "孙副书记").status_code == 201
    assert appoint(client, admin, community, "staff", "13600000003", "李干事").status_code == 201
    assert appoint(client, admin, community, "staff", "13600000004", "周干事").status_code == 201
    listed = client.get(f"/api/v1/communities/{community.id}/staff", headers=bearer(admin))
    assert [(i["title"], i["title_label"]) for i in listed.json["items"]] == [
        ("secretary", "社区书记"),
        ("deputy", "社区副书记"),
        ("staff", "社区工作者"),
        ("staff", "社区工作者"),
    ]


def test_once_the_secretary_is_removed_another_can_be_appointed(client, admin, community):
    grant_id = appoint(client, admin, community, "secretary", "13600000001", "钱书记").json["id"]
    client.delete(f"/api/v1/communities/{community.id}/staff/{grant_id}", headers=bearer(admin))

    response = appoint(client, admin, community, "secretary", "13600000002", "孙书记")

    assert response.status_code == 201, response.json


def test_each_community_has_its_own_secretary(client, admin, community, street):
    other = make_community(street)
    appoint(client, admin, community, "secretary", "13600000001", "钱书记")

    assert appoint(client, admin, other, "secretary", "13600000002", "孙书记").status_code == 201
