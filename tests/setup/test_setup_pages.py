"""The street admin's 社区设置 and 人员与职务 pages."""

import re

import pytest
import sqlalchemy as sa

from coop.auth.models import RoleGrant, StaffTitle, User
from coop.extensions import db
from tests.factories import (
    csrf,
    login,
    make_community,
    make_secretary,
    make_street,
    make_street_admin,
)


@pytest.fixture
def street(ctx):
    return make_street()


@pytest.fixture
def admin(client, street):
    admin = make_street_admin(street)
    login(client, admin)
    return admin


def form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html)[1]


def post_form(client, path: str, data: dict):
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    return client.post(path, data={**data, "csrf_token": token, "form_token": form_token(html)})


def test_the_street_admins_menu_has_the_set_up_pages(client, admin):
    html = client.get("/communities").get_data(as_text=True)
    assert "社区设置" in html and "人员与职务" in html


def test_a_secretarys_menu_has_not(client, street):
    login(client, make_secretary(make_community(street)))
    html = client.get("/me").get_data(as_text=True)
    assert "社区设置" not in html and "人员与职务" not in html


def test_the_admin_sets_up_a_community_and_sees_the_new_secretarys_code_once(client, admin):
    created = post_form(client, "/settings/communities/new", {"name": "春华社区"})
    assert created.status_code == 302
    community_path = created.headers["Location"]
    community_id = int(community_path.rsplit("/", 1)[1])

    added = post_form(
        client,
        f"/settings/communities/{community_id}/neighbourhoods/new",
        {"name": "东区", "households": "301"},
    )
    assert added.status_code == 302
    appointed = post_form(
        client,
        f"/settings/communities/{community_id}/staff/new",
        {"title": "secretary", "phone": "13600000001", "display_name": "钱书记"},
    )
    assert appointed.status_code == 302 and appointed.headers["Location"] == community_path

    page = client.get(community_path).get_data(as_text=True)
    code = re.search(r'data-invitation-code="([A-Z0-9-]+)"', page)[1]
    assert "请把邀请码交给钱书记" in page and "<svg" in page
    assert "缺 3 名网格员" in page and "社区书记" in page
    again = client.get(community_path).get_data(as_text=True)
    assert code not in again


def test_a_refused_appointment_shows_the_form_again_and_changes_nothing(client, admin, street):
    community = make_community(street)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))

    response = post_form(
        client,
        f"/settings/communities/{community.id}/staff/new",
        {"title": "staff", "phone": "13600000001"},
    )

    assert response.status_code == 422
    assert "请填写姓名" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_a_second_secretary_is_refused_beside_the_post_and_the_page_offers_staff(
    client, admin, street
):
    community = make_community(street)
    incumbent = make_secretary(community, display_name="钱书记")
    incumbent.grants[0].title = StaffTitle.SECRETARY
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant))
    path = f"/settings/communities/{community.id}/staff/new"

    response = post_form(
        client, path, {"title": "secretary", "phone": "13600000002", "display_name": "孙书记"}
    )

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "本社区已有社区书记钱书记" in html and 'value="孙书记"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant)) == before
    page = client.get(f"/settings/communities/{community.id}").get_data(as_text=True)
    assert "任命社区书记</a>" not in page and "任命社区工作者</a>" in page
    blank = client.get(path).get_data(as_text=True)
    assert re.search(r'<option value="staff"[^>]*selected', blank)


def test_removing_staff_asks_first(client, admin, street):
    community = make_community(street)
    secretary = make_secretary(community, display_name="钱书记")
    path = f"/settings/communities/{community.id}/staff/{secretary.grants[0].id}/remove"

    confirm = client.get(path).get_data(as_text=True)
    assert "确认免去" in confirm and "钱书记" in confirm
    assert secretary.grants

    response = client.post(path, data={"csrf_token": csrf(client, path)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == secretary.id)) is None


def test_the_last_street_admin_is_told_why_she_cannot_step_down(client, admin):
    path = f"/settings/street-admins/{admin.grants[0].id}/remove"

    response = client.post(path, data={"csrf_token": csrf(client, path)}, follow_redirects=True)

    assert "最后一位街道管理员" in response.get_data(as_text=True)
    assert admin.grants


def test_the_posts_page_shows_who_holds_what_filtered_by_community(client, admin, street):
    spring, autumn = (
        make_community(street, name="春华社区"),
        make_community(street, name="秋实社区"),
    )
    staff = make_secretary(spring, display_name="钱工作者")
    staff.grants[0].title = StaffTitle.STAFF
    make_secretary(autumn, display_name="孙书记")
    db.session.flush()

    everything = client.get("/settings/people").get_data(as_text=True)
    assert "钱工作者（社区工作者）" in everything and "孙书记（社区书记）" in everything

    one = client.get(f"/settings/people?community_id={spring.id}").get_data(as_text=True)
    assert "钱工作者" in one and "孙书记" not in one


@pytest.mark.parametrize(
    "path",
    ["/settings/communities", "/settings/people", "/settings/communities/new"],
)
def test_a_secretary_cannot_open_the_set_up_pages(client, street, path):
    login(client, make_secretary(make_community(street)))
    assert client.get(path).status_code == 403


def test_another_streets_community_is_not_found(client, admin):
    elsewhere = make_community(make_street())
    assert client.get(f"/settings/communities/{elsewhere.id}").status_code == 404
    assert client.get(f"/settings/people?community_id={elsewhere.id}").status_code == 404


def test_my_page_names_the_staff_title(client, street):
    staff = make_secretary(make_community(street))
    staff.grants[0].title = StaffTitle.STAFF
    db.session.flush()
    login(client, staff)

    assert "社区工作者" in client.get("/me").get_data(as_text=True)
