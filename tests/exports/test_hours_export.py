"""Verified hours for the national system: one row per volunteer and verified record."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.export import HEADERS
from coop.hours.models import RecordOrigin, RecordStatus, ServiceRecord
from coop.timeutil import local_today
from tests.factories import login, make_activity, make_community, make_secretary, make_volunteer

DOCUMENTED = [
    "姓名",
    "证件类型",
    "证件号码",
    "联系电话",
    "志愿者编号",
    "服务日期",
    "服务项目（活动）",
    "服务内容",
    "服务时长（小时）",
    "记录方式",
    "是否补录",
    "出具单位",
    "记录编号",
]


@pytest.fixture
def community(ctx):
    return make_community(name="阳光社区")


@pytest.fixture
def secretary(community):
    return make_secretary(community)


def record(community, volunteer, activity, verifier, **overrides) -> ServiceRecord:
    row = ServiceRecord(
        **{
            "community_id": community.id,
            "volunteer_id": volunteer.id,
            "activity_id": activity.id if activity else None,
            "service_date": local_today() - timedelta(days=1),
            "hours": Decimal("1.5"),
            "origin": RecordOrigin.CHECKIN,
            "status": RecordStatus.VERIFIED,
            "verified_by_id": verifier.id,
            **overrides,
        }
    )
    db.session.add(row)
    db.session.flush()
    return row


def export(client, community, **args):
    return client.get(f"/communities/{community.id}/hours/export.xlsx", query_string=args)


def sheet_rows(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.data))
    return list(workbook.active.iter_rows(values_only=True))


def test_columns_are_the_documented_ones(client, community, secretary):
    login(client, secretary)
    response = export(client, community)
    assert response.status_code == 200
    assert sheet_rows(response)[0] == tuple(DOCUMENTED)
    assert [h for h, _w in HEADERS] == DOCUMENTED
    doc = (Path(__file__).parents[2] / "docs" / "hours-export.md").read_text(encoding="utf-8")
    for header in DOCUMENTED:
        assert f"| {header} |" in doc


def test_only_verified_hours_that_still_count_are_exported(client, community, secretary):
    volunteer = make_volunteer(community, display_name="王芳", phone="13812345678")
    activities = [
        make_activity(community, title=f"助餐{i}", starts_at=utcnow() - timedelta(days=2))
        for i in range(4)
    ]
    kept = record(community, volunteer, activities[0], secretary)
    record(
        community,
        volunteer,
        activities[1],
        secretary,
        status=RecordStatus.PENDING,
        verified_by_id=None,
    )
    record(community, volunteer, activities[2], secretary, status=RecordStatus.REJECTED)
    record(community, volunteer, activities[3], secretary, reversed_at=utcnow())
    login(client, secretary)
    rows = sheet_rows(export(client, community))[1:]
    assert [row[-1] for row in rows] == [str(kept.id)]
    (row,) = rows
    assert row[0] == "王芳"
    assert row[3] == "138****5678"
    assert row[6] == "助餐0"
    assert row[8] == 1.5
    assert row[11] == "阳光社区"


def test_entered_hours_are_flagged_in_their_own_column(client, community, secretary):
    volunteer = make_volunteer(community)
    activity = make_activity(community, starts_at=utcnow() - timedelta(days=2))
    other = make_secretary(community)
    record(
        community,
        volunteer,
        activity,
        secretary,
        origin=RecordOrigin.ENTERED,
        entered_by_id=other.id,
        note="整理图书",
    )
    login(client, secretary)
    (row,) = sheet_rows(export(client, community))[1:]
    assert row[9] == "补录"
    assert row[10] == "是"
    assert row[7] == "整理图书"


def test_record_id_and_phone_stay_text(client, community, secretary):
    volunteer = make_volunteer(community, phone="13800001111")
    activity = make_activity(community, starts_at=utcnow() - timedelta(days=2))
    record(community, volunteer, activity, secretary)
    login(client, secretary)
    workbook = load_workbook(io.BytesIO(export(client, community).data))
    row = next(workbook.active.iter_rows(min_row=2))
    assert row[12].data_type == "s"
    assert row[3].value == "138****1111"


def test_file_is_named_after_the_community_and_range(client, community, secretary):
    login(client, secretary)
    today = local_today()
    response = export(client, community, **{"from": today.replace(day=1).isoformat()})
    disposition = response.headers["Content-Disposition"]
    assert "%E9%98%B3%E5%85%89%E7%A4%BE%E5%8C%BA" in disposition  # 阳光社区
    assert today.isoformat() in disposition
    assert response.headers["Cache-Control"] == "no-store"


def test_range_filters_by_service_date(client, community, secretary):
    volunteer = make_volunteer(community)
    a1 = make_activity(community, starts_at=utcnow() - timedelta(days=40))
    a2 = make_activity(community, starts_at=utcnow() - timedelta(days=2))
    record(community, volunteer, a1, secretary, service_date=local_today() - timedelta(days=40))
    recent = record(
        community, volunteer, a2, secretary, service_date=local_today() - timedelta(days=2)
    )
    login(client, secretary)
    start = (local_today() - timedelta(days=10)).isoformat()
    rows = sheet_rows(export(client, community, **{"from": start, "to": local_today().isoformat()}))
    assert [row[-1] for row in rows[1:]] == [str(recent.id)]


@pytest.mark.parametrize(
    "args",
    [
        {"from": "2025-03-01", "to": "2025-02-01"},  # from after to
        {"from": "2024-01-01", "to": "2025-03-01"},  # over a year
        {"to": "2099-01-01"},  # in the future
        {"from": "2025-02-30"},  # not a date
    ],
)
def test_bad_range_is_422_and_no_file(client, community, secretary, args):
    login(client, secretary)
    response = export(client, community, **args)
    assert response.status_code == 422
    assert "spreadsheetml" not in response.content_type


def test_a_volunteer_cannot_export_the_communitys_hours(client, community):
    login(client, make_volunteer(community))
    assert export(client, community).status_code == 403


def test_another_communitys_secretary_gets_404(client, community):
    login(client, make_secretary(make_community()))
    assert export(client, community).status_code == 404


def test_statements_do_not_grow_with_rows(client, community, secretary, count_queries):
    login(client, secretary)

    def measure(n: int) -> int:
        for _ in range(n):
            volunteer = make_volunteer(community)
            activity = make_activity(community, starts_at=utcnow() - timedelta(days=2))
            record(community, volunteer, activity, secretary)
        with count_queries() as counted:
            assert export(client, community).status_code == 200
        return counted.n

    assert measure(2) == measure(20)
