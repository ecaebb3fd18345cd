from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from coop.activities import service as activities
from coop.auth.models import Role, RoleGrant
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.people.models import VolunteerProfile
from coop.timeutil import local_today
from tests.factories import (
    csrf,
    login,
    make_activity,
    make_community,
    make_secretary,
    make_volunteer,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def held(community):
    """A two-hour session held last week."""
    return make_activity(community, title="上周助餐", starts_at=utcnow() - timedelta(days=7))


def attend(volunteer, activity, minutes=90) -> ServiceRecord:
    """Sign up, check in and out: her pending record."""
    activities.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))
    activities.check_in(volunteer, activity.id, code=activity.checkin_code, now=activity.starts_at)
    return activities.check_out(
        volunteer,
        activity.id,
        code=activity.checkin_code,
        now=activity.starts_at + timedelta(minutes=minutes),
    )


def _records() -> list[ServiceRecord]:
    return list(db.session.scalars(sa.select(ServiceRecord).order_by(ServiceRecord.id)))


def _balance(volunteer, community) -> int:
    return ledger.balance_of(ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id))


def _volunteering_secretary(community):
    """A secretary who also serves as a volunteer in her community."""
    secretary = make_secretary(community)
    secretary.grants.append(RoleGrant(role=Role.VOLUNTEER, community_id=community.id))
    db.session.add(VolunteerProfile(user=secretary, home_community_id=community.id))
    db.session.flush()
    return secretary


@pytest.mark.parametrize("path", ["/communities/{c}/hours", "/communities/{c}/hours/volunteers"])
def test_another_communitys_queue_is_not_found(client, community, path):
    login(client, make_secretary(make_community()))
    assert client.get(path.format(c=community.id)).status_code == 404


def test_the_queue_is_forbidden_to_volunteers(client, community, held):
    volunteer = make_volunteer(community)
    record = attend(volunteer, held)
    login(client, volunteer)
    assert client.get(f"/communities/{community.id}/hours").status_code == 403
    assert client.get(f"/service-records/{record.id}/reject").status_code == 403


def test_the_queue_lists_pending_hours_with_their_origin(client, community, held):
    attend(make_volunteer(community, display_name="王秀英"), held)
    clerk = make_secretary(community, display_name="张干事")
    service.enter_hours(
        clerk,
        community.id,
        volunteer_id=make_volunteer(community, display_name="李建国").id,
        activity_id=held.id,
        hours=Decimal(2),
        note="忘记签退",
    )
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/hours").get_data(as_text=True)
    assert "王秀英" in html and "上周助餐" in html and "1小时30分钟</strong>" in html
    assert "签到签退" in html and "本人签到签退" in html
    assert "李建国" in html and "补录人：张干事" in html and "忘记签退" in html
    assert html.count(">核实</button>") == 2 and html.count(">驳回</a>") == 2


def test_the_verify_button_is_absent_on_her_own_hours(client, community, held):
    secretary = _volunteering_secretary(community)
    attend(secretary, held)
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/hours").get_data(as_text=True)
    assert ">核实</button>" not in html and ">驳回</a>" not in html
    assert "不能核实自己的服务时长" in html


def test_the_verify_button_is_absent_on_hours_she_entered(client, community, held):
    secretary = make_secretary(community)
    record = service.enter_hours(
        secretary,
        community.id,
        volunteer_id=make_volunteer(community).id,
        activity_id=held.id,
        hours=Decimal(1),
    )
    login(client, secretary)
    queue = f"/communities/{community.id}/hours"
    html = client.get(queue).get_data(as_text=True)
    assert ">核实</button>" not in html and ">驳回</a>" not in html
    assert "补录的时长需由另一位工作人员核实" in html
    # and the service refuses it too, should the button be forged
    response = client.post(
        f"/service-records/{record.id}/verify", data={"csrf_token": csrf(client, queue)}
    )
    assert response.status_code == 403
    db.session.refresh(record)
    assert record.status is RecordStatus.PENDING


def test_verifying_swaps_the_row_and_posts_the_points(client, community, held):
    volunteer = make_volunteer(community)
    record = attend(volunteer, held)
    login(client, make_secretary(community, display_name="张干事"))
    queue = f"/communities/{community.id}/hours"
    response = client.post(
        f"/service-records/{record.id}/verify",
        data={"csrf_token": csrf(client, queue)},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "hours-changed"
    assert response.headers["HX-Retarget"] == f"#record-{record.id}"
    assert "<html" not in html and f'<li id="record-{record.id}">' in html
    assert "已核实" in html and "核实人：张干事" in html and "15 积分" in html and "冲正" in html
    assert _balance(volunteer, community) == 15
    # the counts the queue re-fetches on hours-changed
    counts = client.get(queue, headers=HTMX).get_data(as_text=True)
    assert "<html" not in counts and "<dt>待核实</dt><dd>0</dd>" in counts
    assert "<dt>已核实</dt><dd>1</dd>" in counts


def test_verifying_works_without_javascript(client, community, held):
    record = attend(make_volunteer(community), held)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/hours"
    response = client.post(
        f"/service-records/{record.id}/verify", data={"csrf_token": csrf(client, queue)}
    )
    assert response.location == f"{queue}#pending"
    assert "积分 15 已到账" in client.get(response.location).get_data(as_text=True)


def test_verifying_twice_is_refused_in_the_row(client, community, held):
    record = attend(make_volunteer(community), held)
    secretary = make_secretary(community)
    service.verify_record(secretary, record.id, now=utcnow())
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/hours"
    response = client.post(
        f"/service-records/{record.id}/verify",
        data={"csrf_token": csrf(client, queue)},
        headers=HTMX,
    )
    assert response.status_code == 409 and "已核实" in response.get_data(as_text=True)


def test_rejecting_needs_a_reason(client, community, held):
    volunteer = make_volunteer(community)
    record = attend(volunteer, held)
    login(client, make_secretary(community))
    path = f"/service-records/{record.id}/reject"
    assert "确认驳回" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in response.get_data(as_text=True)
    db.session.refresh(record)
    assert record.status is RecordStatus.PENDING
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "当天未到场"})
    assert response.location == f"/communities/{community.id}/hours#pending"
    db.session.refresh(record)
    assert record.status is RecordStatus.REJECTED and record.reject_reason == "当天未到场"


def test_reversing_takes_the_hours_and_points_back(client, community, held):
    volunteer = make_volunteer(community)
    record = attend(volunteer, held)
    service.verify_record(make_secretary(community), record.id, now=utcnow())
    login(client, make_secretary(community))
    path = f"/service-records/{record.id}/reverse"
    assert "确认冲正" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "x"})
    assert response.status_code == 422 and len(_records()) == 1
    response = client.post(path, data={"csrf_token": csrf(client, path), "reason": "时长录错"})
    assert response.location == f"/communities/{community.id}/hours#verified"
    original, reversal = _records()
    assert reversal.reverses_id == original.id and reversal.hours == Decimal("-1.5")
    assert _balance(volunteer, community) == 0
    html = client.get(f"/communities/{community.id}/hours").get_data(as_text=True)
    assert "已冲正" in html and ">冲正</a>" not in html


def _enter_form(client, queue, **overrides) -> dict:
    return {"csrf_token": csrf(client, queue), "hours": "1.5", "note": "忘记签到", **overrides}


def test_entering_hours_waits_for_a_second_person(client, community, held):
    volunteer = make_volunteer(community, display_name="陈阿姨", phone="13712345678")
    secretary = make_secretary(community)
    login(client, secretary)
    queue = f"/communities/{community.id}/hours"
    html = client.get(queue).get_data(as_text=True)
    assert "陈阿姨 137****5678" in html and "上周助餐（2小时）" in html
    response = client.post(
        queue,
        data=_enter_form(client, queue, volunteer_id=str(volunteer.id), activity_id=str(held.id)),
    )
    assert response.location == f"{queue}#pending"
    (record,) = _records()
    assert record.origin is RecordOrigin.ENTERED and record.entered_by_id == secretary.id
    assert record.hours == Decimal("1.5") and record.status is RecordStatus.PENDING


def test_entering_hours_for_someone_who_checked_out_names_her_record(client, community, held):
    volunteer = make_volunteer(community, display_name="陈阿姨")
    checked_out = attend(volunteer, held)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/hours"
    form = _enter_form(client, queue, volunteer_id=str(volunteer.id), activity_id=str(held.id))
    response = client.post(queue, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "陈阿姨在“上周助餐”已有服务记录" in html and "1小时30分钟" in html
    assert "签到签退" in html and "待核实" in html and "驳回" in html
    assert 'value="忘记签到"' in html  # the form keeps what she typed
    assert _records() == [checked_out]


def test_entering_more_than_the_session_is_refused_beside_the_field(client, community, held):
    volunteer = make_volunteer(community)
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/hours"
    form = _enter_form(
        client, queue, volunteer_id=str(volunteer.id), activity_id=str(held.id), hours="3"
    )
    response = client.post(queue, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-hours"' in html and "补录时长不能超过活动时长" in html and 'value="3"' in html
    assert _records() == []


def test_an_incomplete_entry_shows_every_error(client, community, held):
    login(client, make_secretary(community))
    queue = f"/communities/{community.id}/hours"
    response = client.post(queue, data=_enter_form(client, queue, hours="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-volunteer_id"' in html and 'id="e-activity_id"' in html
    assert 'id="e-hours"' in html and "请填写数字" in html
    assert _records() == []


def test_the_volunteer_search_narrows_the_options(client, community):
    make_volunteer(community, display_name="周大妈")
    make_volunteer(community, display_name="吴老师")
    login(client, make_secretary(community))
    path = f"/communities/{community.id}/hours/volunteers?q=周"
    fragment = client.get(path, headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith("<option")
    assert "周大妈" in fragment and "吴老师" not in fragment
    page = client.get(f"/communities/{community.id}/hours?q=周").get_data(as_text=True)
    assert "<html" in page and "周大妈" in page and "吴老师" not in page


def test_a_long_volunteer_list_says_it_is_cut_and_search_finds_the_rest(client, community):
    from coop.hours.views import VOLUNTEER_OPTIONS

    for i in range(VOLUNTEER_OPTIONS):
        make_volunteer(community, display_name=f"甲{i:03d}")
    make_volunteer(community, display_name="龙最后一位")  # sorts after every 甲 (U+9F99 > U+7532)
    login(client, make_secretary(community))
    html = client.get(f"/communities/{community.id}/hours").get_data(as_text=True)
    assert f"仅列出前 {VOLUNTEER_OPTIONS} 人" in html and "龙最后一位" not in html
    path = f"/communities/{community.id}/hours/volunteers?q=龙"
    fragment = client.get(path, headers=HTMX).get_data(as_text=True)
    assert "龙最后一位" in fragment and "共 1 人" in fragment and "仅列出" not in fragment


def test_the_reverse_button_is_absent_on_her_own_verified_hours(client, community, held):
    secretary = _volunteering_secretary(community)
    record = attend(secretary, held)
    service.verify_record(make_secretary(community), record.id, now=utcnow())
    login(client, secretary)
    html = client.get(f"/communities/{community.id}/hours").get_data(as_text=True)
    assert f'id="record-{record.id}"' in html and ">冲正</a>" not in html
    assert client.get(f"/service-records/{record.id}/reverse").status_code == 403


def _export_args(**offsets) -> dict:
    """?from=&to= as days from today (an int) or as typed (a str)."""
    return {
        name: (local_today() + timedelta(days=v)).isoformat() if isinstance(v, int) else v
        for name, v in offsets.items()
    }


@pytest.mark.parametrize(
    ("offsets", "field", "message"),
    [
        ({"from": -1, "to": -30}, "from", "开始日期不能晚于结束日期。"),
        ({"from": -30, "to": 30}, "to", "结束日期不能晚于今天。"),
        ({"from": 30, "to": -300}, "from", "开始日期不能晚于今天。"),
        ({"from": -400, "to": 0}, "from", "一次最多导出 366 天的记录，请缩小日期范围。"),
        ({"from": "2025-02-30"}, "from", "请按 年-月-日 填写日期"),
    ],
    ids=["from-after-to", "to-after-today", "from-after-today", "over-366-days", "not-a-date"],
)
def test_a_refused_export_range_redraws_the_form_beside_its_field(
    client, community, offsets, field, message
):
    login(client, make_secretary(community))
    args = _export_args(**offsets)
    export = f"/communities/{community.id}/hours/export.xlsx"
    response = client.get(export, query_string=args)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "spreadsheetml" not in response.content_type
    assert f'action="{export}"' in html  # the form itself, to send again
    assert f'id="e-{field}"' in html and message in html
    for value in args.values():
        assert f'value="{value}"' in html  # what she typed is kept


def test_a_valid_export_range_still_downloads_the_file(client, community):
    login(client, make_secretary(community))
    response = client.get(
        f"/communities/{community.id}/hours/export.xlsx",
        query_string=_export_args(**{"from": -365, "to": 0}),
    )
    assert response.status_code == 200
    assert "spreadsheetml" in response.content_type
    assert "attachment" in response.headers["Content-Disposition"]
