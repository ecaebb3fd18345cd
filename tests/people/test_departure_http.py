"""People leave, over HTTP: the people list's 停用 / 恢复 / 注销 with their confirmation pages,
the API's actions (the response is the person), signing in refused afterwards, and her own data
as a workbook."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from coop.activities import service as activities
from coop.activities.models import SignupStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.models import RecordOrigin, ServiceRecord
from coop.people.models import ResidentProfile
from coop.rewards import service as rewards
from tests.factories import (
    PASSWORD,
    bearer,
    csrf,
    give_points,
    login,
    make_activity,
    make_community,
    make_need,
    make_resident,
    make_reward_item,
    make_secretary,
    make_street_admin,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def secretary(community):
    return make_secretary(community)


@pytest.fixture
def leaver(community):
    return make_volunteer(community, display_name="周小燕", phone="13655556666")


def people_path(community, *rest):
    return "/".join([f"/communities/{community.id}/people", *map(str, rest)])


def deactivate_api(client, headers, person, body=None):
    return client.post(
        f"/api/v1/people/{person.id}/deactivate",
        json={"reason": "搬离本社区"} if body is None else body,
        headers=headers,
    )


# --- pages ----------------------------------------------------------------------------------------


def test_the_confirmation_page_says_what_will_end(client, community, secretary, leaver):
    activity = make_activity(community)
    activities.sign_up(leaver, activity.id, now=utcnow())
    login(client, secretary)
    html = client.get(people_path(community, leaver.id, "deactivate")).get_data(as_text=True)
    assert "停用“周小燕”" in html and "取消 1 个尚未开始或进行中的活动报名" in html
    assert activity.title in html and "撤回 0 个她本人的项目认领" in html


def test_the_secretary_deactivates_from_the_page(client, community, secretary, leaver):
    activity = make_activity(community)
    seat = activities.sign_up(leaver, activity.id, now=utcnow())
    login(client, secretary)
    path = people_path(community, leaver.id, "deactivate")
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "搬离本社区"})
    assert response.status_code == 302 and "status=inactive" in response.location
    db.session.refresh(leaver)
    db.session.refresh(seat)
    assert not leaver.is_active and seat.status is SignupStatus.CANCELLED
    html = client.get(response.location).get_data(as_text=True)
    assert "已停用“周小燕”：取消 1 个报名" in html
    assert "已停用" in html and "搬离本社区" in html and "恢复" in html


def test_no_reason_on_the_page_is_422_and_changes_nothing(client, community, secretary, leaver):
    login(client, secretary)
    path = people_path(community, leaver.id, "deactivate")
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    db.session.refresh(leaver)
    assert leaver.is_active


def test_the_list_filters_by_status_and_offers_the_right_buttons(
    client, community, secretary, leaver
):
    stays = make_volunteer(community, display_name="留下的人")
    leaver.is_active = False
    login(client, secretary)
    html = client.get(people_path(community) + "?status=inactive").get_data(as_text=True)
    assert "周小燕" in html and "留下的人" not in html
    assert "注销个人信息" in html and "恢复" in html
    html = client.get(people_path(community) + "?status=active").get_data(as_text=True)
    assert "留下的人" in html and "周小燕" not in html
    assert people_path(community, stays.id, "deactivate") in html
    # she does not stop herself or a colleague from this list
    assert people_path(community, secretary.id, "deactivate") not in html
    assert client.get(people_path(community) + "?status=gone").status_code == 422


def test_the_secretary_reactivates_from_the_list(client, community, secretary, leaver):
    leaver.is_active = False
    login(client, secretary)
    path = people_path(community, leaver.id, "reactivate")
    response = client.post(path, data={"csrf_token": csrf(client, people_path(community))})
    assert response.status_code == 302
    db.session.refresh(leaver)
    assert leaver.is_active


def test_anonymising_from_the_page_needs_the_box_ticked(client, community, secretary, leaver):
    leaver.is_active = False
    login(client, secretary)
    path = people_path(community, leaver.id, "anonymise")
    assert "此操作不可撤销" in client.get(path).get_data(as_text=True)
    refused = client.post(path, data={"csrf_token": csrf(client, path)})
    assert refused.status_code == 422 and "请确认您已了解此操作不可撤销" in refused.get_data(
        as_text=True
    )
    db.session.refresh(leaver)
    assert leaver.display_name == "周小燕"
    done = client.post(path, data={"csrf_token": csrf(client, path), "confirm": "y"})
    assert done.status_code == 302
    db.session.refresh(leaver)
    assert leaver.display_name == "已注销用户" and leaver.phone is None


def test_anonymising_an_active_person_on_the_page_is_409(client, community, secretary, leaver):
    login(client, secretary)
    path = people_path(community, leaver.id, "anonymise")
    response = client.post(path, data={"csrf_token": csrf(client, path), "confirm": "y"})
    assert response.status_code == 409
    assert "请先停用" in response.get_data(as_text=True)
    db.session.refresh(leaver)
    assert leaver.display_name == "周小燕"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (lambda c: make_secretary(make_community()), 404),
        (lambda c: make_volunteer(make_community()), 404),
        (lambda c: make_volunteer(c), 403),
        (lambda c: make_street_admin(c.street), 403),
    ],
)
@pytest.mark.parametrize("action", ["deactivate", "anonymise"])
def test_the_confirmation_pages_are_her_secretarys(client, community, leaver, who, status, action):
    login(client, who(community))
    assert client.get(people_path(community, leaver.id, action)).status_code == status


# --- signing in after -----------------------------------------------------------------------------


def test_once_deactivated_she_is_signed_out_and_cannot_sign_in(
    client, community, secretary, leaver
):
    login(client, leaver)
    token = bearer(leaver)
    assert client.get("/me").status_code == 200
    assert deactivate_api(client, bearer(secretary), leaver).status_code == 200

    assert client.get("/me").status_code == 302  # this browser's session ended
    assert client.get("/api/v1/me", headers=token).status_code == 401
    form = {"csrf_token": csrf(client), "username": leaver.username, "password": PASSWORD}
    refused = client.post("/login", data=form)
    assert refused.status_code == 401 and "用户名或密码不正确" in refused.get_data(as_text=True)
    body = {"username": leaver.username, "password": PASSWORD}
    assert client.post("/api/v1/tokens", json=body).status_code == 401


# --- API ------------------------------------------------------------------------------------------


def test_the_api_deactivates_and_answers_the_person(client, community, secretary, leaver):
    response = deactivate_api(client, bearer(secretary), leaver)
    assert response.status_code == 200
    assert response.json["id"] == leaver.id and response.json["is_active"] is False
    assert response.json["phone"] == "136****6666"
    again = deactivate_api(client, bearer(secretary), leaver)
    assert again.status_code == 409 and again.json["code"] == "already_deactivated"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": " "}])
def test_the_api_wants_a_reason(client, community, secretary, leaver, body):
    response = deactivate_api(client, bearer(secretary), leaver, body)
    assert response.status_code == 422 and "reason" in response.json["errors"]
    db.session.refresh(leaver)
    assert leaver.is_active


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (lambda c: make_secretary(make_community()), 404),
        (lambda c: make_volunteer(make_community()), 404),
        (lambda c: make_volunteer(c), 403),
        (lambda c: make_street_admin(c.street), 403),
    ],
)
@pytest.mark.parametrize("action", ["deactivate", "reactivate", "anonymise"])
def test_the_api_actions_are_her_secretarys(client, community, leaver, who, status, action):
    response = client.post(
        f"/api/v1/people/{leaver.id}/{action}",
        json={"reason": "搬离本社区"} if action == "deactivate" else None,
        headers=bearer(who(community)),
    )
    assert response.status_code == status
    db.session.refresh(leaver)
    assert leaver.is_active and leaver.display_name == "周小燕"


def test_the_api_reactivates_and_anonymises(client, community, secretary, leaver):
    headers = bearer(secretary)
    refused = client.post(f"/api/v1/people/{leaver.id}/anonymise", headers=headers)
    assert refused.status_code == 409 and refused.json["code"] == "still_active"
    deactivate_api(client, headers, leaver)
    back = client.post(f"/api/v1/people/{leaver.id}/reactivate", headers=headers)
    assert back.status_code == 200 and back.json["is_active"] is True
    deactivate_api(client, headers, leaver)
    gone = client.post(f"/api/v1/people/{leaver.id}/anonymise", headers=headers)
    assert gone.status_code == 200
    assert gone.json["display_name"] == "已注销用户" and gone.json["phone"] == ""
    assert gone.json["username"] == f"deleted-{leaver.id}"


def test_the_people_api_filters_by_status(client, community, secretary, leaver):
    make_volunteer(community)
    leaver.is_active = False
    listed = client.get(
        f"/api/v1/communities/{community.id}/people?status=inactive", headers=bearer(secretary)
    )
    assert [p["id"] for p in listed.json["items"]] == [leaver.id]


# --- her own data ---------------------------------------------------------------------------------


def sheets_of(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def texts(sheet) -> str:
    return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)


def test_her_export_holds_her_rows_and_nobody_elses(client, community, secretary, leaver):
    other = make_volunteer(community, display_name="别人", phone="13711112222")
    give_points(leaver, community, 100)
    give_points(other, community, 70)
    mine, theirs = (
        make_activity(community, title="我的活动"),
        make_activity(community, title="别人的活动"),
    )
    activities.sign_up(leaver, mine.id, now=utcnow())
    activities.sign_up(other, theirs.id, now=utcnow())
    item = make_reward_item(community, name="我换的毛巾", cost=30)
    rewards.reserve(leaver, item.id, now=utcnow())
    rewards.reserve(other, make_reward_item(community, name="别人的米", cost=30).id, now=utcnow())
    for volunteer, hours in ((leaver, 2), (other, 5)):
        db.session.add(
            ServiceRecord(
                community_id=community.id,
                volunteer_id=volunteer.id,
                service_date=utcnow().date() - timedelta(days=1),
                hours=hours,
                origin=RecordOrigin.ENTERED,
                entered_by_id=secretary.id,
                note=f"{volunteer.display_name}的服务",
            )
        )
    make_need(
        community, requester_id=leaver.id, title="我的需求标题", requester_phone="13655556666"
    )
    make_need(community, title="别人的需求标题")

    workbook = sheets_of(client.get("/api/v1/me/export", headers=bearer(leaver)))

    assert workbook.sheetnames == [
        "个人资料",
        "报名记录",
        "服务时长",
        "积分明细",
        "兑换记录",
        "我的需求",
    ]
    profile = texts(workbook["个人资料"])
    assert "周小燕" in profile and "13655556666" in profile  # unmasked: it is hers
    assert "我的活动" in texts(workbook["报名记录"]) and "别人的活动" not in texts(
        workbook["报名记录"]
    )
    assert "周小燕的服务" in texts(workbook["服务时长"]) and "别人" not in texts(
        workbook["服务时长"]
    )
    points = [row[4] for row in workbook["积分明细"].iter_rows(min_row=2, values_only=True)]
    assert sorted(points) == [-30, 100]
    assert "我换的毛巾" in texts(workbook["兑换记录"]) and "别人的米" not in texts(
        workbook["兑换记录"]
    )
    needs = texts(workbook["我的需求"])
    assert "我的需求标题" in needs and "13655556666" in needs and "别人的需求标题" not in needs
    everything = " ".join(texts(s) for s in workbook.worksheets)
    assert "13711112222" not in everything and "别人" not in everything


def test_the_export_is_named_in_chinese_with_an_ascii_fallback(client, community, leaver):
    response = client.get("/api/v1/me/export", headers=bearer(leaver))
    disposition = response.headers["Content-Disposition"]
    assert 'filename="my-data-' in disposition and "filename*=UTF-8''%E6%88%91" in disposition
    assert response.headers["Cache-Control"] == "no-store"


def test_a_resident_exports_her_address_from_her_page(client, community):
    resident = make_resident(community, display_name="居民甲")
    db.session.add(ResidentProfile(user=resident, community_id=community.id, address="幸福里1号"))
    login(client, resident)
    assert "下载我的数据" in client.get("/me").get_data(as_text=True)
    workbook = sheets_of(client.get("/me/export.xlsx"))
    assert "幸福里1号" in texts(workbook["个人资料"])
    assert workbook["报名记录"].max_row == 1  # headers only


def test_the_export_needs_a_signed_in_person(client, ctx):
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.get("/me/export.xlsx").status_code == 302


def test_a_departed_persons_people_row_keeps_no_contact_once_anonymised(
    client, community, secretary, leaver
):
    headers = bearer(secretary)
    deactivate_api(client, headers, leaver)
    client.post(f"/api/v1/people/{leaver.id}/anonymise", headers=headers)
    login(client, secretary)
    html = client.get(people_path(community) + "?status=inactive").get_data(as_text=True)
    assert "已注销用户" in html and "周小燕" not in html and "136****6666" not in html
    assert "个人信息已注销" in html
