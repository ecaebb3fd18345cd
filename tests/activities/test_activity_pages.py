from datetime import timedelta

import pytest
import sqlalchemy as sa

from coop.activities import service
from coop.activities.models import Activity, ActivityStatus, Feedback, Signup, SignupStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordStatus, ServiceRecord
from coop.notices.inbox import latest
from coop.projects.models import ProjectStatus
from coop.timeutil import COMMUNITY_TZ
from tests.factories import (
    csrf,
    login,
    make_activity,
    make_community,
    make_project,
    make_resident,
    make_secretary,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


def _signups() -> list[Signup]:
    return list(db.session.scalars(sa.select(Signup).order_by(Signup.id)))


def _running(community, **overrides) -> Activity:
    """Started ten minutes ago: check-in is open."""
    return make_activity(community, starts_at=utcnow() - timedelta(minutes=10), **overrides)


def _signed_up(volunteer, activity) -> Signup:
    return service.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/activities",
        "/communities/{c}/activities/new",
        "/activities/{a}",
        "/activities/{a}/checkin",
        "/activities/{a}/cancel",
        "/projects/{p}/activities",
    ],
)
def test_another_communitys_activity_pages_are_not_found(client, community, path):
    activity = make_activity(community)
    project = make_project(community)
    login(client, make_secretary(make_community()))
    url = path.format(c=community.id, a=activity.id, p=project.id)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/communities/{c}/activities/new",
        "/projects/{p}/activities/new",
        "/activities/{a}/rotate",
        "/activities/{a}/cancel",
        "/activities/{a}/volunteers?q=王",
    ],
)
@pytest.mark.parametrize("make", [make_resident, make_volunteer])
def test_organising_is_forbidden_to_members(client, community, path, make):
    activity = make_activity(community)
    project = make_project(community)
    login(client, make(community))
    url = path.format(c=community.id, a=activity.id, p=project.id)
    assert client.get(url).status_code == 403


def test_the_checkin_page_asks_for_a_sign_in_and_comes_back_with_the_code(client, community):
    activity = make_activity(community)
    response = client.get(f"/activities/{activity.id}/checkin?code=123456")
    assert response.status_code == 302
    assert "/login?next=" in response.location and "code%3D123456" in response.location


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_upcoming_sessions_then_past_ones(client, community):
    make_activity(community, title="重阳敬老", capacity=8)
    make_activity(community, title="已经结束", starts_at=utcnow() - timedelta(days=2))
    make_activity(community, title="取消了", status=ActivityStatus.CANCELLED)
    login(client, make_volunteer(community))
    html = client.get(f"/communities/{community.id}/activities").get_data(as_text=True)
    assert html.index("即将开始") < html.index("重阳敬老") < html.index("已结束")
    assert html.index("已结束") < html.index("已经结束") and "取消了" in html
    assert "剩余名额 <strong>8</strong>/8" in html and ">报名</button>" in html
    assert "党群服务中心" in html and 'hx-trigger="signups-changed from:body"' in html


def test_a_full_session_offers_the_waiting_list(client, community):
    activity = make_activity(community, capacity=1)
    _signed_up(make_volunteer(community), activity)
    volunteer = make_volunteer(community)
    login(client, volunteer)
    listing = f"/communities/{community.id}/activities"
    html = client.get(listing).get_data(as_text=True)
    assert "名额已满，可以先候补" in html and ">候补</button>" in html
    response = client.post(
        f"/activities/{activity.id}/signup",
        data={"csrf_token": csrf(client, listing), "waitlist": "true"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "已加入候补" in response.get_data(as_text=True)
    assert _signups()[-1].status is SignupStatus.WAITLISTED


def test_signing_up_swaps_the_panel_and_announces_it(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    login(client, volunteer)
    listing = f"/communities/{community.id}/activities"
    response = client.post(
        f"/activities/{activity.id}/signup",
        data={"csrf_token": csrf(client, listing), "next": listing},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "signups-changed"
    assert response.headers["HX-Retarget"] == f"#signup-panel-{activity.id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "<html" not in html and f'id="signup-panel-{activity.id}"' in html
    assert "报名成功" in html and "已报名" in html and "取消报名" in html
    (signup,) = _signups()
    assert signup.volunteer_id == volunteer.id and signup.status is SignupStatus.CONFIRMED
    # the badge the list re-fetches on signups-changed
    badge = client.get("/my/activities/badge", headers=HTMX).get_data(as_text=True)
    assert "<html" not in badge and 'id="signups-badge"' in badge and ">1</span>" in badge


def test_signing_up_works_without_javascript(client, community):
    activity = make_activity(community)
    login(client, make_volunteer(community))
    listing = f"/communities/{community.id}/activities"
    response = client.post(
        f"/activities/{activity.id}/signup", data={"csrf_token": csrf(client, listing)}
    )
    assert response.status_code == 302
    assert response.location == f"{listing}#activity-{activity.id}"
    html = client.get(response.location).get_data(as_text=True)
    assert "报名成功" in html and "已报名" in html


def test_signing_up_twice_is_refused_in_place(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    listing = f"/communities/{community.id}/activities"
    form = {"csrf_token": csrf(client, listing)}
    response = client.post(f"/activities/{activity.id}/signup", data=form, headers=HTMX)
    assert response.status_code == 409 and "HX-Trigger" not in response.headers
    assert "您已报名这场活动" in response.get_data(as_text=True)
    response = client.post(f"/activities/{activity.id}/signup", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" in html and "您已报名这场活动" in html
    assert len(_signups()) == 1


def test_a_resident_cannot_sign_up(client, community):
    activity = make_activity(community)
    login(client, make_resident(community))
    listing = f"/communities/{community.id}/activities"
    assert ">报名</button>" not in client.get(listing).get_data(as_text=True)
    response = client.post(
        f"/activities/{activity.id}/signup", data={"csrf_token": csrf(client, listing)}
    )
    assert response.status_code == 403 and _signups() == []


def test_cancelling_from_the_card_gives_the_seat_back(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    listing = f"/communities/{community.id}/activities"
    response = client.post(
        f"/activities/{activity.id}/signup/cancel",
        data={"csrf_token": csrf(client, listing)},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "signups-changed"
    assert "已取消报名" in html and ">报名</button>" in html
    db.session.refresh(activity)
    assert activity.confirmed_count == 0 and _signups()[0].status is SignupStatus.CANCELLED


# --- Scheduling -----------------------------------------------------------------------------


def _schedule_form(client, path, **overrides) -> dict:
    return {
        "csrf_token": csrf(client, path),
        "title": "重阳节包饺子",
        "place": "阳光苑活动室",
        "starts_at": "2031-10-10T09:00",
        "ends_at": "2031-10-10T11:30",
        "capacity": "12",
        "theme_month": "",
        **overrides,
    }


def test_the_secretary_schedules_a_themed_activity(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/activities/new"
    html = client.get(path).get_data(as_text=True)
    assert 'type="datetime-local"' in html and 'type="month"' in html
    response = client.post(path, data=_schedule_form(client, path, theme_month="2031-10"))
    (activity,) = db.session.scalars(sa.select(Activity))
    assert response.location == f"/activities/{activity.id}"
    assert activity.title == "重阳节包饺子" and activity.capacity == 12
    assert activity.theme_month == "2031-10" and activity.project_id is None
    assert activity.hours == 2.5


def test_a_project_session_is_scheduled_from_the_project(client, community):
    project = make_project(community, status=ProjectStatus.IN_PROGRESS)
    login(client, make_secretary(community))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'hx-get="/projects/{project.id}/activities"' in page
    section = client.get(f"/projects/{project.id}/activities", headers=HTMX)
    assert "<html" not in section.get_data(as_text=True)
    assert "安排活动" in section.get_data(as_text=True)
    path = f"/projects/{project.id}/activities/new"
    day = project.starts_at.astimezone(COMMUNITY_TZ).date() + timedelta(days=1)
    within = {"starts_at": f"{day}T09:00", "ends_at": f"{day}T11:30"}  # the project's days
    client.post(path, data=_schedule_form(client, path, **within))
    (activity,) = db.session.scalars(sa.select(Activity))
    assert activity.project_id == project.id
    section = client.get(f"/projects/{project.id}/activities", headers=HTMX)
    assert "重阳节包饺子" in section.get_data(as_text=True)


def test_a_session_before_the_project_was_recorded_names_that_day(client, community):
    """A kick-off may come before the project starts, from the day it was recorded on: the
    refusal names the recorded day as such, not as the project's start."""
    project = make_project(community, status=ProjectStatus.IN_PROGRESS)
    recorded = project.created_at.astimezone(COMMUNITY_TZ).date()
    starts = project.starts_at.astimezone(COMMUNITY_TZ).date()
    assert recorded < starts
    login(client, make_secretary(community))
    path = f"/projects/{project.id}/activities/new"
    day = recorded - timedelta(days=1)
    early = {"starts_at": f"{day}T09:00", "ends_at": f"{day}T11:30"}
    html = client.post(path, data=_schedule_form(client, path, **early)).get_data(as_text=True)
    assert f"活动最早可安排在项目登记当天（{recorded}）" in html
    assert f"项目开始日期（{recorded}）" not in html
    assert db.session.scalars(sa.select(Activity)).all() == []


def test_a_session_ending_before_it_starts_is_refused_beside_the_field(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/activities/new"
    response = client.post(path, data=_schedule_form(client, path, ends_at="2031-10-10T08:00"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-ends_at"' in html and "结束时间必须晚于开始时间" in html
    assert 'value="重阳节包饺子"' in html
    assert db.session.scalars(sa.select(Activity)).all() == []


def test_a_bad_schedule_form_shows_every_error(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/activities/new"
    form = _schedule_form(client, path, title="", capacity="0", theme_month="2031-13")
    response = client.post(path, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-title"' in html and 'id="e-capacity"' in html and 'id="e-theme_month"' in html
    assert db.session.scalars(sa.select(Activity)).all() == []


def test_another_months_theme_is_refused_beside_the_field(client, community):
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/activities/new"
    response = client.post(path, data=_schedule_form(client, path, theme_month="2031-05"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-theme_month"' in html and "应为活动所在的月份（2031-10）" in html
    assert db.session.scalars(sa.select(Activity)).all() == []


@pytest.mark.parametrize(
    "starts_in, said",
    [
        (timedelta(days=1), "志愿者现在可以报名"),
        (timedelta(hours=-1), "活动已经开始：志愿者可以报名签到"),
        (timedelta(days=-1), "请在时长核实页为参加的志愿者补录时长"),
    ],
)
def test_the_message_after_scheduling_says_what_comes_next(client, community, starts_in, said):
    """A session held already is recorded so its hours can be entered; nobody signs up."""
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/activities/new"
    starts = (utcnow() + starts_in).astimezone(COMMUNITY_TZ)
    when = {
        "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
        "ends_at": f"{starts + timedelta(hours=2):%Y-%m-%dT%H:%M}",
    }
    response = client.post(path, data=_schedule_form(client, path, **when), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert said in html
    assert ("现在可以报名" in html) == (starts_in > timedelta(0))


# --- The organiser's desk -------------------------------------------------------------------


def test_the_organiser_sees_the_code_and_qr_while_a_volunteer_does_not(client, community):
    activity = make_activity(community)
    login(client, make_secretary(community))
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    code = activity.checkin_code
    assert f"{code[:3]}&thinsp;{code[3:]}" in html and "<svg" in html
    assert "签到二维码" in html and "更换签到码" in html and "取消活动" in html
    login(client, make_volunteer(community))
    html = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert code not in html and "<svg" not in html and "报名名单" not in html
    assert ">报名</button>" in html


def test_the_roster_is_a_fragment_for_htmx(client, community):
    activity = make_activity(community)
    _signed_up(make_volunteer(community, display_name="王秀英"), activity)
    login(client, make_secretary(community))
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "<html" in page and "王秀英" in page
    fragment = client.get(f"/activities/{activity.id}", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="roster"')
    assert "王秀英" in fragment and "<svg" not in fragment


def test_checking_in_on_behalf_swaps_the_roster(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community, display_name="李大爷")
    _signed_up(volunteer, activity)
    secretary = make_secretary(community)
    login(client, secretary)
    page = f"/activities/{activity.id}"
    html = client.get(page).get_data(as_text=True)
    assert "代签到" in html
    response = client.post(
        f"/activities/{activity.id}/checkin-for",
        data={"csrf_token": csrf(client, page), "volunteer_id": str(volunteer.id)},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#roster"
    assert response.headers["HX-Trigger"] == "signups-changed"
    assert "已签到" in html and "代签退" in html and "代签" in html
    (signup,) = _signups()
    assert signup.checked_in_at is not None and signup.checked_in_by_id == secretary.id
    signup.checked_in_at -= timedelta(minutes=60)  # an hour of service before check-out
    response = client.post(
        f"/activities/{activity.id}/checkout-for",
        data={"csrf_token": csrf(client, page), "volunteer_id": str(volunteer.id)},
    )
    assert response.status_code == 302
    record = db.session.scalar(sa.select(ServiceRecord))
    assert record.volunteer_id == volunteer.id and record.status is RecordStatus.PENDING


def test_checking_in_on_behalf_outside_the_window_is_refused(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, make_secretary(community))
    page = f"/activities/{activity.id}"
    assert "代签到</button>" not in client.get(page).get_data(as_text=True)
    response = client.post(
        f"/activities/{activity.id}/checkin-for",
        data={"csrf_token": csrf(client, page), "volunteer_id": str(volunteer.id)},
        headers=HTMX,
    )
    assert response.status_code == 409 and "不在签到时间" in response.get_data(as_text=True)
    assert _signups()[0].checked_in_at is None


def test_an_elder_without_a_phone_is_found_and_checked_in(client, community):
    activity = _running(community)
    elder = make_volunteer(community, display_name="赵奶奶", phone="13912345678")
    signed = make_volunteer(community, display_name="赵小明")
    _signed_up(signed, activity)
    login(client, make_secretary(community))
    search = f"/activities/{activity.id}/volunteers?q=赵"
    fragment = client.get(search, headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="volunteer-results"' in fragment
    assert "赵奶奶" in fragment and "139****5678" in fragment and "赵小明" not in fragment
    page = client.get(search).get_data(as_text=True)
    assert "<html" in page and "赵奶奶" in page and "报名名单" in page
    response = client.post(
        f"/activities/{activity.id}/checkin-for",
        data={"csrf_token": csrf(client, search), "volunteer_id": str(elder.id)},
        headers=HTMX,
    )
    assert response.status_code == 200 and "赵奶奶" in response.get_data(as_text=True)
    mine = [s for s in _signups() if s.volunteer_id == elder.id]
    assert mine[0].status is SignupStatus.CONFIRMED and mine[0].checked_in_at is not None


def test_a_search_for_nobody_says_so(client, community):
    activity = _running(community)
    login(client, make_secretary(community))
    html = client.get(f"/activities/{activity.id}/volunteers?q=不存在", headers=HTMX).get_data(
        as_text=True
    )
    assert "没有找到还没报名的志愿者" in html


def test_rotating_the_code_asks_first(client, community):
    activity = make_activity(community)
    old = activity.checkin_code
    login(client, make_secretary(community))
    path = f"/activities/{activity.id}/rotate"
    assert "确认更换签到码" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path)})
    assert response.location == f"/activities/{activity.id}"
    db.session.refresh(activity)
    assert activity.checkin_code != old
    assert activity.checkin_code in client.get(response.location).get_data(as_text=True)


def test_cancelling_an_activity_needs_a_reason(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, make_secretary(community))
    path = f"/activities/{activity.id}/cancel"
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in response.get_data(as_text=True)
    db.session.refresh(activity)
    assert activity.status is ActivityStatus.SCHEDULED
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "暴雨预警"})
    assert response.location == f"/activities/{activity.id}"
    db.session.refresh(activity)
    assert activity.status is ActivityStatus.CANCELLED
    assert latest(volunteer.id)[0].body == "暴雨预警"


# --- The phone check-in page ----------------------------------------------------------------


def test_the_qr_link_fills_in_the_code(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    html = client.get(f"/activities/{activity.id}/checkin?code={activity.checkin_code}").get_data(
        as_text=True
    )
    assert f'value="{activity.checkin_code}"' in html
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html
    assert ">签到</button>" in html


def test_checking_in_then_out_on_the_phone(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    code = activity.checkin_code
    response = client.post(page, data={"csrf_token": csrf(client, page), "code": code})
    assert response.status_code == 302 and f"code={code}" in response.location
    html = client.get(response.location).get_data(as_text=True)
    assert "签到成功" in html and "已签到" in html and ">签退</button>" in html
    assert f'value="{code}"' in html
    _signups()[0].checked_in_at -= timedelta(minutes=60)  # an hour of service before check-out
    response = client.post(
        f"/activities/{activity.id}/checkout", data={"csrf_token": csrf(client, page), "code": code}
    )
    assert response.location == page
    html = client.get(page).get_data(as_text=True)
    assert "签退成功" in html and "已签退" in html and "待核实" in html
    record = db.session.scalar(sa.select(ServiceRecord))
    assert record.volunteer_id == volunteer.id and record.status is RecordStatus.PENDING


def test_checking_out_at_once_explains_why_no_hours(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    service.check_in(volunteer, activity.id, code=activity.checkin_code, now=utcnow())
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    response = client.post(
        f"/activities/{activity.id}/checkout",
        data={"csrf_token": csrf(client, page), "code": activity.checkin_code},
    )
    assert response.status_code == 422 and "签到不足一分钟" in response.get_data(as_text=True)
    assert _signups()[0].checked_out_at is None


def test_checking_out_before_the_start_is_refused_and_keeps_her_checked_in(client, community):
    activity = make_activity(community, starts_at=utcnow() + timedelta(minutes=20))
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    service.check_in(volunteer, activity.id, code=activity.checkin_code, now=utcnow())
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    response = client.post(
        f"/activities/{activity.id}/checkout",
        data={"csrf_token": csrf(client, page), "code": activity.checkin_code},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "开始后才能签退" in html and ">签退</button>" in html
    assert _signups()[0].checked_out_at is None
    assert db.session.scalars(sa.select(ServiceRecord)).all() == []


def test_a_wrong_code_is_refused_beside_the_field(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    wrong = "000000" if activity.checkin_code != "000000" else "111111"
    response = client.post(page, data={"csrf_token": csrf(client, page), "code": wrong})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-code"' in html and "签到码不正确" in html and f'value="{wrong}"' in html
    assert _signups()[0].checked_in_at is None


def test_an_empty_code_is_refused(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    response = client.post(page, data={"csrf_token": csrf(client, page), "code": " "})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)


def test_checking_in_too_early_says_when(client, community):
    activity = make_activity(community)
    volunteer = make_volunteer(community)
    _signed_up(volunteer, activity)
    login(client, volunteer)
    page = f"/activities/{activity.id}/checkin"
    response = client.post(
        page, data={"csrf_token": csrf(client, page), "code": activity.checkin_code}
    )
    assert response.status_code == 409 and "不在签到时间" in response.get_data(as_text=True)
    assert _signups()[0].checked_in_at is None


def test_not_signed_up_offers_to_sign_up_then_check_in(client, community):
    activity = _running(community)
    volunteer = make_volunteer(community)
    login(client, volunteer)
    code = activity.checkin_code
    page = f"/activities/{activity.id}/checkin?code={code}"
    html = client.get(page).get_data(as_text=True)
    assert "您还没有报名这场活动" in html and ">报名</button>" in html
    response = client.post(
        f"/activities/{activity.id}/signup",
        data={"csrf_token": csrf(client, page), "next": page},
    )
    assert response.location == page
    html = client.get(page).get_data(as_text=True)
    assert ">签到</button>" in html and f'value="{code}"' in html


def test_not_signed_up_and_full_says_so(client, community):
    activity = _running(community, capacity=1)
    _signed_up(make_volunteer(community), activity)
    login(client, make_volunteer(community))
    html = client.get(f"/activities/{activity.id}/checkin").get_data(as_text=True)
    assert "您还没有报名这场活动" in html and "名额已满" in html and ">报名</button>" not in html


# --- Feedback ----------------------------------------------------------------------------


def test_the_secretary_rates_a_started_session(client, community):
    project = make_project(community, status=ProjectStatus.IN_PROGRESS)
    activity = _running(community, project_id=project.id)
    login(client, make_secretary(community))
    page = f"/activities/{activity.id}"
    html = client.get(page).get_data(as_text=True)
    assert "很满意" in html and "很不满意" in html and 'type="radio"' in html
    response = client.post(
        f"/activities/{activity.id}/feedback",
        data={
            "csrf_token": csrf(client, page),
            "rating": "4",
            "comment": "饺子好吃",
            "beneficiary_name": "刘桂兰",
        },
    )
    assert response.location == f"{page}#feedback"
    (feedback,) = db.session.scalars(sa.select(Feedback))
    assert feedback.rating == 4 and feedback.project_id == project.id
    section = client.get(f"/projects/{project.id}/activities", headers=HTMX).get_data(as_text=True)
    assert "平均 <strong>4.0</strong> / 5" in section and "饺子好吃" in section
    assert "刘桂兰" in section
    login(client, make_volunteer(community))
    section = client.get(f"/projects/{project.id}/activities", headers=HTMX).get_data(as_text=True)
    assert "饺子好吃" in section and "刘桂兰" not in section and "安排活动" not in section


def test_a_rating_out_of_range_changes_nothing(client, community):
    activity = _running(community)
    login(client, make_secretary(community))
    page = f"/activities/{activity.id}"
    response = client.post(
        f"/activities/{activity.id}/feedback",
        data={"csrf_token": csrf(client, page), "rating": "9", "comment": "x"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="e-rating"' in html and "评分应为 1–5" in html
    assert db.session.scalars(sa.select(Feedback)).all() == []


def test_no_rating_form_before_the_start_or_for_volunteers(client, community):
    activity = make_activity(community)
    login(client, make_secretary(community))
    assert "很不满意" not in client.get(f"/activities/{activity.id}").get_data(as_text=True)
    running = _running(community)
    login(client, make_volunteer(community))
    assert "很不满意" not in client.get(f"/activities/{running.id}").get_data(as_text=True)


# --- My activities -------------------------------------------------------------------------


def test_my_activities_lists_upcoming_and_past_with_hours(client, community):
    from coop.hours import service as hours

    volunteer = make_volunteer(community)
    coming = make_activity(community, title="下周助餐")
    _signed_up(volunteer, coming)
    done = make_activity(community, title="上周义诊", starts_at=utcnow() - timedelta(days=7))
    _signed_up(volunteer, done)
    service.check_in(volunteer, done.id, code=done.checkin_code, now=done.starts_at)
    record = service.check_out(
        volunteer, done.id, code=done.checkin_code, now=done.starts_at + timedelta(minutes=90)
    )
    hours.verify_record(make_secretary(community), record.id, now=utcnow())
    login(client, volunteer)
    html = client.get("/my/activities").get_data(as_text=True)
    assert html.index("即将参加") < html.index("下周助餐") < html.index("参加过的")
    assert html.index("参加过的") < html.index("上周义诊")
    assert "取消报名" in html and "服务时长 1小时30分钟" in html and "已核实" in html
    assert "+15 积分" in html
    response = client.post(
        f"/activities/{coming.id}/signup/cancel",
        data={"csrf_token": csrf(client, "/my/activities"), "next": "/my/activities"},
    )
    assert response.location == "/my/activities"
    html = client.get("/my/activities").get_data(as_text=True)
    assert "已取消报名" in html and "还没有报名活动" in html


def test_my_activities_shows_a_reversed_record_as_reversed_with_its_reversal(client, community):
    from coop.hours import service as hours

    volunteer, secretary = make_volunteer(community), make_secretary(community)
    done = make_activity(community, title="上周义诊", starts_at=utcnow() - timedelta(days=7))
    _signed_up(volunteer, done)
    service.check_in(volunteer, done.id, code=done.checkin_code, now=done.starts_at)
    wrong = service.check_out(
        volunteer, done.id, code=done.checkin_code, now=done.starts_at + timedelta(hours=3)
    )
    hours.verify_record(secretary, wrong.id, now=utcnow())
    hours.reverse_record(secretary, wrong.id, reason="提前离开", now=utcnow())
    right = hours.enter_hours(
        make_secretary(community),
        community.id,
        volunteer_id=volunteer.id,
        activity_id=done.id,
        hours=1.5,
    )
    hours.verify_record(secretary, right.id, now=utcnow())
    login(client, volunteer)
    html = client.get("/my/activities").get_data(as_text=True)
    original = html[html.index(f'id="my-record-{wrong.id}"') :]
    assert original.index("服务时长 2小时") < original.index("已冲正") < original.index("<del")
    assert "+20 积分</del>" in original and "已核实" not in original[: original.index("</div>")]
    assert "冲正</span> -2小时" in html and "-20 积分" in html and "原因：提前离开" in html
    assert "服务时长 1小时30分钟" in html and "+15 积分" in html
    assert html.index("冲正</span> -2小时") < html.index("服务时长 1小时30分钟")


def test_my_activities_offers_no_check_out_after_check_out(client, community):
    volunteer = make_volunteer(community)
    running = _running(community, title="正在助餐")
    _signed_up(volunteer, running)
    service.check_in(volunteer, running.id, code=running.checkin_code, now=running.starts_at)
    login(client, volunteer)
    assert "去签退" in client.get("/my/activities").get_data(as_text=True)
    service.check_out(
        volunteer,
        running.id,
        code=running.checkin_code,
        now=running.starts_at + timedelta(minutes=5),
    )
    html = client.get("/my/activities").get_data(as_text=True)
    card = html[html.index("正在助餐") : html.index("参加过的")]
    assert "去签退" not in card and "去签到" not in card
    assert "已签退" in card and "服务时长 5分钟" in card and "待核实" in card


def test_my_activities_badge_is_a_page_when_visited(client, community):
    login(client, make_volunteer(community))
    html = client.get("/my/activities/badge").get_data(as_text=True)
    assert "<html" in html and "还没有报名活动" in html


def test_the_list_queries_do_not_grow_with_activities(client, community, count_queries):
    volunteer = make_volunteer(community)
    login(client, volunteer)
    days = iter(range(3, 100))

    def fill(n):
        for _ in range(n):
            start = utcnow() + timedelta(days=next(days))
            _signed_up(volunteer, make_activity(community, starts_at=start))
            make_activity(community, starts_at=start - timedelta(days=200))

    paths = [f"/communities/{community.id}/activities", "/my/activities"]
    fill(2)
    with count_queries() as few:
        for path in paths:
            assert client.get(path).status_code == 200
    fill(6)
    with count_queries() as many:
        for path in paths:
            client.get(path)
    assert many.n == few.n
