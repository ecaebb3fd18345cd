"""The menu's 待办 badge is kept half a minute per person (coop/todo/badge.py): a second page
view within it counts nothing again; what another person does shows when it runs out; what she
does herself shows at once."""

import os
import re

import pytest
import redis

from coop import kept
from coop.needs import service as needs_service
from coop.needs.models import NeedStatus
from coop.todo import badge
from coop.uow import unit_of_work
from tests.factories import login, make_community, make_need, make_secretary

HTMX = {"HX-Request": "true"}
BACKENDS = ["process", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=BACKENDS)
def kept_badge(request, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODO_BADGE_SECONDS", 30)
    if request.param == "redis":
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        monkeypatch.setitem(app.extensions, kept._CLIENT, client)
    else:
        monkeypatch.setitem(app.extensions, kept._CLIENT, kept._Local())
    return request.param


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
