"""A page's own requests never put back the session cookie a form has just replaced.

The 待办 badge (and any fragment or picture) leaves with the cookie the page had; when it answers
after a form submitted meanwhile, a cookie in its answer overwrites the form's: the sign-in's new
session, the 已删除 message. So only a request that changed the session, or a page opened, sets it.
"""

import pytest
from flask import g

from tests.auth.test_sessions import cookie, sign_in
from tests.factories import make_user

HTMX = {"HX-Request": "true"}
PAGE = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}


def sets_cookie(response) -> bool:
    return any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))


def answered_late(client, sent_with: str, path: str, **kwargs) -> None:
    """A GET that left with ``sent_with`` and answers now: the browser keeps the cookie it
    holds unless the answer sets one."""
    holding = cookie(client)
    client.set_cookie("session", sent_with)
    if not sets_cookie(client.get(path, **kwargs)):
        client.set_cookie("session", holding)


@pytest.fixture
def people(ctx):
    return make_user(display_name="先来的人"), make_user(display_name="后来的人")


def test_a_badge_answering_after_a_sign_in_keeps_her_new_session_and_its_welcome(client, people):
    earlier, later = people
    sign_in(client, earlier.username)
    client.get("/")  # the welcome shown
    page_cookie = cookie(client)
    sign_in(client, later.username, form="/me")  # in another tab, while the badge is under way

    answered_late(client, page_cookie, "/todo/badge", headers=HTMX)

    html = client.get("/me").get_data(as_text=True)
    assert "后来的人" in html and "先来的人" not in html
    assert "欢迎，后来的人！" in html


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/todo/badge", HTMX),
        ("/static/coop.css", {"Sec-Fetch-Dest": "style"}),
        ("/static/coop.css", {}),
        ("/me", {"Sec-Fetch-Dest": "empty"}),  # fetched by a script, not opened
    ],
)
def test_what_a_page_loads_does_not_set_the_cookie(client, people, path, headers):
    sign_in(client, people[0].username)
    client.get("/")  # her first page puts its forms' CSRF secret in the session
    assert not sets_cookie(client.get(path, headers=headers))


@pytest.mark.parametrize("headers", [PAGE, {}])
def test_a_page_she_opens_refreshes_the_cookie_so_idle_expiry_slides(client, people, headers):
    sign_in(client, people[0].username)
    assert sets_cookie(client.get("/me", headers=headers))


def test_a_request_that_changes_the_session_sets_it_even_from_htmx(client, people):
    sign_in(client, people[0].username)
    client.get("/")
    with client.session_transaction() as session:
        session.pop("csrf_token", None)  # a form rendered now puts a new one in the session
    g.pop("csrf_token", None)  # as a new request would (the test's requests share g)
    assert sets_cookie(client.get("/me/password", headers=HTMX))
