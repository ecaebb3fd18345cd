"""The per-person lists export what they show: 我的认领 and 社区点单, every row, ids as text,
only her own (another's claims never appear), and no export for one who has no such list."""

import pytest

from coop.claims.models import ClaimStatus, ResourceOrder
from coop.extensions import db
from tests.exports.test_list_exports import claim, shown, values
from tests.factories import (
    login,
    make_community,
    make_liaison,
    make_project,
    make_resource,
    make_unit,
    make_volunteer,
)


@pytest.fixture
def community(ctx):
    return make_community()


def test_my_claims_export_holds_what_the_page_shows(client, community):
    unit, other = make_unit(community, name="幸福物业"), make_unit(community, name="别家单位")
    liaison = make_liaison(unit)
    for i in range(23):  # more than a page
        claim(make_project(community, title=f"认领项目{i:02d}"), unit, ClaimStatus.APPROVED)
    claim(make_project(community, title="别人的认领"), other, ClaimStatus.PENDING)
    login(client, liaison)
    html = client.get("/my/claims").get_data(as_text=True)
    assert "/my/claims/export.xlsx" in html
    header, rows = values(client.get("/my/claims/export.xlsx"))
    assert header[:5] == ("编号", "项目", "社区", "认领方", "状态")
    assert len(rows) == 23
    assert all(isinstance(row[0], str) for row in rows)  # ids stay text
    assert {row[4] for row in rows} == {"已认领"} or len({row[4] for row in rows}) == 1
    titles = {row[1] for row in rows}
    assert "别人的认领" not in titles
    assert titles == shown(client, "/my/claims", titles | {"别人的认领"})


def test_my_claims_export_is_empty_for_someone_with_none(client, community):
    login(client, make_volunteer(community))
    header, rows = values(client.get("/my/claims/export.xlsx"))
    assert header[0] == "编号" and rows == []


def test_orders_export_holds_each_of_her_units_orders(client, community):
    unit = make_unit(community, name="幸福物业")
    project = make_project(community, title="社区义诊")
    resource = make_resource(unit, community, title="医护志愿者")
    order = ResourceOrder(project=project, resource=resource, unit_id=unit.id, note="周六上午")
    elsewhere = make_unit(community, name="别家单位")
    db.session.add_all(
        [
            order,
            ResourceOrder(
                project=make_project(community, title="不是给她的点单"),
                resource=make_resource(elsewhere, community, title="场地"),
                unit_id=elsewhere.id,
            ),
        ]
    )
    db.session.flush()
    login(client, make_liaison(unit))
    assert "/orders/export.xlsx" in client.get("/orders").get_data(as_text=True)
    response = client.get("/orders/export.xlsx")
    assert (
        "幸福物业" in response.headers["Content-Disposition"]
        or "orders-" in (response.headers["Content-Disposition"])
    )
    header, rows = values(response)
    assert header == (
        "编号",
        "单位",
        "项目",
        "社区",
        "点单资源",
        "状态",
        "说明",
        "我方回复",
        "点单时间",
    )
    assert [(r[0], r[1], r[2], r[4], r[6]) for r in rows] == [
        (str(order.id), "幸福物业", "社区义诊", "医护志愿者", "周六上午")
    ]


def test_orders_export_is_refused_to_one_who_is_no_liaison(client, community):
    login(client, make_volunteer(community))
    assert client.get("/orders").status_code == 403
    assert client.get("/orders/export.xlsx").status_code == 403


def test_my_activities_export_lists_her_signups_with_her_hours(client, community):
    from datetime import timedelta

    from coop.activities import service as activities
    from coop.dbtypes import utcnow
    from coop.hours import service as hours
    from tests.factories import make_activity, make_secretary

    her = make_volunteer(community, display_name="周小红")
    start = utcnow() - timedelta(days=2)
    held = make_activity(community, title="社区清扫", starts_at=start)
    ahead = make_activity(community, title="读书会")
    someone = make_volunteer(community)
    for activity, when in ((held, start - timedelta(days=1)), (ahead, utcnow())):
        activities.sign_up(her, activity.id, now=when)
    activities.sign_up(someone, ahead.id, now=utcnow())
    activities.check_in(her, held.id, code=held.checkin_code, now=start)
    record = activities.check_out(
        her, held.id, code=held.checkin_code, now=start + timedelta(minutes=90)
    )
    hours.verify_record(make_secretary(community), record.id, now=record.created_at)
    login(client, her)
    page = client.get("/my/activities").get_data(as_text=True)
    assert "/my/activities/export.xlsx" in page
    header, rows = values(client.get("/my/activities/export.xlsx"))
    assert header[0] == "活动名称" and header[-2:] == ("服务时长（小时）", "时长状态")
    by_title = {row[0]: row for row in rows}
    assert set(by_title) == {"社区清扫", "读书会"}
    assert by_title["社区清扫"][-2:] == (1.5, "已核实")
    assert by_title["读书会"][-2:] == (None, None)


def test_my_points_redemptions_and_needs_export_only_hers(client, community):
    from coop.categories import Category
    from coop.dbtypes import utcnow
    from coop.needs.models import Beneficiary, Need, NeedSource
    from coop.rewards import service as rewards
    from tests.factories import give_points, make_reward_item

    her, other = make_volunteer(community, display_name="吴玉兰"), make_volunteer(community)
    give_points(her, community, 80)
    give_points(other, community, 5)
    rewards.reserve(her, make_reward_item(community, name="洗衣液", cost=30).id, now=utcnow())
    for who, title in ((her, "楼道灯坏了"), (other, "别人的需求")):
        db.session.add(
            Need(
                community_id=community.id,
                title=title,
                category=Category.CARE,
                source=NeedSource.HALL,
                beneficiary_group=Beneficiary.ELDERLY,
                requester_id=who.id,
                requester_name=who.display_name,
            )
        )
    db.session.flush()
    login(client, her)
    assert "/my/points/export.xlsx" in client.get("/my/points").get_data(as_text=True)
    header, rows = values(client.get("/my/points/export.xlsx"))
    assert header == ("时间", "社区", "类别", "积分", "说明")
    assert sorted(row[3] for row in rows) == [-30, 80]  # the reservation moved 30 to her hold
    assert "/supermarket/redemptions/export.xlsx" in client.get(
        "/supermarket/redemptions"
    ).get_data(as_text=True)
    header, rows = values(client.get("/supermarket/redemptions/export.xlsx"))
    assert [(r[0], r[2]) for r in rows] == [("洗衣液", 30)]
    assert "/my/needs/export.xlsx" in client.get("/my/needs").get_data(as_text=True)
    response = client.get("/my/needs/export.xlsx")
    text = str(list(sheet_rows(response)))
    assert "楼道灯坏了" in text and "别人的需求" not in text


def sheet_rows(response):
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
