"""Invitation codes on paper: shown once after a person is added, issued again for one person,
printed as a list. Codes live only in these answers."""

import re

import pytest
import sqlalchemy as sa

from coop.auth import invitations
from coop.auth.models import Invitation, User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.people import imports, service
from coop.uow import unit_of_work
from tests.factories import (
    bearer,
    csrf,
    login,
    make_community,
    make_secretary,
    make_street_admin,
    make_volunteer,
)

CODE = re.compile(r"data-code>([2-9A-Z]{4}-[2-9A-Z]{4})<")


def codes_in(html: str) -> list[str]:
    return CODE.findall(html)


def live(code: str) -> User | None:
    invitation = invitations.live_invitation(code, now=utcnow())
    return invitation.user if invitation else None


def invited(community, secretary, name: str = "王秀兰", phone: str = "13912345678") -> User:
    with unit_of_work(secretary):
        added = service.add_person(
            secretary,
            community.id,
            role=service.Role.VOLUNTEER,
            display_name=name,
            phone=phone,
            joined_on=utcnow().date(),
            now=utcnow(),
        )
    return added.person


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(client, community):
    user = make_secretary(community)
    login(client, user)
    return user


def test_the_code_is_shown_once_after_adding_a_person(client, community, secretary):
    path = f"/communities/{community.id}/people/new"
    form = {
        "csrf_token": csrf(client, path),
        "role": "volunteer",
        "display_name": "张志强",
        "phone": "13900001111",
    }
    response = client.post(path, data=form)
    shown = client.get(response.location)
    html = shown.get_data(as_text=True)
    [code] = codes_in(html)
    assert shown.headers["Cache-Control"] == "no-store"
    assert live(code).username == "13900001111"
    assert "<svg" in html and "邀请二维码" in html and "data-print" in html
    assert "张志强" in html and "13900001111" in html
    again = client.get(response.location).get_data(as_text=True)
    assert codes_in(again) == [] and "已经显示过了" in again
    assert live(code) is not None  # showing it did not spend it


def test_a_new_code_for_one_person_revokes_her_old_one(client, community, secretary):
    person = invited(community, secretary)
    [old] = db.session.scalars(sa.select(Invitation).where(Invitation.user_id == person.id)).all()
    path = f"/communities/{community.id}/people/{person.id}/invitation"
    response = client.post(
        path, data={"csrf_token": csrf(client, f"/communities/{community.id}/people")}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [code] = codes_in(response.get_data(as_text=True))
    assert live(code) == person
    db.session.refresh(old)
    assert old.revoked_at is not None


def test_a_person_who_forgot_her_password_gets_a_new_code(client, community, secretary):
    person = make_volunteer(community)
    person.set_password("forgotten-password")
    path = f"/communities/{community.id}/people/{person.id}/invitation"
    response = client.post(
        path, data={"csrf_token": csrf(client, f"/communities/{community.id}/people")}
    )
    [code] = codes_in(response.get_data(as_text=True))
    assert live(code) == person


def test_no_code_for_a_colleague_nor_for_another_communitys_person(client, community, secretary):
    token = csrf(client, f"/communities/{community.id}/people")
    colleague = make_secretary(community)
    stranger = make_volunteer(make_community())
    for person, status in ((colleague, 403), (stranger, 404)):
        path = f"/communities/{community.id}/people/{person.id}/invitation"
        assert client.post(path, data={"csrf_token": token}).status_code == status
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_the_street_admin_reads_the_list_but_issues_no_codes(client, community):
    person = make_volunteer(community)
    login(client, make_street_admin(community.street))
    token = csrf(client, f"/communities/{community.id}/people")
    path = f"/communities/{community.id}/people/{person.id}/invitation"
    assert client.post(path, data={"csrf_token": token}).status_code == 403


def test_the_printed_list_issues_fresh_codes_and_is_not_stored(client, community, secretary):
    first, second = (
        invited(community, secretary),
        invited(community, secretary, "李大爷", "13912340000"),
    )
    has_one = make_volunteer(community, display_name="已设密码")
    has_one.set_password("her-own-password")
    path = f"/communities/{community.id}/people/invitations"
    token = csrf(client, f"/communities/{community.id}/people")
    form = {"csrf_token": token, "user_ids": [first.id, second.id, has_one.id]}
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = codes_in(html)
    assert [live(code) for code in codes] == [first, second]
    assert "以下 1 人已设置了自己的密码" in html and "已设密码" in html
    assert "之前打印或显示过的邀请码已作废" in html
    assert html.count('class="invitation-sheet"') == 2
    assert html.count("<svg") == 2 and "13912340000" in html  # her username: her phone

    reprinted = codes_in(client.post(path, data=form).get_data(as_text=True))
    assert set(reprinted).isdisjoint(codes)
    assert [live(code) for code in codes] == [None, None]
    assert [live(code) for code in reprinted] == [first, second]


def test_everyone_without_a_password_is_printed_staff_aside(client, community, secretary):
    waiting = invited(community, secretary)
    make_volunteer(community).set_password("has-a-password")
    path = f"/communities/{community.id}/people/invitations"
    token = csrf(client, f"/communities/{community.id}/people")
    html = client.post(path, data={"csrf_token": token, "without_password": "y"}).get_data(
        as_text=True
    )
    assert [live(code) for code in codes_in(html)] == [waiting]


def test_printing_nobody_is_refused_and_changes_nothing(client, community, secretary):
    path = f"/communities/{community.id}/people/invitations"
    token = csrf(client, f"/communities/{community.id}/people")
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302  # back to the list, saying what to do
    with client.session_transaction() as session:
        assert "请勾选要打印邀请单的人" in str(session["_flashes"])
    colleague = make_secretary(community)
    response = client.post(path, data={"csrf_token": token, "user_ids": [colleague.id]})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_an_imports_people_are_printed_from_its_page(client, community, secretary, app):
    from tests.people.test_people_import import book, run, volunteer

    db.session.commit()
    job = run(app, community, secretary, book([], [volunteer(1), volunteer(2)]))
    path = f"/communities/{community.id}/people/invitations"
    token = csrf(client, f"/communities/{community.id}/people")
    html = client.post(path, data={"csrf_token": token, "import_id": job.id}).get_data(as_text=True)
    assert {live(code).id for code in codes_in(html)} == set(job.created_user_ids)
    other = make_community()
    login(client, make_secretary(other))
    response = client.post(
        f"/communities/{other.id}/people/invitations",
        data={"csrf_token": csrf(client, f"/communities/{other.id}/people"), "import_id": job.id},
    )
    assert response.status_code == 404


def test_the_people_list_marks_who_has_no_password_yet(client, community, secretary):
    person = invited(community, secretary)
    html = client.get(f"/communities/{community.id}/people").get_data(as_text=True)
    row = html[html.index(person.display_name) - 400 : html.index(person.display_name) + 900]
    assert "未设置密码" in row and "前有效" in row and "生成邀请码" in row
    assert f'value="{person.id}" form="print-invitations"' in html
    assert "为所有未设置密码的人打印邀请单" in html and "从 Excel 批量导入" in html


def test_the_api_prints_invitations_too(client, community, secretary):
    person = invited(community, secretary)
    response = client.post(
        f"/api/v1/communities/{community.id}/people/invitations",
        json={"user_ids": [person.id]},
        headers=bearer(secretary),
    )
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    [item] = response.json["items"]
    assert item["user_id"] == person.id and live(item["code"]) == person
    assert response.json["skipped"] == []
    both = client.post(
        f"/api/v1/communities/{community.id}/people/invitations",
        json={"user_ids": [person.id], "without_password": True},
        headers=bearer(secretary),
    )
    assert both.status_code == 422
    job_elsewhere = client.post(
        f"/api/v1/communities/{community.id}/people/invitations",
        json={"import_id": 999999},
        headers=bearer(secretary),
    )
    assert job_elsewhere.status_code == 404
    assert imports.recent_import_jobs(community.id) == []
