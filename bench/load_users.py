"""The simulated people of ``load.py``, run by locust (``locust -f bench/load_users.py``).

``LOAD_PLAN`` (a JSON file written by ``load.py``) holds the accounts: each simulated user takes
one of her role's and signs in through the real form (``GET /login`` for the CSRF token, then
``POST /login``), as a person does. She then opens her role's pages at random, each followed by
the fragments the page loads itself (``hx-trigger="load"``: the 待办 badge, the 月月红 roll …),
as a browser would, waiting ``LOAD_WAIT`` seconds ("0,0": none; "1,5": one to five) between
pages. Requests are named by page (``secretary hours``), so locust's statistics are per page;
the name goes in a header too, so the server's access log can say what each page cost inside.

``LOAD_TARGET=baseline`` runs the yardsticks instead: ``/hello`` and ``/one-query`` alternately
(``LOAD_BASELINE_PATH`` picks one).

The session cookie is carried by hand: production sets it ``Secure`` and the server here speaks
plain HTTP on loopback, so a cookie jar would never send it back.
"""

import json
import os
import random
import re
import urllib.parse
from pathlib import Path

import gevent.event
from load_pages import HX_GET, LOAD_TAG, PAGE_HEADER, PAGES, fragment_name
from locust import FastHttpUser, between, constant, task
from locust.exception import StopUser

WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "0,0").split(","))
TARGET = os.environ.get("LOAD_TARGET", "coop")
PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text()) if TARGET == "coop" else {}

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SESSION = re.compile(r"session=([^;]+)")

_unused = {role: list(people) for role, people in PLAN.get("users", {}).items()}
# Signing in is set-up, not the measured run: 50 password checks (scrypt, tens of ms of CPU
# each) at once would otherwise sit in the first seconds' latencies. Everyone waits until the
# last person is in; then the statistics start from zero.
_signed_in = {"n": 0}
_everyone_in = gevent.event.Event()
for people in _unused.values():
    random.Random(7).shuffle(people)


def named(name: str) -> dict:
    """The page's name for the server's access log (``load.py`` times each page inside the
    server too); percent-encoded, as a header is Latin-1."""
    return {PAGE_HEADER: urllib.parse.quote(name)}


class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(*WAIT) if WAIT[1] > 0 else constant(0)

    def on_start(self) -> None:
        if not _unused[self.role]:
            raise StopUser()
        self.account = _unused[self.role].pop()
        self.cookie = ""
        self.pages = PAGES[self.role]
        self.weights = [weight for _, _, weight in self.pages]
        self.sign_in()
        _signed_in["n"] += 1
        if _signed_in["n"] >= self.environment.runner.target_user_count:
            self.environment.stats.reset_all()
            _everyone_in.set()
        _everyone_in.wait(timeout=60)
        if WAIT[1] > 0:
            # Released together, fifty people would open their first pages in the same instant,
            # a burst a street never sends: each first thinks, as she will between pages.
            gevent.sleep(random.uniform(*WAIT))

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        return headers | (extra or {})

    def _keep_cookie(self, response) -> None:
        found = SESSION.search(response.headers.get("Set-Cookie") or "")
        if found:
            self.cookie = found.group(1)

    def sign_in(self) -> None:
        with self.client.get("/login", name="sign in: form", catch_response=True) as form:
            self._keep_cookie(form)
            token = CSRF.search(form.text or "")
            if token is None:
                form.failure("no CSRF token on /login")
                raise StopUser()
        with self.client.post(
            "/login",
            name="sign in: post",
            data={
                "csrf_token": token.group(1),
                "username": self.account["username"],
                "password": self.account["password"],
            },
            headers=self._headers(),
            allow_redirects=False,
            catch_response=True,
        ) as done:
            if done.status_code != 302:
                done.failure(f"sign-in answered {done.status_code}")
                raise StopUser()
            self._keep_cookie(done)

    @task
    def open_a_page(self) -> None:
        name, template, _ = random.choices(self.pages, self.weights)[0]
        path = template.format(c=self.account["community_id"])
        headers = self._headers(named(name))
        with self.client.get(path, name=name, headers=headers, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{page.status_code}")
                return
            self._keep_cookie(page)
            body = page.text or ""
        for tag in LOAD_TAG.findall(body):
            found = HX_GET.search(tag)
            if found:
                fragment = found.group(1).replace("&amp;", "&")
                name = fragment_name(fragment)
                self.client.get(
                    fragment, name=name, headers=self._headers({"HX-Request": "true"} | named(name))
                )


class Volunteer(Person):
    role, weight = "volunteer", 70


class Secretary(Person):
    role, weight = "secretary", 20


class Liaison(Person):
    role, weight = "liaison", 10


class Baseline(FastHttpUser):
    wait_time = constant(0)
    path = os.environ.get("LOAD_BASELINE_PATH", "/hello")

    @task
    def get(self) -> None:
        self.client.get(self.path, name=self.path)


if TARGET == "baseline":
    del Volunteer, Secretary, Liaison
else:
    del Baseline
