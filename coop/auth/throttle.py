"""Wrong guesses at a secret (a password, a check-in code) are counted in Redis when REDIS_URL is
set (so every web process shares the count) and in memory otherwise.

Sign-in failures count per (account, address), so a guesser slows down only herself: the first
few cost nothing, then each one doubles the wait before that address may try that account
again. One address is also limited across accounts (``LOGIN_RATE_LIMIT``), which stops a
guesser spraying one password over many accounts. The address is the client's as the trusted
proxies report it (``TRUSTED_PROXIES``, see ``coop.create_app``).
"""

import math
import time

from flask import current_app
from flask_babel import gettext as _
from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from coop.errors import TooManyRequests

_KEY = "coop_login_throttle"
_CODES_KEY = "coop_checkin_code_attempts"

FREE_FAILURES = 3  # typos that cost no wait
FIRST_WAIT = 5  # seconds after the first failure beyond those; doubles with each further one
LONGEST_WAIT = 15 * 60
FAILURES_REMEMBERED = 24 * 60 * 60  # the count starts again a day after the first failure


def wait_text(seconds: int) -> str:
    """A wait as people say it: 45 秒, 6 分钟."""
    if seconds < 60:
        return _("%(n)d 秒", n=seconds)
    return _("%(n)d 分钟", n=math.ceil(seconds / 60))


def _storage(storage: str | Storage) -> Storage:
    return storage_from_string(storage) if isinstance(storage, str) else storage


class AttemptLimit:
    """At most ``limit`` wrong attempts per key in a moving window; once they are used up, every
    attempt (a right one too: otherwise guessing would go on) waits until the oldest is out."""

    def __init__(self, storage: str | Storage, limit: str, name: str):
        self.limiter = MovingWindowRateLimiter(_storage(storage))
        self.limit = parse(limit)
        self.name = name

    def _key(self, key) -> list[str]:
        return [self.name, *(str(part) for part in key)]

    def retry_after(self, *key) -> int:
        """Seconds until another attempt is allowed; 0 when it is now."""
        if self.limiter.test(self.limit, *self._key(key)):
            return 0
        reset_at = self.limiter.get_window_stats(self.limit, *self._key(key)).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def check(self, *key) -> None:
        """:raise TooManyRequests: the wrong attempts for this key are used up."""
        wait = self.retry_after(*key)
        if wait:
            raise TooManyRequests(retry_after=wait)

    def failed(self, *key) -> None:
        self.limiter.hit(self.limit, *self._key(key))


class LoginThrottle:
    def __init__(self, storage: str | Storage, address_limit: str):
        storage = _storage(storage)
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_address = AttemptLimit(storage, address_limit, "login-addr")

    @staticmethod
    def _pair(username: str, address: str) -> str:
        return f"{username.strip().lower()}\x1f{address}"

    def wait(self, username: str, address: str) -> int:
        """Seconds before this address may try this account, or any account, again."""
        waiting = 0
        wait_key = "login-wait/" + self._pair(username, address)
        if self.storage.get(wait_key):
            waiting = max(1, math.ceil(self.storage.get_expiry(wait_key) - time.time()))
        return max(waiting, self.per_address.retry_after(address))

    def check(self, username: str, address: str) -> None:
        """:raise TooManyRequests: this address must wait before trying again."""
        wait = self.wait(username, address)
        if wait:
            raise TooManyRequests(
                _("登录失败次数过多，为保护账号安全，请 %(wait)s后再试。", wait=wait_text(wait)),
                retry_after=wait,
            )

    def failed(self, username: str, address: str) -> None:
        pair = self._pair(username, address)
        failures = self.storage.incr("login-failures/" + pair, FAILURES_REMEMBERED)
        if failures > FREE_FAILURES:
            wait = min(LONGEST_WAIT, FIRST_WAIT * 2 ** (failures - FREE_FAILURES - 1))
            self.storage.clear("login-wait/" + pair)
            self.storage.incr("login-wait/" + pair, wait)
        self.per_address.failed(address)

    def succeeded(self, username: str, address: str) -> None:
        pair = self._pair(username, address)
        self.storage.clear("login-failures/" + pair)
        self.storage.clear("login-wait/" + pair)


def init_app(app) -> None:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
    storage = storage_from_string(uri)
    app.extensions[_KEY] = LoginThrottle(storage, app.config["LOGIN_RATE_LIMIT"])
    app.extensions[_CODES_KEY] = AttemptLimit(
        storage, app.config["CHECKIN_CODE_RATE_LIMIT"], "checkin-code"
    )


def login_throttle() -> LoginThrottle:
    return current_app.extensions[_KEY]


def checkin_code_attempts() -> AttemptLimit:
    """Wrong check-in codes per (volunteer, activity)."""
    return current_app.extensions[_CODES_KEY]
