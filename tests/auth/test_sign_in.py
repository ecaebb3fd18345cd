import pytest

from coop.auth import service
from coop.auth.errors import InvalidCredentials
from coop.errors import TooManyRequests
from tests.factories import PASSWORD, csrf, login, make_community, make_secretary, make_user


def sign_in(client, username, password, **extra):
    data = {"username": username, "password": password, "csrf_token": csrf(client), **extra}
    return client.post("/login", data=data)


def test_passwords_are_stored_hashed(ctx):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


def test_wrong_password_is_refused(ctx):
    user = make_user()
    with pytest.raises(InvalidCredentials):
        service.authenticate(user.username, "wrong", address="10.0.0.1")


def test_deactivated_user_cannot_sign_in(ctx):
    user = make_user(is_active=False)
    with pytest.raises(InvalidCredentials):
        service.authenticate(user.username, PASSWORD, address="10.0.0.1")


def test_sign_in_page_lands_the_secretary_on_her_to_do_list(client, ctx):
    community = make_community()
    secretary = make_secretary(community)
    response = sign_in(client, secretary.username, PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    home = client.get("/").get_data(as_text=True)
    assert "待办" in home and f'href="/communities/{community.id}"' in home


def test_wrong_password_shows_the_form_again_with_a_message(client, ctx):
    user = make_user()
    response = sign_in(client, user.username, "nope")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302  # still signed out


def test_too_many_failures_answer_429_on_the_page(client, ctx):
    user = make_user()
    for _ in range(10):
        sign_in(client, user.username, "nope")
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_sign_in_form_needs_its_csrf(client, ctx):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302  # back to the form, with the reason flashed
    assert "页面已过期" in client.get("/login").get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_empty_sign_in_form_shows_field_errors(client, ctx):
    response = sign_in(client, "", "")
    assert response.status_code == 422
    assert "此项必填" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(client, ctx, target):
    user = make_user()
    response = sign_in(client, user.username, PASSWORD, next=target)
    assert response.location == "/"


def test_next_returns_to_the_page_asked_for(client, ctx):
    community = make_community()
    secretary = make_secretary(community)
    response = sign_in(client, secretary.username, PASSWORD, next=f"/communities/{community.id}")
    assert response.location == f"/communities/{community.id}"


def test_sign_out_ends_the_session(client, ctx):
    user = make_user()
    login(client, user)
    assert client.get("/me").status_code == 200
    token = csrf(client, "/me")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/me").status_code == 302


def test_pages_ask_anonymous_visitors_to_sign_in(client):
    response = client.get("/communities/1")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_english_can_be_chosen(client, ctx):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.set_cookie("lang", "en")
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html


@pytest.mark.redis
def test_failures_are_counted_in_redis_when_configured(app, ctx):
    import os

    from coop.auth.throttle import LoginThrottle

    throttle = LoginThrottle(os.environ["REDIS_URL"], "2 per 5 minutes")
    throttle.limiter.storage.reset()
    throttle.failed("someone", "10.9.9.9")
    shared = LoginThrottle(os.environ["REDIS_URL"], "2 per 5 minutes")  # another web process
    shared.failed("someone", "10.9.9.9")
    with pytest.raises(TooManyRequests):
        throttle.check("someone", "10.9.9.9")
    throttle.limiter.storage.reset()
