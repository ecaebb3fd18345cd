"""The simulated volunteers of ``faults.py``, run by locust (``locust -f bench/faults_users.py``).

Each simulated user is one volunteer with her own API token (``FAULTS_PLAN``, written by
``faults.py``). She loops over: claiming a routine project for herself, signing up for a
session, checking in to one she holds a seat at (now and then to one she does not: that must be
refused), reserving an item in the 积分超市, undoing one of those (withdraw, cancel the sign-up,
cancel the reservation) and reading lists, with a pause of ``FAULTS_WAIT`` seconds between.

Every request is counted here, not by locust's own statistics: ``sent`` when it goes out, then
exactly one outcome: its HTTP status (with the error ``code`` of the body for 4xx/5xx) or the
connection error the client saw (refused, reset, timed out). A write answered with a 5xx or a
connection error is retried once, after ``Retry-After`` (1 s when absent), with the same
``Idempotency-Key``; the retry is counted as its own request under ``<operation> (retry)``.
The ids of the writes that were acknowledged (2xx) go into ``FAULTS_OUT`` with the counts, for
``faults.py`` to hold against the database.
"""

import json
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["FAULTS_PLAN"]).read_text())
OUT = Path(os.environ["FAULTS_OUT"])
WAIT = tuple(float(x) for x in os.environ.get("FAULTS_WAIT", "0.5,2").split(","))
SECONDS = float(os.environ["FAULTS_SECONDS"])
RETRY_STATUSES = {500, 502, 503, 504}

_unused = list(PLAN["users"])
random.Random(7).shuffle(_unused)

sent: Counter = Counter()  # operation -> requests sent
outcomes: Counter = Counter()  # (operation, outcome) -> count
latencies: dict[str, list[float]] = defaultdict(list)  # operation -> seconds, answered only
acked: dict[str, list] = defaultdict(list)  # write -> ids (or [activity, user]) acknowledged
retried: Counter = Counter()
clock = {"started": None, "running": 0}
interrupted: Counter = Counter()  # (operation, exception) -> requests the client itself cut off


def _outcome(response) -> tuple[str, int | None]:
    """("201", 201) or ("409 project_full", 409), or ("error ConnectionRefusedError", None)."""
    status = response.status_code
    if not status:
        return f"error {type(response.error).__name__}", None
    if status >= 400:
        try:
            code = json.loads(response.content or b"{}").get("code")
        except ValueError:
            code = None
        return (f"{status} {code}" if code else str(status)), status
    return str(status), status


class Volunteer(FastHttpUser):
    wait_time = between(*WAIT)
    network_timeout = 30.0
    connection_timeout = 10.0
    max_retries = 0  # never resend a request behind our back: every try is counted here

    def on_start(self):
        clock["running"] += 1
        me = _unused.pop()
        self.user_id = me["id"]
        self.headers = {"Authorization": f"Bearer {me['token']}"}
        self.claims: set[int] = set()  # her live claims (ids)
        self.signups: dict[int, int] = {}  # activity id -> her live sign-up's id
        self.checked_in: set[int] = set()  # activity ids
        self.redemptions: set[int] = set()  # her reserved redemptions (ids)

    def _check_clock(self):
        """Past the run's end each user stops herself between two tasks, and the last one ends
        the test: locust never has to cut a request off (its own stop kills waiting users)."""
        if time.monotonic() - clock["started"] < SECONDS:
            return
        clock["running"] -= 1
        if clock["running"] == 0:
            gevent.spawn(self.environment.runner.quit)
        raise StopUser()

    # --- one request, counted; writes retried once on 5xx or a connection error ------------

    def _send(self, op: str, method: str, path: str, body=None, key: str | None = None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        sent[op] += 1
        began = time.perf_counter()
        try:
            with self.client.request(
                method, path, json=body, headers=headers, name=op, catch_response=True
            ) as response:
                outcome, status = _outcome(response)
                outcomes[op, outcome] += 1
                if status is not None:
                    latencies[op].append(time.perf_counter() - began)
                if status is None or status >= 500:
                    response.failure(outcome)
                else:
                    response.success()  # refusals (4xx) are answers, not failures of the server
        except BaseException as error:
            interrupted[op, type(error).__name__] += 1
            raise
        data = None
        if status is not None and 200 <= status < 300 and response.content:
            data = json.loads(response.content)
        return status, outcome, data, response

    def call(self, op: str, method: str, path: str, body=None, *, write: bool, create=False):
        """(status, outcome, body); status None after a connection error."""
        key = uuid.uuid4().hex if create else None
        status, outcome, data, response = self._send(op, method, path, body, key)
        if write and (status is None or status in RETRY_STATUSES):
            retried[op] += 1
            pause = 1.0
            if status is not None and response.headers:
                try:
                    pause = min(float(response.headers.get("Retry-After", 1)), 10.0)
                except ValueError:
                    pause = 1.0
            time.sleep(pause)
            status, outcome, data, _response = self._send(f"{op} (retry)", method, path, body, key)
        return status, outcome, data

    # --- what she does ------------------------------------------------------------------------

    @task(3)
    def claim(self):
        self._check_clock()
        project_id = random.choice(PLAN["projects"])
        status, _o, data = self.call(
            "claim",
            "POST",
            f"/api/v1/projects/{project_id}/claims",
            {"claimant": "volunteer"},
            write=True,
            create=True,
        )
        if status == 201:
            acked["claim"].append(data["id"])
            self.claims.add(data["id"])

    @task(3)
    def sign_up(self):
        self._check_clock()
        activity = random.choice(PLAN["activities"])
        if activity["id"] in self.signups:
            return
        status, _o, data = self.call(
            "sign up",
            "POST",
            f"/api/v1/activities/{activity['id']}/signups",
            {},
            write=True,
            create=True,
        )
        if status == 201:
            acked["sign up"].append(data["id"])
            self.signups[activity["id"]] = data["id"]

    @task(3)
    def check_in(self):
        self._check_clock()
        mine = [a for a in self.signups if a not in self.checked_in]
        codes = {a["id"]: a["code"] for a in PLAN["activities"]}
        if mine and random.random() < 0.9:
            activity_id = random.choice(mine)
        elif random.random() < 0.3:  # one she may hold no seat at: then it must be refused
            activity_id = random.choice(list(codes))
        else:  # nothing to check in to yet
            return
        status, outcome, _data = self.call(
            "check in",
            "POST",
            f"/api/v1/activities/{activity_id}/checkin",
            {"code": codes[activity_id]},
            write=True,
        )
        if status == 200 or outcome == "409 already_checked_in":
            acked["check in"].append([activity_id, self.user_id])
            self.checked_in.add(activity_id)

    @task(3)
    def reserve(self):
        self._check_clock()
        item_id = random.choice(PLAN["items"])
        status, _o, data = self.call(
            "reserve", "POST", f"/api/v1/rewards/{item_id}/redemptions", {}, write=True, create=True
        )
        if status == 201:
            acked["reserve"].append(data["id"])
            self.redemptions.add(data["id"])

    @task(2)
    def undo(self):
        """Give something back, so that seats, slots and stock change hands during the run."""
        self._check_clock()
        choices = []
        if self.claims:
            choices.append("withdraw")
        if set(self.signups) - self.checked_in:
            choices.append("cancel sign-up")
        if self.redemptions:
            choices.append("cancel reservation")
        if not choices:
            return
        what = random.choice(choices)
        if what == "withdraw":
            key = random.choice(sorted(self.claims))
            method, path, body = "POST", f"/api/v1/claims/{key}/withdraw", {}
        elif what == "cancel sign-up":
            activity_id = random.choice(sorted(set(self.signups) - self.checked_in))
            key = self.signups[activity_id]
            method, path, body = "DELETE", f"/api/v1/activities/{activity_id}/signups/me", None
        else:
            key = random.choice(sorted(self.redemptions))
            method, path, body = "POST", f"/api/v1/redemptions/{key}/cancel", {"reason": ""}
        status = self.call(what, method, path, body, write=True)[0]
        if status == 200:
            acked[what].append(key)
        if status is not None and status < 500:  # done, or refused: either way no longer hers
            if what == "withdraw":
                self.claims.discard(key)
            elif what == "cancel sign-up":
                del self.signups[activity_id]
            else:
                self.redemptions.discard(key)

    @task(2)
    def read(self):
        self._check_clock()
        path = random.choice(
            [
                "/api/v1/me",
                "/api/v1/activities?upcoming=true",
                "/api/v1/rewards",
                "/api/v1/claims?mine=true",
                "/api/v1/accounts/me",
            ]
        )
        self.call("read", "GET", path, write=False)


@events.test_start.add_listener
def _start(environment, **_kwargs):
    clock["started"] = time.monotonic()


@events.quitting.add_listener
def _write_out(environment, **_kwargs):
    OUT.write_text(
        json.dumps(
            {
                "sent": dict(sent),
                "outcomes": [[op, outcome, n] for (op, outcome), n in outcomes.items()],
                "latencies": {op: sorted(values) for op, values in latencies.items()},
                "acked": acked,
                "retried": dict(retried),
                "interrupted": [[op, what, n] for (op, what), n in interrupted.items()],
                "users_started": len(PLAN["users"]) - len(_unused),
            }
        )
    )
