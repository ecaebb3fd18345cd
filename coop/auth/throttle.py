"""Failed sign-ins are counted per username and per address, in Redis when REDIS_URL is set
(so every web process shares the count) and in memory otherwise."""

from flask import current_app
from flask_babel import gettext as _
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from coop.errors import TooManyRequests

_KEY = "coop_login_throttle"


class LoginThrottle:
    def __init__(self, storage_uri: str, limit: str):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.limit = parse(limit)

    def _keys(self, username: str, address: str) -> list[tuple[str, str]]:
        return [("login-user", username.strip().lower()), ("login-addr", address)]

    def check(self, username: str, address: str) -> None:
        """:raise TooManyRequests: when either key has used up its failures."""
        if not all(self.limiter.test(self.limit, *key) for key in self._keys(username, address)):
            raise TooManyRequests(
                _(
                    "登录失败次数过多，为保护账号安全，请 %(minutes)d 分钟后再试。",
                    minutes=self.limit.get_expiry() // 60 or 1,
                )
            )

    def failed(self, username: str, address: str) -> None:
        for key in self._keys(username, address):
            self.limiter.hit(self.limit, *key)


def init_app(app) -> None:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
    app.extensions[_KEY] = LoginThrottle(uri, app.config["LOGIN_RATE_LIMIT"])


def login_throttle() -> LoginThrottle:
    return current_app.extensions[_KEY]
