"""Sign-in throttling slows a guesser down without locking anybody else out: failures count per
(account, address) with a wait that doubles, one address is limited across accounts, the
address is the client's behind a configured number of trusted proxies, and a 429 says when to
come back (Retry-After)."""

import pytest

from coop import create_app
from coop.auth import service
from coop.auth.errors import InvalidCredentials
from coop.auth.throttle import LoginThrottle, login_throttle
from coop.errors import TooManyRequests
from tests.conftest import _Client
from tests.factories import PASSWORD, csrf, make_user

ATTACKER, VICTIM = "203.0.113.7", "198.51.100.20"


def sign_in(client, username, password, **request):
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    return client.post("/login", data=data, **request)


@pytest.fixture
def user(ctx):
    return make_user()


@pytest.fixture
def behind_proxy(app):
    """The app as deployed behind one reverse proxy (TRUSTED_PROXIES=1)."""
    proxied = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "memory://",
            "TRUSTED_PROXIES": 1,
        }
    )
    proxied.test_client_class = _Client
    return proxied


def via_proxy(address: str) -> dict:
    """A request as the proxy forwards it: the proxy's own address, the client's in the header."""
    return {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}, "headers": {"X-Forwarded-For": address}}


def fail(throttle, username: str, address: str, times: int) -> None:
    for _ in range(times):
        throttle.failed(username, address)


# --- the rules, at the service ---------------------------------------------------------------


def test_failures_at_one_address_do_not_lock_the_account_at_another(user):
    fail(login_throttle(), user.username, ATTACKER, 12)
    with pytest.raises(TooManyRequests):
        service.authenticate(user.username, PASSWORD, address=ATTACKER)
    assert service.authenticate(user.username, PASSWORD, address=VICTIM) == user


def test_the_wait_doubles_with_each_failure_and_is_capped():
    throttle = LoginThrottle("memory://", "1000 per minute")
    waits = []
    for _ in range(15):
        throttle.failed("lihua", ATTACKER)
        waits.append(throttle.wait("lihua", ATTACKER))
    assert waits == [0, 0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900, 900, 900, 900]


def test_a_few_typos_cost_no_wait(user):
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            service.authenticate(user.username, "typo", address=VICTIM)
    assert service.authenticate(user.username, PASSWORD, address=VICTIM) == user


def test_signing_in_forgets_the_failures(user):
    throttle = login_throttle()
    fail(throttle, user.username, VICTIM, 3)
    service.authenticate(user.username, PASSWORD, address=VICTIM)
    throttle.failed(user.username, VICTIM)
    assert throttle.wait(user.username, VICTIM) == 0


def test_an_address_trying_many_accounts_is_stopped(app, user):
    throttle = login_throttle()
    for n in range(20):  # LOGIN_RATE_LIMIT: 20 failures per 10 minutes from one address
        throttle.failed(f"guess{n}", ATTACKER)
    with pytest.raises(TooManyRequests) as refused:
        service.authenticate(user.username, PASSWORD, address=ATTACKER)
    assert 1 <= refused.value.retry_after <= 600
    assert service.authenticate(user.username, PASSWORD, address=VICTIM) == user


def test_the_wait_is_shared_by_accounts_spelt_differently(user):
    fail(login_throttle(), user.username.upper() + " ", ATTACKER, 6)
    with pytest.raises(TooManyRequests):
        service.authenticate(user.username, PASSWORD, address=ATTACKER)


# --- the sign-in page and the token API --------------------------------------------------------


def test_the_page_says_how_long_to_wait_and_sends_retry_after(client, user):
    fail(login_throttle(), user.username, "127.0.0.1", 10)
    response = sign_in(client, user.username, PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 300 <= int(response.headers["Retry-After"]) <= 320
    assert "登录失败次数过多" in html and "分钟后再试" in html
    assert 'name="username"' in html  # the form again, to try later
    assert client.get("/me").status_code == 302


def test_the_token_api_answers_429_with_retry_after(client, user):
    fail(login_throttle(), user.username, "127.0.0.1", 4)
    body = {"username": user.username, "password": PASSWORD}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 5
    assert response.json["code"] == "too_many_requests" and "秒后再试" in response.json["message"]


def test_wrong_passwords_by_the_page_end_in_429(client, user):
    statuses = [sign_in(client, user.username, "nope").status_code for _ in range(6)]
    assert statuses[:3] == [401, 401, 401] and 429 in statuses


# --- behind a proxy ---------------------------------------------------------------------------


def test_behind_a_trusted_proxy_an_attacker_does_not_lock_out_others(behind_proxy, user):
    attacker, victim = behind_proxy.test_client(), behind_proxy.test_client()
    statuses = [
        sign_in(attacker, user.username, f"guess{n}", **via_proxy(ATTACKER)).status_code
        for n in range(12)
    ]
    assert set(statuses) == {401, 429}
    response = sign_in(victim, user.username, PASSWORD, **via_proxy(VICTIM))
    assert response.status_code == 302
    assert victim.get("/me", **via_proxy(VICTIM)).status_code == 200


def test_behind_a_trusted_proxy_the_api_counts_the_client_address(behind_proxy, user):
    client = behind_proxy.test_client()
    fail(behind_proxy.extensions["coop_login_throttle"], user.username, ATTACKER, 10)
    body = {"username": user.username, "password": PASSWORD}
    assert client.post("/api/v1/tokens", json=body, **via_proxy(ATTACKER)).status_code == 429
    assert client.post("/api/v1/tokens", json=body, **via_proxy(VICTIM)).status_code == 201


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, user):
    fail(login_throttle(), user.username, "127.0.0.1", 10)
    response = sign_in(client, user.username, PASSWORD, headers={"X-Forwarded-For": VICTIM})
    assert response.status_code == 429


@pytest.mark.redis
def test_the_waits_are_shared_through_redis(ctx):
    import os

    throttle = LoginThrottle(os.environ["REDIS_URL"], "20 per 10 minutes")
    throttle.limiter.storage.reset()
    try:
        fail(throttle, "someone", ATTACKER, 5)
        another_process = LoginThrottle(os.environ["REDIS_URL"], "20 per 10 minutes")
        assert 5 <= another_process.wait("someone", ATTACKER) <= 10
        assert another_process.wait("someone", VICTIM) == 0
    finally:
        throttle.limiter.storage.reset()


def test_trusted_proxies_come_from_the_environment_and_default_to_none(monkeypatch, tmp_path):
    from coop import config

    monkeypatch.setenv("COOP_ENV", "development")
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert config.from_environment(str(tmp_path))["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert config.from_environment(str(tmp_path))["TRUSTED_PROXIES"] == 2
    for bad in ("-1", "one", ""):
        monkeypatch.setenv("TRUSTED_PROXIES", bad)
        with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
            config.from_environment(str(tmp_path))
