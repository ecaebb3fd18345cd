"""Every form that creates something creates it once: the form carries a token of its own, and a
second submission of the same form (back and submit again, a double click, a retry) answers what
the first one did instead of creating again. A refused submission does not use the token up."""

import html as html_lib
import io
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.activities.models import Activity, Feedback, Signup
from coop.alliance.models import Agreement, Unit
from coop.auth.models import Role, RoleGrant, User
from coop.claims.models import Claim, ResourceOrder
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import ServiceRecord
from coop.idempotency import IdempotencyRecord
from coop.needs.models import Need, NeedStatus
from coop.projects.models import Project, ProjectStatus
from coop.resources.models import Resource
from coop.rewards.models import Redemption, RewardItem
from coop.terms import queries as term_queries
from coop.terms import service as term_service
from coop.terms.models import ItemKind, PlanEvidence, Proposal
from tests.conftest import _database_url, make_app
from tests.factories import (
    give_points,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_need,
    make_project,
    make_resident,
    make_resource,
    make_reward_item,
    make_secretary,
    make_supermarket_staff,
    make_unit,
    make_volunteer,
)
from tests.needs.test_need_excel import row, sheet

HTMX = {"HX-Request": "true"}
NOTE = "已提交过，未重复创建"


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@dataclass
class Form:
    """One create form: who fills it in, the page it is on, where it posts, what she types, and
    how many of what it creates there are."""

    user: User
    page: str
    action: str
    data: dict
    count: object
    htmx: bool = False
    files: dict = field(default_factory=dict)  # name → (bytes, filename): sent fresh each time


def form_on(html: str, action: str) -> dict:
    """The hidden fields of the form on the page that posts to ``action``."""
    forms = re.findall(r"<form\b[^>]*>.*?</form>", html, re.S)
    found = [f for f in forms if f'action="{action}"' in html_lib.unescape(f.split(">", 1)[0])]
    assert found, f"no form posting to {action}"
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found[0])
    return {name: html_lib.unescape(value) for name, value in hidden}


def fill(client, form: Form) -> dict:
    """What the browser sends: the form's hidden fields (CSRF, token) plus what she typed."""
    return {**form_on(client.get(form.page).get_data(as_text=True), form.action), **form.data}


def send(client, form: Form, data: dict):
    body = dict(data)
    for name, (content, filename) in form.files.items():
        body[name] = (io.BytesIO(content), filename)
    return client.post(
        form.action,
        data=body,
        headers=HTMX if form.htmx else {},
        content_type="multipart/form-data" if form.files else None,
    )


# --- The create forms --------------------------------------------------------------------


def need_new(community):
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/needs/new",
        f"/communities/{community.id}/needs/new",
        {"title": "独居老人买菜", "category": "关心关爱", "source": "visit"}
        | {"beneficiary_group": "elderly"},
        lambda: count(Need),
    )


def need_submit(community):
    return Form(
        make_resident(community),
        f"/communities/{community.id}/needs/submit",
        f"/communities/{community.id}/needs/submit",
        {"title": "楼道灯坏了", "category": "便民服务", "urgency": "urgent"},
        lambda: count(Need),
    )


def needs_import(community):
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/needs/import",
        f"/communities/{community.id}/needs/import",
        {},
        lambda: count(Need),
        files={"file": (sheet(row(title="表格里的需求")), "需求清单.xlsx")},
    )


def resource_new(community):
    unit = make_unit(community)
    return Form(
        make_liaison(unit),
        f"/communities/{community.id}/resources/new",
        f"/communities/{community.id}/resources/new",
        {"unit_id": str(unit.id), "kind": "expertise", "title": "家电维修"}
        | {"category": "便民服务", "quantity": "4", "unit_of_measure": "人"},
        lambda: count(Resource),
    )


def project_new(community):
    need = make_need(community)
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/projects/new",
        f"/communities/{community.id}/projects/new",
        {"need_ids": [str(need.id)], "title": "银龄助餐", "category": "关心关爱"}
        | {"mode": "team", "slots": "2", "starts_at": "2030-03-01T09:00"}
        | {"ends_at": "2030-06-30T11:00", "claim_deadline": "2030-02-20T18:00"},
        lambda: count(Project),
    )


def project_order(community):
    resource = make_resource(make_unit(community), community)
    project = make_project(community)
    return Form(
        make_secretary(community),
        f"/projects/{project.id}",
        f"/projects/{project.id}/orders",
        {"resource_id": str(resource.id), "note": "需要 3 人"},
        lambda: count(ResourceOrder),
    )


def _claim(community, htmx: bool):
    unit = make_unit(community)
    project = make_project(community)
    return Form(
        make_liaison(unit),
        f"/projects/{project.id}/claim",  # the menu card's 认领 brings this form
        f"/projects/{project.id}/claim",
        {"note": "可派 3 人"},
        lambda: count(Claim),
        htmx=htmx,
    )


def claim(community):
    return _claim(community, htmx=False)


def claim_htmx(community):
    return _claim(community, htmx=True)


def activity_new(community):
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/activities/new",
        f"/communities/{community.id}/activities/new",
        {"title": "重阳节包饺子", "place": "阳光苑活动室", "capacity": "12"}
        | {"starts_at": "2031-10-10T09:00", "ends_at": "2031-10-10T11:30"},
        lambda: count(Activity),
    )


def signup_htmx(community):
    activity = make_activity(community)
    return Form(
        make_volunteer(community),
        f"/communities/{community.id}/activities",
        f"/activities/{activity.id}/signup",
        {},
        lambda: count(Signup),
        htmx=True,
    )


def feedback(community):
    project = make_project(community, status=ProjectStatus.IN_PROGRESS)
    activity = make_activity(
        community, project_id=project.id, starts_at=utcnow() - timedelta(minutes=10)
    )
    return Form(
        make_secretary(community),
        f"/activities/{activity.id}",
        f"/activities/{activity.id}/feedback",
        {"rating": "4", "comment": "饺子好吃"},
        lambda: count(Feedback),
    )


def hours_enter(community):
    held = make_activity(community, starts_at=utcnow() - timedelta(days=7))
    volunteer = make_volunteer(community)
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/hours",
        f"/communities/{community.id}/hours",
        {"volunteer_id": str(volunteer.id), "activity_id": str(held.id)}
        | {"hours": "1.5", "note": "忘记签到"},
        lambda: count(ServiceRecord),
    )


def reserve(community):
    volunteer = make_volunteer(community)
    give_points(volunteer, community, 100)
    item = make_reward_item(community, cost=40, stock=5)
    return Form(
        volunteer,
        f"/supermarket/items/{item.id}/reserve",
        f"/supermarket/items/{item.id}/reserve",
        {},
        lambda: count(Redemption),
    )


def reward_item_new(community):
    return Form(
        make_supermarket_staff(community),
        f"/communities/{community.id}/supermarket/items/new",
        f"/communities/{community.id}/supermarket/items/new",
        {"name": "洗衣液 2 kg", "cost": "120", "stock": "8", "low_stock_at": "2"},
        lambda: count(RewardItem),
    )


def restock_htmx(community):
    item = make_reward_item(community, stock=10)
    return Form(
        make_supermarket_staff(community),
        f"/communities/{community.id}/supermarket/items",
        f"/supermarket/items/{item.id}/restock",
        {"quantity": "1"},  # one more in stock per restock
        lambda: db.session.scalar(sa.select(RewardItem.stock).where(RewardItem.id == item.id)),
        htmx=True,
    )


def supermarket_staff(community):
    volunteer = make_volunteer(community)
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/supermarket/staff",
        f"/communities/{community.id}/supermarket/staff",
        {"user_id": str(volunteer.id)},
        lambda: count(RoleGrant, RoleGrant.role == Role.SUPERMARKET_STAFF),
    )


def unit_new(community):
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/units/new",
        f"/communities/{community.id}/units/new",
        {"name": "市税务局", "kind": "municipal"},
        lambda: count(Unit),
    )


def agreement_new(community):
    unit = make_unit(community, live=False)
    path = f"/communities/{community.id}/units/{unit.id}/agreements/new"
    return Form(
        make_secretary(community),
        path,
        path,
        {"signed_on": "2026-01-05", "starts_on": "2026-01-05", "ends_on": "2028-01-04"}
        | {"scope": "个税申报辅导"},
        lambda: count(Agreement),
    )


def person_new(community):
    return Form(
        make_secretary(community),
        f"/communities/{community.id}/people/new",
        f"/communities/{community.id}/people/new",
        {"role": "volunteer", "display_name": "张志强", "username": "zhangzq"}
        | {"password": "long-enough-1", "phone": "13900001111"},
        lambda: count(User),
    )


def _open_plan(community, secretary):
    now = utcnow()
    period = term_queries.half_year_of(term_queries.local_day(now))
    term_service.open_term_for(community.alliance.id, period, now=now)
    term = term_queries.term_at(community.alliance.id, term_queries.local_day(now))
    term_service.choose_deputy(
        secretary, term.id, unit_id=make_unit(community).id, holder_name="张海燕"
    )
    return term_queries.require_plan(term.id)


def proposal(community):
    secretary = make_secretary(community)
    _open_plan(community, secretary)
    return Form(
        secretary,
        f"/communities/{community.id}/proposals",
        f"/communities/{community.id}/proposals",
        {"title": "增设老年助餐点", "body": ""},
        lambda: count(Proposal),
    )


def evidence_htmx(community):
    secretary = make_secretary(community)
    plan = _open_plan(community, secretary)
    activity = make_activity(community, starts_at=utcnow() - timedelta(days=1))
    item = next(i for i in plan.items if i.kind is ItemKind.CULTURAL_ACTIVITY)
    return Form(
        secretary,
        f"/terms/{plan.term_id}",
        f"/plan-items/{item.id}/evidence",
        {"evidence": f"activity:{activity.id}"},
        lambda: count(PlanEvidence),
        htmx=True,
    )


CREATE_FORMS = [
    need_new,
    need_submit,
    needs_import,
    resource_new,
    project_new,
    project_order,
    claim,
    claim_htmx,
    activity_new,
    signup_htmx,
    feedback,
    hours_enter,
    reserve,
    reward_item_new,
    restock_htmx,
    supermarket_staff,
    unit_new,
    agreement_new,
    person_new,
    proposal,
    evidence_htmx,
]


@pytest.fixture
def community(ctx):
    return make_community()


def _prepare(client, community, make) -> tuple[Form, dict]:
    form = make(community)
    login(client, form.user)
    return form, fill(client, form)


@pytest.mark.parametrize("make", CREATE_FORMS)
def test_every_create_form_carries_a_token_of_its_own(client, community, make):
    form, data = _prepare(client, community, make)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", data.get("form_token", ""))
    assert fill(client, form)["form_token"] != data["form_token"]  # a new one per rendering


@pytest.mark.parametrize("make", CREATE_FORMS)
def test_the_same_form_submitted_twice_creates_once(client, community, make):
    form, data = _prepare(client, community, make)
    before = form.count()
    first = send(client, form, data)
    assert first.status_code in (200, 201, 302, 303), first.get_data(as_text=True)[:2000]
    assert form.count() == before + 1
    again = send(client, form, data)
    assert form.count() == before + 1
    # She gets what the first submission gave her, not a refusal.
    assert again.status_code == first.status_code
    assert again.headers.get("Location") == first.headers.get("Location")
    if form.htmx:
        assert again.get_data() == first.get_data()
        assert again.headers.get("HX-Retarget") == first.headers.get("HX-Retarget")


@pytest.mark.parametrize("make", [need_new, claim, reserve, hours_enter])
def test_the_replayed_page_says_nothing_was_created_again(client, community, make):
    form, data = _prepare(client, community, make)
    first = send(client, form, data)
    assert NOTE not in client.get(first.location).get_data(as_text=True)
    again = send(client, form, data)
    assert again.location == first.location
    assert NOTE in client.get(again.location).get_data(as_text=True)


def test_a_refused_form_keeps_its_token_and_the_corrected_one_creates_once(client, community):
    form, data = _prepare(client, community, need_new)
    refused = send(client, form, {**data, "title": " "})
    assert refused.status_code == 422 and count(Need) == 0
    assert count(IdempotencyRecord) == 0  # a refusal is not remembered
    again = form_on(refused.get_data(as_text=True), form.action)
    assert again["form_token"] == data["form_token"]
    assert send(client, form, data).status_code == 302
    assert send(client, form, data).status_code == 302
    assert count(Need) == 1


def test_a_form_refused_by_a_rule_keeps_its_token(client, community):
    """The rule (not the schema) refuses it: the page comes back with the same token."""
    form, data = _prepare(client, community, unit_new)
    make_unit(community, name="市税务局")
    refused = send(client, form, data)
    assert refused.status_code == 422 and "已有同名的联盟单位" in refused.get_data(as_text=True)
    again = form_on(refused.get_data(as_text=True), form.action)
    assert again["form_token"] == data["form_token"]
    assert send(client, form, {**data, "name": "市税务局二分局"}).status_code == 302
    assert count(Unit, Unit.name == "市税务局二分局") == 1


def test_the_same_form_changed_after_it_was_sent_is_not_created_silently(client, community):
    """Back, edit, submit again: she is told the form went already, and given a fresh one on
    which submitting again really makes a second need."""
    form, data = _prepare(client, community, need_new)
    send(client, form, data)
    changed = {**data, "title": "独居老人理发"}
    response = send(client, form, changed)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "这张表单已经提交过" in html
    assert count(Need) == 1
    fresh = form_on(html, form.action)
    assert fresh["form_token"] != data["form_token"]
    assert 'value="独居老人理发"' in html  # what she typed is still there
    assert send(client, form, {**changed, **fresh}).status_code == 302
    assert count(Need) == 2


def test_the_page_after_a_creation_offers_a_fresh_token(client, community):
    """htmx swaps in a new plan after linking: its forms must not carry the spent token."""
    form = evidence_htmx(community)
    make_activity(community, starts_at=utcnow() - timedelta(days=2))  # still to link after
    login(client, form.user)
    data = fill(client, form)
    response = send(client, form, data)
    assert response.status_code == 200
    tokens = re.findall(r'name="form_token" value="([^"]+)"', response.get_data(as_text=True))
    assert tokens and data["form_token"] not in tokens


def test_a_token_is_per_person(client, community):
    """Two staff who somehow hold the same token each create their own."""
    form, data = _prepare(client, community, need_new)
    send(client, form, data)
    login(client, make_secretary(community))
    assert send(client, form, data).status_code == 302
    assert count(Need) == 2


def test_the_same_token_on_another_form_is_another_submission(client, community):
    """A token only stands for the form it was rendered in: a page re-rendered after a refusal
    gives every form on it the token it posted, and each form still creates once."""
    form, data = _prepare(client, community, need_new)
    send(client, form, data)
    other = need_submit(community)
    login(client, other.user)
    response = send(client, other, {**fill(client, other), "form_token": data["form_token"]})
    assert response.status_code == 302 and count(Need) == 2


# A NUL in any field, the token too, is refused before the view by the edge check
# (tests/test_edge_validation.py).
@pytest.mark.parametrize("token", ["short", "x" * 65, "bad token!"])
def test_a_malformed_token_is_refused_and_creates_nothing(client, community, token):
    form, data = _prepare(client, community, need_new)
    response = send(client, form, {**data, "form_token": token})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert count(Need) == 0


def test_a_form_without_a_token_still_works(client, community):
    """A page cached before this change (or a script) posts without one: it creates as before."""
    form, data = _prepare(client, community, need_new)
    data.pop("form_token")
    assert send(client, form, data).status_code == 302 and count(Need) == 1


def test_another_file_on_the_same_form_is_another_submission(client, community):
    form, data = _prepare(client, community, needs_import)
    send(client, form, data)
    form.files = {"file": (sheet(row(title="另一个表格")), "需求清单.xlsx")}
    assert send(client, form, data).status_code == 409
    assert count(Need, Need.title == "另一个表格") == 0


def test_a_replayed_claim_that_was_redirected_redirects_htmx_too(client, community):
    """The first went without JavaScript, the retry with: htmx is sent to the first page."""
    form, data = _prepare(client, community, claim)
    first = send(client, form, data)
    form.htmx = True
    again = send(client, form, data)
    assert again.status_code == 200 and again.headers["HX-Redirect"] == first.location
    assert count(Claim) == 1


def test_the_need_made_first_is_the_one_that_stays(client, community):
    form, data = _prepare(client, community, need_new)
    first = send(client, form, data)
    send(client, form, data)
    (need,) = db.session.scalars(sa.select(Need))
    assert first.location == f"/needs/{need.id}" and need.status is NeedStatus.LISTED


RACERS = 8


@pytest.mark.postgres
@pytest.mark.committed
def test_racing_submissions_of_one_form_create_once(tmp_path_factory):
    """A double click without JavaScript, or a retry while the first is still being written:
    the submissions meet on the token's unique index, and every one answers the first result."""
    app = make_app(_database_url("forms", tmp_path_factory.mktemp("forms")), WTF_CSRF_ENABLED=False)
    clients = [app.test_client() for _ in range(RACERS)]
    with app.app_context():
        community = make_community()
        secretary = make_secretary(community)
        for client in clients:
            login(client, secretary)
        path = f"/communities/{community.id}/needs/new"
        db.session.commit()
    form = {"title": "独居老人买菜", "category": "关心关爱", "source": "visit"}
    form |= {"beneficiary_group": "elderly", "form_token": secrets.token_urlsafe(16)}
    barrier = threading.Barrier(RACERS)
    answers = [None] * RACERS

    def submit(index):
        barrier.wait()
        answers[index] = clients[index].post(path, data=form)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert [a.status_code for a in answers] == [302] * RACERS
        assert len({a.location for a in answers}) == 1
        with app.app_context():
            assert count(Need) == 1 and count(IdempotencyRecord) == 1
    finally:
        with app.app_context():
            db.engine.dispose()
