"""The embedded default (SQLite, `make run`) holds simultaneous use, through the real server.

`flask run` (werkzeug's threaded server, as `make run` starts it) serves a fresh, migrated SQLite
file from a subprocess; 50 requests then start together (connections opened beforehand, a
barrier) and every answer must be a real outcome (201/200/409), never a 5xx, with nothing
oversold and the ledger balanced. These run on SQLite whatever DATABASE_URL says: they test the
default a community installs, not the production database.
"""

import contextlib
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from coop.activities.models import Activity, Signup
from coop.claims.models import Claim, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.ledger import service as ledger
from coop.projects.models import Project, ProjectMode
from coop.rewards.models import Redemption, RewardItem
from tests import factories
from tests.conftest import make_app

pytestmark = pytest.mark.committed
SIMULTANEOUS = 50
ROOT = Path(__file__).resolve().parent.parent
SERVER_ERROR = "服务器出错了"


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class Server:
    """`flask --app coop run --with-threads` on a free port, in its own process."""

    def __init__(self, database_url: str, log: Path):
        self.port = _free_port()
        self.log = log
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FLASK_", "COOP_", "REDIS_", "DATABASE_"))
        }
        env.update(COOP_ENV="development", DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "flask", "--app", "coop", "run", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--with-threads", "--no-reload", "--no-debugger"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"flask run exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/healthz").status == 200:  # /login waits for the set-up
                    return
            time.sleep(0.2)
        pytest.fail(f"flask run did not answer within 60 s:\n{self.log_tail()}")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method, path, *, body=None, headers=None, connection=None) -> Reply:
        connection = connection or self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Embedded:
    app: object  # the test's own app on the same file, to set up and inspect data
    server: Server

    def simultaneously(self, requests: list[tuple]) -> tuple[list[Reply], float]:
        """Send (method, path, headers, body) requests all at once; returns the replies in
        order and the seconds the whole burst took."""
        barrier = threading.Barrier(len(requests) + 1)

        def send(request):
            method, path, headers, body = request
            connection = self.server.connection()
            connection.connect()  # the server's thread for it is waiting before anyone sends
            barrier.wait()
            return self.server.request(
                method, path, body=body, headers=headers, connection=connection
            )

        with ThreadPoolExecutor(len(requests)) as pool:
            futures = [pool.submit(send, request) for request in requests]
            barrier.wait()
            started = time.perf_counter()
            replies = [future.result() for future in futures]
        return replies, time.perf_counter() - started

    def outcomes(self, replies: list[Reply]) -> Counter:
        return Counter((r.status, r.json.get("code") if r.status >= 400 else "ok") for r in replies)

    def assert_no_server_error(self, replies: list[Reply], figures: str) -> None:
        print(figures)  # `pytest -s` shows each scenario's outcomes and time
        failed = [r for r in replies if r.status >= 500]
        assert not failed, f"{figures}\n{failed[0].text[:500]}\n{self.server.log_tail()}"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    url = f"sqlite:///{folder}/coop.sqlite3"
    app = make_app(url)  # `flask db upgrade`, as `make run` does first
    with app.app_context():
        db.engine.dispose()
    server = Server(url, folder / "server.log")
    try:
        yield Embedded(app, server)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def _api(token: str, *, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return headers | ({"Idempotency-Key": key} if key else {})


def _volunteers(community, n: int = SIMULTANEOUS, points: int = 0) -> list[tuple[int, str]]:
    """n volunteers of the community with an API token each (and points, if asked)."""
    from coop.auth import service as auth_service

    made = []
    for _ in range(n):
        volunteer = factories.make_volunteer(community)
        if points:
            factories.give_points(volunteer, community, points)
        raw, _token = auth_service.issue_token(volunteer)
        made.append((volunteer.id, raw))
    return made


def test_fifty_simultaneous_claims_answer_one_201_and_the_rest_409(embedded):
    with embedded.app.app_context():
        community = factories.make_community()
        project_id = factories.make_project(
            community, mode=ProjectMode.ROUTINE, slots=1, auto_approve=True
        ).id
        volunteers = _volunteers(community)
        db.session.commit()
    body = json.dumps({"claimant": "volunteer"})
    path = f"/api/v1/projects/{project_id}/claims"

    replies, took = embedded.simultaneously(
        [("POST", path, _api(token), body) for _id, token in volunteers]
    )

    outcomes = embedded.outcomes(replies)
    embedded.assert_no_server_error(replies, f"claims: {dict(outcomes)} in {took:.2f} s")
    assert outcomes == {(201, "ok"): 1, (409, "project_full"): SIMULTANEOUS - 1}
    with embedded.app.app_context():
        project = db.session.get(Project, project_id)
        claims = db.session.scalars(sa.select(Claim).where(Claim.project_id == project_id)).all()
        assert project.approved_count == 1
        assert [claim.status for claim in claims] == [ClaimStatus.APPROVED]


def test_fifty_simultaneous_sign_ups_and_check_ins_answer_their_real_outcomes(embedded):
    with embedded.app.app_context():
        community = factories.make_community()
        activity = factories.make_activity(
            community, starts_at=utcnow() + timedelta(minutes=10), capacity=40
        )
        activity_id, code = activity.id, activity.checkin_code
        volunteers = _volunteers(community)
        db.session.commit()

    signups, took = embedded.simultaneously(
        [
            ("POST", f"/api/v1/activities/{activity_id}/signups", _api(token), "{}")
            for _id, token in volunteers
        ]
    )
    outcomes = embedded.outcomes(signups)
    embedded.assert_no_server_error(signups, f"sign-ups: {dict(outcomes)} in {took:.2f} s")
    assert outcomes == {(201, "ok"): 40, (409, "activity_full"): 10}

    checkins, took = embedded.simultaneously(
        [
            (
                "POST",
                f"/api/v1/activities/{activity_id}/checkin",
                _api(token),
                json.dumps({"code": code}),
            )
            for _id, token in volunteers
        ]
    )
    outcomes = embedded.outcomes(checkins)
    embedded.assert_no_server_error(checkins, f"check-ins: {dict(outcomes)} in {took:.2f} s")
    assert outcomes == {(200, "ok"): 40, (409, "not_signed_up"): 10}
    with embedded.app.app_context():
        assert db.session.get(Activity, activity_id).confirmed_count == 40
        checked_in = sa.select(sa.func.count()).where(
            Signup.activity_id == activity_id, Signup.checked_in_at.is_not(None)
        )
        assert db.session.scalar(checked_in) == 40


def test_fifty_simultaneous_reservations_of_ten_in_stock_never_oversell(embedded):
    with embedded.app.app_context():
        community = factories.make_community()
        item_id = factories.make_reward_item(community, cost=50, stock=10).id
        volunteers = _volunteers(community, points=100)
        db.session.commit()
    path = f"/api/v1/rewards/{item_id}/redemptions"

    replies, took = embedded.simultaneously(
        [("POST", path, _api(token, key=f"reserve-{id_}"), None) for id_, token in volunteers]
    )

    outcomes = embedded.outcomes(replies)
    embedded.assert_no_server_error(replies, f"reservations: {dict(outcomes)} in {took:.2f} s")
    assert outcomes == {(201, "ok"): 10, (409, "out_of_stock"): SIMULTANEOUS - 10}
    with embedded.app.app_context():
        assert db.session.get(RewardItem, item_id).stock == 0
        count = sa.select(sa.func.count()).where(Redemption.item_id == item_id)
        assert db.session.scalar(count) == 10
        assert ledger.check().ok


def _sign_in(server: Server, username: str) -> str:
    """The session cookie of a volunteer who signed in through the login form."""
    page = server.request("GET", "/login")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    form = {"csrf_token": token, "username": username, "password": factories.PASSWORD}
    signed_in = server.request(
        "POST",
        "/login",
        body=urlencode(form),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_in.status == 302, signed_in.text[:500]
    return signed_in.headers["Set-Cookie"].split(";")[0]


def _follow(server: Server, reply: Reply, cookie: str) -> Reply:
    """The page a tab ends on after a form post: redirects followed with the cookie each sets
    (a failed form post flashes its message in the session and redirects back)."""
    for _hop in range(5):
        cookie = reply.headers.get("Set-Cookie", cookie).split(";")[0]
        if reply.status not in (302, 303):
            return reply
        reply = server.request("GET", reply.headers["Location"], headers={"Cookie": cookie})
    return reply


def test_two_tabs_reserving_at_once_both_get_their_pickup_code(embedded):
    """Two tabs of the same volunteer on the 积分超市's confirm page tap 兑换 at the same moment,
    several volunteers at once: each post redirects to its redemption, none to 服务器出错了."""
    tabs = []
    with embedded.app.app_context():
        community = factories.make_community()
        item_id = factories.make_reward_item(community, cost=50, stock=20).id
        usernames = []
        for _ in range(4):
            volunteer = factories.make_volunteer(community)
            factories.give_points(volunteer, community, 100)
            usernames.append(volunteer.username)
        db.session.commit()
    path = f"/supermarket/items/{item_id}/reserve"
    for username in usernames:
        cookie = _sign_in(embedded.server, username)
        page = embedded.server.request("GET", path, headers={"Cookie": cookie})
        cookie = page.headers.get("Set-Cookie", cookie).split(";")[0]  # now with its CSRF secret
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        tabs += [("POST", path, headers, urlencode({"csrf_token": token}))] * 2

    replies, took = embedded.simultaneously(tabs)

    landed = []
    for tab, reply in zip(tabs, replies, strict=True):
        location = reply.headers.get("Location", "")
        shown = _follow(embedded.server, reply, tab[2]["Cookie"])
        redeemed = re.fullmatch(r"/supermarket/redemptions/\d+", location.split("?")[0])
        landed.append(
            (reply.status, "redemption" if redeemed else location, SERVER_ERROR in shown.text)
        )
    figures = (
        f"two tabs × 4 (status, landed on, 服务器出错了): {dict(Counter(landed))} in {took:.2f} s"
    )
    print(figures)
    assert Counter(landed) == {(302, "redemption", False): 8}, (
        f"{figures}\n{embedded.server.log_tail()}"
    )
    with embedded.app.app_context():
        count = sa.select(sa.func.count()).where(Redemption.item_id == item_id)
        assert db.session.scalar(count) == 8
        assert db.session.get(RewardItem, item_id).stock == 12
        assert ledger.check().ok


@pytest.fixture
def held_write_lock(tmp_path, monkeypatch):
    """An app on a fresh SQLite file whose writers wait 0.3 s for the lock, and a connection
    that holds the write lock meanwhile (as a long import or a stuck writer would)."""
    from coop import sqlite

    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "coop.sqlite3"
    app = make_app(f"sqlite:///{path}", WTF_CSRF_ENABLED=False)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        yield app, holder
    finally:
        holder.close()
        with app.app_context():
            db.engine.dispose()


def test_a_write_that_waits_out_the_busy_timeout_answers_503_and_changes_nothing(held_write_lock):
    app, holder = held_write_lock
    client = app.test_client()
    with app.app_context():
        community = factories.make_community()
        project_id = factories.make_project(community, mode=ProjectMode.ROUTINE, slots=1).id
        volunteer = factories.make_volunteer(community)
        item_id = factories.make_reward_item(community).id
        factories.give_points(volunteer, community, 100)
        headers = factories.bearer(volunteer)
        factories.login(client, volunteer)
        db.session.commit()
    holder.execute("BEGIN IMMEDIATE")

    api = client.post(
        f"/api/v1/projects/{project_id}/claims", json={"claimant": "volunteer"}, headers=headers
    )
    page = client.post(f"/supermarket/items/{item_id}/reserve", follow_redirects=True)

    holder.execute("ROLLBACK")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.json["code"] == "busy"
    assert api.json["message"] == "系统繁忙，请稍后再试。"
    assert "系统繁忙，请稍后再试。" in page.get_data(as_text=True)
    assert SERVER_ERROR not in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 0
