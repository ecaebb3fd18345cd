"""A number box she empties on a page is refused as 此项必填 and nothing changes: it is never
read as "left out" and quietly given the field's default (a project's 认领名额 saved as 1).
A blank number in a query (?page=) still means the default."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from coop.activities.models import Activity
from coop.alliance.models import Neighbourhood
from coop.apidoc import PageArgs
from coop.extensions import db
from coop.projects.models import Project
from coop.projects.schemas import EditProjectForm
from coop.resources.models import Resource, ResourceStatus
from coop.rewards.models import RewardItem
from coop.schemas import load_form
from tests.factories import (
    login,
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_resource,
    make_reward_item,
    make_secretary,
    make_street_admin,
    make_supermarket_staff,
    make_unit,
)


class _FormFields(HTMLParser):
    """What a browser sends for the form posting to ``action``, as the page draws it."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, MultiDict()
        self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("file", "submit", "button"):
                self.values.add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.add(name, "")

    def handle_data(self, data):
        if self.inside and self._textarea:
            self.values.setlist(self._textarea, [self.values[self._textarea] + data])

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected] or [
                value for value, _ in self._options[:1]
            ]
            self.values.setlist(self._select, chosen)
            self._select = None


def form_on_page(client, path: str) -> MultiDict:
    response = client.get(path)
    assert response.status_code == 200
    parser = _FormFields(path)
    parser.feed(response.get_data(as_text=True))
    assert "csrf_token" in parser.values, f"no form posting to {path}"
    return parser.values


@pytest.fixture
def community(ctx):
    return make_community()


def _project(community):
    project = make_project(community, slots=3, volunteer_capacity=4)
    return make_secretary(community), f"/projects/{project.id}/edit", Project, project.id


def _activity(community):
    activity = make_activity(community, capacity=12)
    return make_secretary(community), f"/activities/{activity.id}/edit", Activity, activity.id


def _reward(community):
    item = make_reward_item(community, cost=40, low_stock_at=5)
    return (
        make_supermarket_staff(community),
        f"/supermarket/items/{item.id}/edit",
        RewardItem,
        item.id,
    )


def _neighbourhood(community):
    neighbourhood = community.neighbourhoods[0]
    neighbourhood.households = 320
    path = f"/settings/neighbourhoods/{neighbourhood.id}"
    return make_street_admin(community.street), path, Neighbourhood, neighbourhood.id


def _resource(community):
    unit = make_unit(community)
    resource = make_resource(unit, community, status=ResourceStatus.OFFERED, quantity=Decimal(8))
    return make_liaison(unit), f"/resources/{resource.id}/edit", Resource, resource.id


@pytest.mark.parametrize(
    ("made", "box"),
    [
        (_project, "slots"),
        (_project, "volunteer_capacity"),
        (_activity, "capacity"),
        (_reward, "cost"),
        (_reward, "low_stock_at"),
        (_resource, "quantity"),
        (_neighbourhood, "households"),
    ],
)
def test_an_emptied_number_box_is_required_and_changes_nothing(client, community, made, box):
    actor, path, model, row_id = made(community)
    before = getattr(db.session.get(model, row_id), box)
    login(client, actor)
    form = form_on_page(client, path)
    assert form.get(box), f"{path} draws {box} filled in"
    form[box] = ""
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<div class="field-error" id="e-{box}">此项必填。</div>' in html
    db.session.expire_all()
    assert getattr(db.session.get(model, row_id), box) == before


def test_the_edit_page_as_drawn_saves(client, community):
    """The parser sends what a browser would: unchanged, the form saves (the test above is
    about the emptied box, not a form the parser got wrong)."""
    actor, path, model, row_id = _project(community)
    login(client, actor)
    response = client.post(path, data=form_on_page(client, path))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(model, row_id).slots == 3


def test_new_forms_draw_the_number_a_blank_box_used_to_mean(client, community):
    """Sent as drawn, a new project needs no volunteers and a new grid no 网格员."""
    login(client, make_secretary(community))
    form = form_on_page(client, f"/communities/{community.id}/projects/new")
    assert form["volunteer_capacity"] == "0" and form["slots"] == "2"
    login(client, make_street_admin(community.street))
    form = form_on_page(client, f"/settings/communities/{community.id}/neighbourhoods/new")
    assert form["households"] == "0"


def test_a_blank_number_in_a_query_takes_the_default(app):
    with app.test_request_context("/?page=&per_page="):
        from flask import request

        assert load_form(PageArgs(), request.args) == ({"page": 1, "per_page": 50}, {})


def test_a_blank_number_box_is_required_beside_other_messages(app):
    with app.test_request_context("/", method="POST", data={"slots": "", "title": "x"}):
        from flask import request

        data, errors = load_form(EditProjectForm(only=("title", "slots")), request.form)
    assert data == {}
    assert errors == {"slots": ["此项必填。"], "title": ["长度应为 2–128 个字。"]}
