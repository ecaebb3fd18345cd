"""A person added by staff sets her own password with a one-time invitation code."""

from datetime import timedelta

import pytest
from flask import g

from coop.auth import invitations
from coop.auth.models import Invitation
from coop.dbtypes import utcnow
from coop.errors import Invalid, TooManyRequests
from coop.extensions import db
from tests.factories import csrf, make_community, make_volunteer

NEW_PASSWORD = "my own passphrase"


@pytest.fixture
def invited(ctx):
    user = make_volunteer(make_community(), username="chenxy")
    invitations.without_password(user)
    db.session.flush()
    return user


def redeem(code, password=NEW_PASSWORD, address="10.0.0.1"):
    return invitations.redeem_invitation(code, new_password=password, address=address, now=utcnow())


def test_an_invited_person_cannot_sign_in_before_setting_her_password(invited):
    assert not invitations.has_password(invited)
    assert not invited.check_password("")
    assert not invited.check_password(invitations.NO_PASSWORD)


def test_the_code_sets_her_password_once(invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    assert len(code) == 9 and code[4] == "-"
    assert redeem(code.lower().replace("-", " ")) is invited
    assert invited.check_password(NEW_PASSWORD)
    with pytest.raises(Invalid) as used:
        redeem(code, password="another passphrase")
    assert "code" in used.value.errors
    assert invited.check_password(NEW_PASSWORD)


def test_only_the_digest_of_a_code_is_stored(invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    stored = db.session.query(Invitation).one()
    assert invitations.normalise(code) not in stored.code_hash


def test_an_expired_code_does_not_work(invited):
    issued = utcnow() - invitations.lifetime() - timedelta(minutes=1)
    code = invitations.issue_invitation(invited, by=None, now=issued)
    with pytest.raises(Invalid):
        redeem(code)
    assert not invitations.has_password(invited)


def test_a_new_code_revokes_the_one_before(invited):
    first = invitations.issue_invitation(invited, by=None, now=utcnow())
    second = invitations.issue_invitation(invited, by=None, now=utcnow())
    with pytest.raises(Invalid):
        redeem(first)
    redeem(second)


def test_a_deactivated_person_cannot_use_her_code(invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    invited.is_active = False
    with pytest.raises(Invalid):
        redeem(code)


def test_a_common_password_is_refused_and_the_code_stays_usable(invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    with pytest.raises(Invalid) as weak:
        redeem(code, password="12345678")
    assert "new_password" in weak.value.errors
    redeem(code)


def test_wrong_codes_are_throttled_per_address(invited):
    for _ in range(invitations_free_failures()):
        with pytest.raises(Invalid):
            redeem("ZZZZ-ZZZZ")
    with pytest.raises(TooManyRequests):
        redeem("ZZZZ-ZZZZ")


def invitations_free_failures():
    from coop.auth.throttle import FREE_FAILURES

    return FREE_FAILURES + 1


def test_the_page_shows_her_name_and_signs_her_in(client, invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    page = client.get(f"/invite/{code}")
    assert page.status_code == 200
    assert "chenxy" in page.get_data(as_text=True)
    g.pop("csrf_token", None)
    data = {
        "code": code,
        "new_password": NEW_PASSWORD,
        "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf(client, "/invite"),
    }
    response = client.post("/invite", data=data)
    assert response.status_code == 302
    assert client.get("/me").status_code == 200


def test_the_page_refuses_a_wrong_code_with_the_field_named(client, invited):
    data = {
        "code": "ABCD-EFGH",
        "new_password": NEW_PASSWORD,
        "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf(client, "/invite"),
    }
    response = client.post("/invite", data=data)
    assert response.status_code == 422
    assert "邀请码不正确或已失效" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_the_api_redeems_a_code_for_a_token(client, invited):
    code = invitations.issue_invitation(invited, by=None, now=utcnow())
    response = client.post(
        "/api/v1/invitations/redeem", json={"code": code, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["username"] == "chenxy"
    again = client.post(
        "/api/v1/invitations/redeem", json={"code": code, "new_password": "yet another one"}
    )
    assert again.status_code == 422
