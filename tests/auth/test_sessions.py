"""Sessions end when they should: sign-out ends that browser's session on the server, a password
change ends every session and API token of hers, and a session dies after a while idle."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from itsdangerous import TimestampSigner

from coop.auth.models import ApiToken, User, UserSession
from coop.dbtypes import utcnow
from coop.extensions import db
from tests.factories import PASSWORD, bearer, make_user
from tests.factories import csrf as page_csrf

NEW_PASSWORD = "a new and longer passphrase"


def csrf(client, path="/login"):
    """The form's token for this browser. Requests in a test share one app context, and
    Flask-WTF keeps the token it made on ``g``: forget it, as a new request would."""
    g.pop("csrf_token", None)
    return page_csrf(client, path)


def sign_in(client, username, password=PASSWORD, *, form="/login"):
    data = {"username": username, "password": password, "csrf_token": csrf(client, form)}
    return client.post("/login", data=data)


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf(client, "/me")})


def cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, value: str):
    """A second browser that sends a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief.get("/me")


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, repeat=None):
    path = "/me/password"
    data = {
        "current_password": current,
        "new_password": new,
        "new_password_repeat": new if repeat is None else repeat,
        "csrf_token": csrf(client, path),
    }
    return client.post(path, data=data)


@pytest.fixture
def user(ctx):
    return make_user()


def test_a_copied_cookie_stops_working_after_sign_out(app, client, user):
    sign_in(client, user.username)
    copied = cookie(client)
    assert replay(app, copied).status_code == 200
    assert sign_out(client).status_code == 302
    response = replay(app, copied)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_sign_out_ends_only_that_browsers_session(app, client, user):
    phone = app.test_client()
    sign_in(phone, user.username)
    sign_in(client, user.username)
    sign_out(client)
    assert phone.get("/me").status_code == 200
    assert client.get("/me").status_code == 302


def test_sign_out_is_recorded_on_the_session_row(client, user):
    sign_in(client, user.username)
    sign_out(client)
    (row,) = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None


def test_signing_in_again_ends_the_session_the_browser_had(app, client, user):
    other = make_user()
    sign_in(client, other.username)
    before = cookie(client)
    sign_in(client, user.username, form="/me")  # the form in another tab, say
    assert cookie(client) != before
    assert replay(app, before).status_code == 302
    html = client.get("/me").get_data(as_text=True)
    assert user.display_name in html and other.display_name not in html


def test_a_cookie_naming_only_a_user_id_is_not_a_session(app, client, user):
    """What the cookie used to carry: a signed user id, good for 31 days whatever happened."""
    with client.session_transaction() as session:
        session["user_id"] = user.id
    assert client.get("/me").status_code == 302


def test_a_session_ends_after_its_idle_timeout(app, client, user, monkeypatch):
    idle = app.permanent_session_lifetime
    assert timedelta(hours=1) <= idle <= timedelta(days=7)
    sign_in(client, user.username)
    serializer = app.session_interface.get_signing_serializer(app)
    contents = serializer.loads(cookie(client))
    last_request = int(time.time() - idle.total_seconds() - 60)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: last_request)
    idle_cookie = serializer.dumps(contents)  # as the server signed it on her last request
    monkeypatch.undo()
    assert replay(app, idle_cookie).status_code == 302
    assert replay(app, serializer.dumps(contents)).status_code == 200


def test_a_session_ends_at_its_absolute_lifetime(client, user):
    sign_in(client, user.username)
    (row,) = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/me").status_code == 302


def test_a_deactivated_user_is_signed_out(client, user):
    sign_in(client, user.username)
    user.is_active = False
    assert client.get("/me").status_code == 302


# --- changing her own password ---------------------------------------------------------------


def test_the_password_page_is_linked_from_her_page(client, user):
    sign_in(client, user.username)
    assert 'href="/me/password"' in client.get("/me").get_data(as_text=True)
    html = client.get("/me/password").get_data(as_text=True)
    assert 'name="current_password"' in html and 'name="new_password_repeat"' in html


def test_a_password_change_ends_every_session_and_token(app, client, user):
    phone = app.test_client()
    sign_in(phone, user.username)
    sign_in(client, user.username)
    copied = cookie(client)
    headers = bearer(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    response = change_password(client)

    assert response.status_code == 302
    assert phone.get("/me").status_code == 302  # her other browser
    assert replay(app, copied).status_code == 302  # a copy of this browser's old cookie
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    page = client.get("/me")  # she stays signed in here, on a new session
    assert page.status_code == 200 and "密码已修改" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)


def test_after_a_password_change_only_the_new_password_signs_in(app, client, user):
    sign_in(client, user.username)
    change_password(client)
    fresh = app.test_client()
    assert sign_in(fresh, user.username, PASSWORD).status_code == 401
    assert sign_in(fresh, user.username, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"current": "not my password"}, "current_password", "当前密码不正确"),
        ({"repeat": "something else entirely"}, "new_password_repeat", "两次输入的新密码不一致"),
        ({"new": "short"}, "new_password", "长度应为 8–128 个字"),
        ({"new": PASSWORD}, "new_password", "新密码不能与当前密码相同"),
        ({"new": "12345678"}, "new_password", "这个密码太常见"),
        ({"new": "xxxxxxxxxxxx"}, "new_password", "这个密码太常见"),
    ],
)
def test_a_refused_password_change_changes_nothing(app, client, user, form, field, message):
    sign_in(client, user.username)
    headers = bearer(user)
    response = change_password(client, **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="e-{field}"' in html and message in html
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
    assert client.get("/me").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_the_password_cannot_be_the_username(client, ctx):
    user = make_user(username="lihua2024")
    sign_in(client, user.username)
    response = change_password(client, new="lihua2024")
    assert response.status_code == 422 and "不能与用户名相同" in response.get_data(as_text=True)


def test_the_password_page_needs_a_sign_in(client):
    response = client.get("/me/password")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_the_api_changes_the_password_and_revokes_every_token(client, user):
    headers, other = bearer(user), bearer(user)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.post("/api/v1/me/password", json=body, headers=headers)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=other).status_code == 401
    tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert all(t.revoked_at is not None for t in tokens)
    token = client.post(
        "/api/v1/tokens", json={"username": user.username, "password": NEW_PASSWORD}
    )
    assert token.status_code == 201


def test_the_api_refuses_a_wrong_current_password_with_422(client, user):
    headers = bearer(user)
    body = {"current_password": "wrong", "new_password": NEW_PASSWORD}
    response = client.post("/api/v1/me/password", json=body, headers=headers)
    assert response.status_code == 422 and "current_password" in response.json["errors"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_guessing_the_current_password_is_throttled(client, user):
    headers = bearer(user)
    body = {"current_password": "wrong", "new_password": NEW_PASSWORD}
    statuses = [
        client.post("/api/v1/me/password", json=body, headers=headers).status_code for _ in range(8)
    ]
    assert statuses[0] == 422 and statuses[-1] == 429


def test_who_is_asking_is_one_statement_with_her_grants(ctx, count_queries):
    from coop.auth import service
    from tests.factories import make_community, make_secretary

    secretary = make_secretary(make_community())
    raw_session = service.start_session(secretary)
    raw_token, _token = service.issue_token(secretary)
    db.session.expunge_all()  # a new request's session knows nobody
    with count_queries() as counted:
        by_cookie = service.session_user(raw_session)
        roles = by_cookie.roles
    assert counted.n == 1 and roles and by_cookie.id == secretary.id
    db.session.expunge_all()
    with count_queries() as counted:
        by_token = service.token_for(raw_token).user
        roles = by_token.roles
    assert counted.n == 1 and roles and by_token.id == secretary.id


def test_the_sign_in_redirect_names_the_page_without_a_stray_question_mark(client):
    assert client.get("/me/password").location == "/login?next=/me/password"
    answer = client.get("/me/password?tab=1")
    assert answer.location == "/login?next=/me/password?tab%3D1"
