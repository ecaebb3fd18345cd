"""The volunteer's own pages: 我的积分, 我的消息, and what 我的 and the nav show her."""

from datetime import timedelta

import pytest

from coop.activities import service as activities
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours import service as hours
from coop.ledger import service as ledger
from coop.ledger.models import AccountType, PostingKind
from coop.notices.inbox import unread_count
from coop.notices.models import Notice
from coop.notices.service import notify
from tests.factories import (
    login,
    make_activity,
    make_community,
    make_resident,
    make_secretary,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


@pytest.fixture
def volunteer(community):
    return make_volunteer(community)


def _serve(community, volunteer, title="敬老助餐", minutes=90, days_ago=7):
    """A session held days ago that she attended; the secretary verified it."""
    activity = make_activity(
        community, title=title, starts_at=utcnow() - timedelta(days=days_ago, minutes=minutes)
    )
    activities.sign_up(volunteer, activity.id, now=activity.starts_at - timedelta(days=1))
    code = activity.checkin_code
    activities.check_in(volunteer, activity.id, code=code, now=activity.starts_at)
    record = activities.check_out(
        volunteer, activity.id, code=code, now=activity.starts_at + timedelta(minutes=minutes)
    )
    return hours.verify_record(make_secretary(community), record.id, now=utcnow())


def test_my_points_shows_the_balance_and_where_each_came_from(client, community, volunteer):
    _serve(community, volunteer, "敬老助餐", 90)
    _serve(community, volunteer, "垃圾分类宣传", 60, days_ago=3)
    login(client, volunteer)
    html = client.get("/my/points").get_data(as_text=True)
    assert '<p class="balance">25</p>' in html
    assert "志愿服务时长" in html and "敬老助餐" in html and "垃圾分类宣传" in html
    assert "+15" in html and "+10" in html and "每小时 10 积分" in html


def test_held_points_are_shown_apart(client, community, volunteer):
    _serve(community, volunteer)
    mine = ledger.account_for(AccountType.VOLUNTEER, community.id, volunteer.id)
    hold = ledger.account_for(AccountType.HOLD, community.id, volunteer.id)
    ledger.post(
        key="redemption:1",
        kind=PostingKind.RESERVE,
        source_type="redemption",
        source_id=1,
        lines=[(mine, -5), (hold, 5)],
        memo="大米一袋",
    )
    login(client, volunteer)
    html = client.get("/my/points").get_data(as_text=True)
    assert '<p class="balance">10</p>' in html and "兑换冻结中 5 积分" in html
    assert "兑换预约" in html and "大米一袋" in html and "-5" in html


def test_the_statement_is_paginated(client, community, volunteer):
    _serve(community, volunteer, "第一次", 60)
    _serve(community, volunteer, "第二次", 30, days_ago=3)
    login(client, volunteer)
    html = client.get("/my/points?per_page=1").get_data(as_text=True)
    assert "第二次" in html and "第一次" not in html and "第 1 / 2 页" in html
    html = client.get("/my/points?per_page=1&page=2").get_data(as_text=True)
    assert "第一次" in html and "第二次" not in html


def test_a_bad_page_number_is_refused(client, volunteer):
    login(client, volunteer)
    assert client.get("/my/points?page=0").status_code == 422


def test_no_points_yet_says_how_to_earn_them(client, volunteer):
    login(client, volunteer)
    html = client.get("/my/points").get_data(as_text=True)
    assert '<p class="balance">0</p>' in html and "还没有积分记录" in html


def test_the_me_page_is_drawn_with_her_balance_and_notices(client, community, volunteer):
    """Not loaded after the page: arriving later, they pushed down the buttons below them."""
    _serve(community, volunteer)
    notify(volunteer.id, "服务时长已核实")
    login(client, volunteer)
    me = client.get("/me").get_data(as_text=True)
    assert '<p class="balance">15</p>' in me and 'id="notices-summary"' in me
    assert "服务时长已核实" in me and 'hx-trigger="load"' not in me.split("<main", 1)[1]


def test_a_resident_has_no_points_on_her_me_page(client, community):
    login(client, make_resident(community))
    me = client.get("/me").get_data(as_text=True)
    assert 'id="points-summary"' not in me and 'id="notices-summary"' in me


def test_someone_elses_points_never_show(client, community, volunteer):
    _serve(community, make_volunteer(community), "别人的活动")
    login(client, volunteer)
    html = client.get("/my/points").get_data(as_text=True)
    assert "别人的活动" not in html and '<p class="balance">0</p>' in html


# --- 我的消息 -------------------------------------------------------------------------------


def test_opening_the_inbox_leaves_each_unread_until_opened(client, volunteer):
    notify(volunteer.id, "候补成功：您已获得“重阳敬老”的名额", link="/activities/1")
    notify(volunteer.id, "服务时长未通过核实", body="当天未到场")
    login(client, volunteer)
    html = client.get("/my/notices").get_data(as_text=True)
    assert "候补成功" in html and "当天未到场" in html and html.count(">新</span>") == 2
    assert unread_count(volunteer.id) == 2


def test_the_unread_badge_shows_without_marking_read(client, volunteer):
    for n in range(4):
        notify(volunteer.id, f"通知{n}")
    login(client, volunteer)
    me = client.get("/me").get_data(as_text=True)
    assert '<span class="count"' in me and ">4</span>" in me
    assert "通知3" in me and "通知0" not in me  # the newest few only
    assert unread_count(volunteer.id) == 4


def test_no_unread_badge_when_all_is_read(client, volunteer):
    db.session.add(Notice(user_id=volunteer.id, title="旧消息", read_at=utcnow()))
    login(client, volunteer)
    summary = client.get("/me").get_data(as_text=True).split('id="notices-summary"', 1)[1]
    assert "旧消息" in summary and '<span class="count"' not in summary


def test_notices_need_a_sign_in(client):
    assert client.get("/my/notices").status_code == 302
    assert client.get("/my/points").status_code == 302


# --- The nav -----------------------------------------------------------------------------


def test_the_nav_takes_a_volunteer_to_activities_and_points(client, community, volunteer):
    login(client, volunteer)
    html = client.get("/me").get_data(as_text=True)
    assert f'href="/communities/{community.id}/activities"' in html
    assert 'href="/my/points"' in html and ">时长核实</a>" not in html


def test_the_nav_takes_a_secretary_to_activities_and_the_hours_queue(client, community):
    login(client, make_secretary(community))
    html = client.get("/me").get_data(as_text=True)
    assert f'href="/communities/{community.id}/activities"' in html
    assert f'href="/communities/{community.id}/hours"' in html and ">时长核实</a>" in html
    assert ">我的积分</a>" not in html
