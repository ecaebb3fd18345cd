"""Editing a session before it starts, and telling everyone signed up what changed."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coop.activities import errors, service
from coop.activities.models import Activity, SignupStatus
from coop.claims import service as claims
from coop.claims.models import ClaimantType
from coop.dbtypes import utcnow
from coop.errors import Forbidden, Invalid, NotFound, VersionConflict
from coop.extensions import db
from coop.notices.models import Notice
from tests.factories import (
    bearer,
    csrf,
    login,
    make_activity,
    make_community,
    make_liaison,
    make_project,
    make_resident,
    make_secretary,
    make_unit,
    make_volunteer,
)

NOW = utcnow()
# 2030-12-08 09:00–11:00 in Beijing, within a project running 12-01 to 12-31.
STARTS = datetime(2030, 12, 8, 1, 0, tzinfo=UTC)
PROJECT_DAYS = {
    "starts_at": datetime(2030, 12, 1, 1, 0, tzinfo=UTC),
    "ends_at": datetime(2030, 12, 31, 9, 0, tzinfo=UTC),
    "claim_deadline": datetime(2030, 11, 30, 1, 0, tzinfo=UTC),
}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def session(community):
    project = make_project(community, **PROJECT_DAYS)
    return make_activity(
        community, project_id=project.id, title="助餐", place="阳光苑食堂", starts_at=STARTS
    )


def signed_up(activity, n: int, **kwargs) -> list:
    volunteers = [make_volunteer(activity.community) for _ in range(n)]
    for volunteer in volunteers:
        service.sign_up(volunteer, activity.id, now=NOW, **kwargs)
    return volunteers


def notices_of(user) -> list[Notice]:
    return list(db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id)))


def _stored(activity_id: int) -> Activity:
    db.session.expire_all()
    return db.session.get(Activity, activity_id)


# --- The rules (service) -------------------------------------------------------------------


def test_signed_up_volunteers_are_told_the_new_time_and_place(session, secretary):
    volunteers = signed_up(session, 2)
    waiting = make_volunteer(session.community)
    service.edit_activity(secretary, session.id, version=session.version, now=NOW, capacity=2)
    service.sign_up(waiting, session.id, now=NOW, waitlist=True)
    service.edit_activity(
        secretary,
        session.id,
        version=session.version,
        now=NOW,
        starts_at=datetime(2030, 12, 9, 6, 0, tzinfo=UTC),
        ends_at=datetime(2030, 12, 9, 8, 0, tzinfo=UTC),
        place="党群服务中心二楼",
    )
    for person in (*volunteers, waiting):
        [notice] = notices_of(person)
        assert notice.title == "活动“助餐”有变更"
        assert notice.body == (
            "时间：12月8日 09:00–11:00 → 12月9日 14:00–16:00；地点：阳光苑食堂 → 党群服务中心二楼"
        )
        assert notice.link == f"/activities/{session.id}"


def test_nobody_is_told_when_nothing_changed(session, secretary):
    [volunteer] = signed_up(session, 1)
    service.edit_activity(
        secretary, session.id, version=session.version, now=NOW, place="阳光苑食堂"
    )
    assert notices_of(volunteer) == []


def test_the_seats_alone_are_not_news_to_those_holding_one(session, secretary):
    [volunteer] = signed_up(session, 1)
    service.edit_activity(secretary, session.id, version=session.version, now=NOW, capacity=20)
    assert notices_of(volunteer) == [] and _stored(session.id).capacity == 20


def test_capacity_never_drops_below_the_confirmed_sign_ups(session, secretary):
    signed_up(session, 3)
    with pytest.raises(Invalid) as refused:
        service.edit_activity(secretary, session.id, version=session.version, now=NOW, capacity=2)
    assert refused.value.errors == {"capacity": ["名额不能少于已确认报名的人数（3 人）。"]}
    assert _stored(session.id).capacity == 10


def test_more_seats_go_to_the_waiting_list_in_order(session, secretary):
    service.edit_activity(secretary, session.id, version=1, now=NOW, capacity=1)
    signed_up(session, 1)
    first, second = signed_up(session, 2, waitlist=True)
    service.edit_activity(secretary, session.id, version=session.version, now=NOW, capacity=2)
    assert session.confirmed_count == 2
    [notice] = notices_of(first)
    assert notice.title == "候补成功：您已获得“助餐”的名额"
    assert notices_of(second) == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_at": STARTS - timedelta(hours=1)}, "ends_at"),
        ({"starts_at": datetime(2020, 11, 1, 1, 0, tzinfo=UTC)}, "starts_at"),
        (
            {
                "starts_at": datetime(2031, 1, 2, 1, 0, tzinfo=UTC),
                "ends_at": datetime(2031, 1, 2, 3, 0, tzinfo=UTC),
            },
            "ends_at",
        ),
    ],
    ids=["ends_before_start", "before_the_project", "after_the_project"],
)
def test_the_time_follows_the_rules_of_scheduling(session, secretary, change, field):
    [volunteer] = signed_up(session, 1)
    with pytest.raises(Invalid) as refused:
        service.edit_activity(secretary, session.id, version=session.version, now=NOW, **change)
    assert list(refused.value.errors) == [field]
    assert _stored(session.id).starts_at == STARTS and notices_of(volunteer) == []


def test_a_session_that_has_started_changes_nothing(session, secretary):
    with pytest.raises(errors.ActivityStarted) as refused:
        service.edit_activity(
            secretary, session.id, version=1, now=STARTS + timedelta(minutes=1), place="别处"
        )
    assert refused.value.status == 409 and refused.value.message == "活动已经开始，不能再修改。"


def test_a_cancelled_session_changes_nothing(session, secretary):
    service.cancel_activity(secretary, session.id, reason="场地冲突")
    with pytest.raises(errors.ActivityCancelled):
        service.edit_activity(secretary, session.id, version=session.version, now=NOW, place="别处")


def test_a_stale_version_changes_nothing(session, secretary):
    service.edit_activity(secretary, session.id, version=1, now=NOW, capacity=12)
    with pytest.raises(VersionConflict):
        service.edit_activity(secretary, session.id, version=1, now=NOW, place="别处")
    assert (_stored(session.id).place, _stored(session.id).version) == ("阳光苑食堂", 2)


def test_the_lead_units_liaison_edits_her_projects_session(community):
    project = make_project(community, auto_approve=True, **PROJECT_DAYS)
    liaison = make_liaison(make_unit(community))
    claims.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=NOW)
    activity = make_activity(community, project_id=project.id, starts_at=STARTS)
    service.edit_activity(liaison, activity.id, version=1, now=NOW, place="和谐家园")
    assert activity.place == "和谐家园"


@pytest.mark.parametrize("make", [make_volunteer, make_resident])
def test_members_cannot_edit(session, make):
    with pytest.raises(Forbidden):
        service.edit_activity(make(session.community), session.id, version=1, now=NOW, place="x")


def test_another_communitys_session_is_not_found(session):
    with pytest.raises(NotFound):
        service.edit_activity(
            make_secretary(make_community()), session.id, version=1, now=NOW, place="x"
        )


# --- PATCH /api/v1/activities/{id} ---------------------------------------------------------


def test_patch_answers_the_activity_with_its_new_version(client, session, secretary):
    response = client.patch(
        f"/api/v1/activities/{session.id}",
        json={"place": "党群服务中心", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 200
    assert response.json["place"] == "党群服务中心" and response.json["version"] == 2
    assert response.json["title"] == "助餐" and response.json["theme_month"] is None


def test_patch_keeps_the_theme_month_it_was_not_sent(client, community, secretary):
    activity = make_activity(community, theme_month="2030-12", starts_at=STARTS)
    response = client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"capacity": 20, "version": 1},
        headers=bearer(secretary),
    )
    assert response.json["theme_month"] == "2030-12" and response.json["capacity"] == 20


def test_moving_a_themed_session_to_another_month_needs_its_theme_changed(
    client, community, secretary
):
    activity = make_activity(community, theme_month="2030-12", starts_at=STARTS)
    path, headers = f"/api/v1/activities/{activity.id}", bearer(secretary)
    moved = {"starts_at": "2031-01-05T09:00", "ends_at": "2031-01-05T11:00"}

    refused = client.patch(path, json={**moved, "version": 1}, headers=headers)

    assert refused.status_code == 422 and "2031-01" in refused.json["errors"]["theme_month"][0]
    assert _stored(activity.id).starts_at == STARTS
    both = client.patch(
        path, json={**moved, "theme_month": "2031-01", "version": 1}, headers=headers
    )
    assert both.status_code == 200 and both.json["theme_month"] == "2031-01"


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, session, secretary):
    path, headers = f"/api/v1/activities/{session.id}", bearer(secretary)
    first = client.patch(path, json={"capacity": 12, "version": 1}, headers=headers)
    assert first.status_code == 200
    response = client.patch(path, json={"place": "别处", "version": 1}, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "version_conflict"
    assert _stored(session.id).place == "阳光苑食堂"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"capacity": 1}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"ends_at": "2030-12-08T08:00"}, "ends_at"),
        ({"place": ""}, "place"),
        ({"theme_month": "2030-13"}, "theme_month"),
        ({"room": "二楼"}, "room"),
        ({"version": None}, "version"),
    ],
)
def test_a_bad_patch_is_422_naming_the_field(client, session, secretary, body, field):
    signed_up(session, 2)
    body = {"version": session.version, **body}
    if body["version"] is None:
        del body["version"]
    response = client.patch(
        f"/api/v1/activities/{session.id}", json=body, headers=bearer(secretary)
    )
    assert response.status_code == 422 and field in response.json["errors"]
    assert _stored(session.id).capacity == 10


def test_patching_a_session_that_has_begun_is_409(client, community, secretary):
    activity = make_activity(community, starts_at=utcnow() - timedelta(minutes=5))
    response = client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"place": "别处", "version": 1},
        headers=bearer(secretary),
    )
    assert response.status_code == 409 and response.json["code"] == "activity_started"


@pytest.mark.parametrize(
    "who, status",
    [("secretary", 200), ("volunteer", 403), ("liaison", 403), ("other_secretary", 404)],
)
def test_who_may_patch_a_session(client, session, who, status):
    community = session.community
    actor = {
        "secretary": lambda: make_secretary(community),
        "volunteer": lambda: make_volunteer(community),
        "liaison": lambda: make_liaison(make_unit(community)),
        "other_secretary": lambda: make_secretary(make_community()),
    }[who]()
    response = client.patch(
        f"/api/v1/activities/{session.id}",
        json={"place": "党群服务中心", "version": 1},
        headers=bearer(actor),
    )
    assert response.status_code == status
    assert (_stored(session.id).place == "党群服务中心") is (status == 200)


# --- The 编辑 page -------------------------------------------------------------------------


def _form(client, path, **overrides) -> dict:
    return {
        "csrf_token": csrf(client, path),
        "version": "1",
        "title": "助餐",
        "place": "阳光苑食堂",
        "starts_at": "2030-12-08T09:00",
        "ends_at": "2030-12-08T11:00",
        "capacity": "10",
        **overrides,
    }


def test_the_edit_page_is_filled_in_with_the_current_values(client, session, secretary):
    login(client, secretary)
    html = client.get(f"/activities/{session.id}/edit").get_data(as_text=True)
    assert 'value="阳光苑食堂"' in html and 'value="2030-12-08T09:00"' in html
    assert 'value="2030-12-08T11:00"' in html and 'name="version" value="1"' in html


def test_saving_the_edit_page_changes_the_session_and_tells_the_volunteers(
    client, session, secretary
):
    [volunteer] = signed_up(session, 1)
    login(client, secretary)
    path = f"/activities/{session.id}/edit"
    version = str(session.version)
    response = client.post(
        path, data=_form(client, path, version=version, starts_at="2030-12-08T10:00")
    )
    assert response.status_code == 302 and response.location == f"/activities/{session.id}"
    assert _stored(session.id).starts_at == STARTS + timedelta(hours=1)
    [notice] = notices_of(volunteer)
    assert notice.body == "时间：12月8日 09:00–11:00 → 12月8日 10:00–11:00"


def test_a_bad_edit_is_shown_again_with_the_messages(client, session, secretary):
    signed_up(session, 3)
    login(client, secretary)
    path = f"/activities/{session.id}/edit"
    form = _form(client, path, version=str(session.version), capacity="2", place=" ")
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "此项必填" in html
    response = client.post(path, data={**form, "place": "阳光苑食堂"})
    assert response.status_code == 422
    assert "名额不能少于已确认报名的人数（3 人）" in response.get_data(as_text=True)
    assert _stored(session.id).capacity == 10


def test_a_stale_edit_is_shown_again_with_a_link_to_reload(client, session, secretary):
    login(client, secretary)
    path = f"/activities/{session.id}/edit"
    form = _form(client, path, place="我改的地点")
    service.edit_activity(secretary, session.id, version=1, now=NOW, capacity=12)
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已被他人修改，请刷新后再改。" in html and f'href="{path}"' in html
    assert _stored(session.id).place == "阳光苑食堂"


def test_the_detail_offers_编辑_to_organisers_until_it_starts(client, community, secretary):
    coming = make_activity(community, starts_at=STARTS)
    begun = make_activity(community, starts_at=utcnow() - timedelta(minutes=5))
    login(client, secretary)
    assert f"/activities/{coming.id}/edit" in client.get(f"/activities/{coming.id}").text
    assert f"/activities/{begun.id}/edit" not in client.get(f"/activities/{begun.id}").text
    assert client.get(f"/activities/{begun.id}/edit").status_code == 409
    login(client, make_volunteer(community))
    assert f"/activities/{coming.id}/edit" not in client.get(f"/activities/{coming.id}").text


def test_waiting_volunteers_keep_their_place_in_line(session, secretary):
    service.edit_activity(secretary, session.id, version=1, now=NOW, capacity=1)
    signed_up(session, 1)
    [waiting] = signed_up(session, 1, waitlist=True)
    service.edit_activity(secretary, session.id, version=session.version, now=NOW, place="别处")
    signup = service.queries.live_signup(session.id, waiting.id)
    assert signup.status is SignupStatus.WAITLISTED
