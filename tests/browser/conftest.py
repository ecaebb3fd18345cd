"""Real-browser tests: Debian's chromium driven by Playwright against a live server.

Each xdist worker gets its own committed database (with the Xingwang demo loaded) served by a
werkzeug server on a free port, so pages behave exactly as in production: real cookies, CSRF
tokens, redirects, htmx requests. Every test here is marked ``browser``; the root conftest then
leaves out its rollback trick, which would hide the server's commits.
"""

import contextlib
import os
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from coop import demo
from coop.alliance.models import Community, Membership, Unit
from coop.extensions import db
from tests.conftest import demo_app

HERE = Path(__file__).resolve().parent
VENDOR = HERE.parent / "vendor"

PASSWORD = demo.DEMO_PASSWORD
LOGIN_URL = re.compile(r"/login(\?|$)")
XINGWANG = "兴旺社区"
XINGWANG_DEMO_UNITS = 12  # coop/demo XINGWANG_UNITS
# Units the browser tests create start with this, so a test can tell the demo's 12 from them.
TEST_UNIT_PREFIX = "浏览器测试"

VIEWPORTS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 3,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


# pytest-base-url's session fixture is an instance method; pytest 9 warns, harmlessly.
_BASE_URL_WARNING = "ignore:Session-scoped fixtures defined as instance methods"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.filterwarnings(_BASE_URL_WARNING))


# --- Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture
def viewport(request) -> str:
    """ "phone" or "desktop"; parametrize it indirectly, e.g.
    ``pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)``."""
    return getattr(request, "param", "phone")


@pytest.fixture
def context(new_context, viewport):
    """pytest-playwright's ``page`` comes from this context: sized for the viewport."""
    return new_context(**VIEWPORTS[viewport])


# --- The live server ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    with demo_app("live", tmp_path_factory.mktemp("live-db")) as app:
        yield app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="coop-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_db(live_app):
    """``with live_db() as session:`` reads or writes the live server's database (committed)."""

    @contextlib.contextmanager
    def session():
        with live_app.app_context():
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()

    return session


@pytest.fixture(scope="session")
def xingwang_id(live_app) -> int:
    with live_app.app_context():
        return db.session.scalar(sa.select(Community.id).where(Community.name == XINGWANG))


@pytest.fixture
def xingwang_unit_count(live_db, xingwang_id):
    """How many alliance units 兴旺社区 has now: the demo's 12 plus those tests added."""

    def count() -> int:
        with live_db() as session:
            added = session.scalar(
                sa.select(sa.func.count())
                .select_from(Unit)
                .join(Membership, Membership.unit_id == Unit.id)
                .where(
                    Membership.community_id == xingwang_id,
                    Unit.name.startswith(TEST_UNIT_PREFIX),
                )
            )
        return XINGWANG_DEMO_UNITS + added

    return count


# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture
def login():
    """Sign in through the real form. ``ok=False`` for attempts that should fail."""

    def sign_in(page: Page, username: str, password: str = PASSWORD, *, ok: bool = True) -> None:
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        if ok:
            expect(page.get_by_role("status").filter(has_text="欢迎")).to_be_visible()
            expect(page).not_to_have_url(LOGIN_URL)

    return sign_in


@pytest.fixture(scope="session")
def axe_source() -> str:
    found = sorted(VENDOR.glob("axe-core-*.min.js"))
    assert len(found) == 1, f"expected one vendored axe-core in {VENDOR}, found {found}"
    return found[0].read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """``axe(page)``: fail on any serious or critical accessibility violation on the page."""

    def check(page: Page, impacts=("serious", "critical")) -> None:
        page.wait_for_load_state()
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated, not added as an inline <script>: the pages' CSP refuses inline scripts.
            page.evaluate(axe_source + "\n;undefined")
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        bad = [v for v in results["violations"] if v.get("impact") in impacts]
        assert not bad, f"axe on {page.url}:\n" + "\n".join(_describe(v) for v in bad)

    return check


def _describe(violation: dict) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']}"]
    lines.append(f"  {violation.get('helpUrl', '')}")
    for node in violation["nodes"][:10]:
        lines.append(f"    at {node['target']}: {node['html'][:160]}")
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)
