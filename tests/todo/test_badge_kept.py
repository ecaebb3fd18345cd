"""The menu's 待办 badge is kept half a minute per person (coop/todo/badge.py): a second page
view within it counts nothing again; what another person does shows when it runs out; what she
does herself shows at once."""

import re

import pytest

from coop import kept
from coop.needs import service as needs_service
from coop.needs.models import NeedStatus
from coop.todo import badge
from coop.uow import unit_of_work
from tests.factories import login, make_community, make_need, make_secretary

HTMX = {"HX-Request": "true"}


@pytest.fixture
def kept_badge(kept_store, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODO_BADGE_SECONDS", 30)
    return kept_store


def _todo_count(client) -> str:
    html = client.get("/todo/badge", headers=HTMX).get_data(as_text=True)
    return re.search(r'id="nav-count-todo"[^>]*>([^<]*)<', html)[1]


def test_the_badge_is_kept_and_her_own_action_shows_at_once(client, kept_badge, count_queries):
    community = make_community()
    secretary = make_secretary(community)
    answered = make_need(community, status=NeedStatus.SUBMITTED)
    login(client, secretary)
    kept.store().delete(f"{badge.PREFIX}{secretary.id}")  # a Redis left from another run
    with count_queries() as first:
        assert _todo_count(client) == "1"
    make_need(community, status=NeedStatus.SUBMITTED)  # another person's doing
    with count_queries() as again:
        assert _todo_count(client) == "1"  # kept: not counted again
    assert again.n + 5 <= first.n  # a secretary's to-do queries and her unread count, not run
    with unit_of_work(secretary):
        needs_service.list_need(secretary, answered.id)  # she answers one need herself
    assert _todo_count(client) == "1"  # counted afresh: two came in, she answered one


def test_without_keeping_the_badge_counts_every_time(client):
    community = make_community()
    login(client, make_secretary(community))
    make_need(community, status=NeedStatus.SUBMITTED)
    assert _todo_count(client) == "1"
    make_need(community, status=NeedStatus.SUBMITTED)
    assert _todo_count(client) == "2"


def test_what_another_person_does_shows_when_the_kept_counts_run_out(
    client, kept_store, app, monkeypatch
):
    import time

    monkeypatch.setitem(app.config, "TODO_BADGE_SECONDS", 1)
    community = make_community()
    secretary = make_secretary(community)
    make_need(community, status=NeedStatus.SUBMITTED)
    login(client, secretary)
    kept.store().delete(f"{badge.PREFIX}{secretary.id}")
    assert _todo_count(client) == "1"
    make_need(community, status=NeedStatus.SUBMITTED)  # another person's doing
    assert _todo_count(client) == "1"
    time.sleep(1.1)
    assert _todo_count(client) == "2"
