"""Settings from the environment.

``COOP_ENV`` picks the profile. When it is unset, an unset ``DATABASE_URL`` (the embedded SQLite
default) means development and a set one means production, so a production deployment cannot
silently run on the development secret.
"""

import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "coop-development-secret-do-not-use-in-production"
# A session ends after this long without a request (the signed cookie's age, checked on every
# request) and in any case this long after signing in (the server-side row's expires_at).
SESSION_IDLE = timedelta(hours=72)
SESSION_MAX_AGE = timedelta(days=14)
LOGIN_RATE_LIMIT = "20 per 10 minutes"  # failed sign-ins from one address, across accounts
CHECKIN_CODE_RATE_LIMIT = "5 per 10 minutes"  # wrong check-in codes per volunteer and activity
INVITATION_DAYS = 30  # a one-time invitation code works this long (coop.auth.invitations)


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "coop.sqlite3")
    # Hosting platforms hand out postgres:// or postgresql://; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _job_workers() -> int:
    """Connections a job that goes community by community uses at once (PostgreSQL only)."""
    given = os.environ.get("JOB_WORKERS", "2")
    if not given.strip().isdigit() or int(given) < 1:
        raise RuntimeError(f"JOB_WORKERS must be a whole number of at least 1, not {given!r}.")
    return int(given)


def _whole_number(name: str, default: int, minimum: int) -> int:
    given = os.environ.get(name, str(default))
    if not given.strip().isdigit() or int(given) < minimum:
        raise RuntimeError(f"{name} must be a whole number of at least {minimum}, not {given!r}.")
    return int(given)


def environment() -> str:
    return os.environ.get("COOP_ENV") or (
        "production" if os.environ.get("DATABASE_URL") else "development"
    )


# A pooled connection is tested before each use, so a database restart fails no request.
ENGINE_OPTIONS = {"pool_pre_ping": True}


def from_environment(instance_path: str) -> dict:
    env = environment()
    secret = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    if env == "production" and secret == DEV_SECRET_KEY:
        raise RuntimeError(
            "Coop refuses to start in production without its own SECRET_KEY: "
            "set SECRET_KEY to a long random string (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    return {
        "COOP_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": dict(ENGINE_OPTIONS),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", LOGIN_RATE_LIMIT),
        "CHECKIN_CODE_RATE_LIMIT": os.environ.get(
            "CHECKIN_CODE_RATE_LIMIT", CHECKIN_CODE_RATE_LIMIT
        ),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host; with
        # 0 those headers are ignored (anyone could send them) and the peer's address counts.
        "TRUSTED_PROXIES": _whole_number("TRUSTED_PROXIES", 0, minimum=0),
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=_whole_number("SESSION_IDLE_HOURS", SESSION_IDLE // timedelta(hours=1), 1)
        ),
        "SESSION_MAX_AGE": timedelta(
            days=_whole_number("SESSION_MAX_DAYS", SESSION_MAX_AGE.days, 1)
        ),
        "INVITATION_DAYS": _whole_number("INVITATION_DAYS", INVITATION_DAYS, 1),
        # Channels offered besides the in-app inbox (coop.notices.channels): "email,sms,wechat";
        # one named here but not configured below is not offered.
        "NOTICE_CHANNELS": os.environ.get("NOTICE_CHANNELS", ""),
        # Where links in e-mail and WeChat messages point: "https://coop.example.org".
        "SITE_URL": os.environ.get("SITE_URL", "").rstrip("/"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": _whole_number("SMTP_PORT", 587, minimum=1),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "1") == "1",
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        # A generic SMS gateway: a JSON POST with a bearer key (coop.notices.channels.sms).
        "SMS_ENDPOINT": os.environ.get("SMS_ENDPOINT", ""),
        "SMS_API_KEY": os.environ.get("SMS_API_KEY", ""),
        "SMS_SIGN": os.environ.get("SMS_SIGN", "共建联盟"),
        # WeChat template messages (公众号 模板消息): coop.notices.channels.wechat.
        "WECHAT_APPID": os.environ.get("WECHAT_APPID", ""),
        "WECHAT_SECRET": os.environ.get("WECHAT_SECRET", ""),
        "WECHAT_TEMPLATE_ID": os.environ.get("WECHAT_TEMPLATE_ID", ""),
        "WECHAT_API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "JOB_WORKERS": _job_workers(),
        # The task queue (coop.queue): Redis at REDIS_URL, else a SQLite file in the instance
        # folder; QUEUE_IMMEDIATE=1 runs each task in the web process after its commit instead.
        "QUEUE_NAME": os.environ.get("QUEUE_NAME", "coop"),
        "QUEUE_IMMEDIATE": os.environ.get("QUEUE_IMMEDIATE", "0") == "1",
        "QUEUE_SQLITE_PATH": os.environ.get("QUEUE_SQLITE_PATH") or None,
        "QUEUE_WORKERS": _whole_number("QUEUE_WORKERS", 2, minimum=1),
        # An import whose run has shown no progress this long is queued again (coop.importing).
        "IMPORT_STALE_SECONDS": _whole_number("IMPORT_STALE_SECONDS", 120, minimum=1),
    }


class TestConfig:
    """Overrides for the test suite; the database URL comes from the fixture."""

    TESTING = True
    COOP_ENV = "testing"
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_SECURE = False
    LOGIN_RATE_LIMIT = LOGIN_RATE_LIMIT
    CHECKIN_CODE_RATE_LIMIT = CHECKIN_CODE_RATE_LIMIT
    TRUSTED_PROXIES = 0
    PERMANENT_SESSION_LIFETIME = SESSION_IDLE
    SESSION_MAX_AGE = SESSION_MAX_AGE
    INVITATION_DAYS = INVITATION_DAYS
    QUEUE_NAME = "coop-test"
    QUEUE_IMMEDIATE = True  # tests that need a real worker start one (tests/queue_worker.py)
    QUEUE_WORKERS = 2
    IMPORT_STALE_SECONDS = 120
    NOTICE_CHANNELS = ""  # tests that deliver name their channels
    SITE_URL = ""
