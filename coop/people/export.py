"""Her own data as a workbook (个人信息保护法: the right to a copy): profile, sign-ups, hours,
points, redemptions and needs, unmasked because they are hers. Built from the same queries the
pages use for her, with ``mine`` scopes, so nobody else's rows can slip in."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from coop import xlsx
from coop.activities import queries as activity_queries
from coop.alliance import queries as alliance_queries
from coop.auth.models import User
from coop.extensions import db
from coop.hours import queries as hours_queries
from coop.ledger import service as ledger
from coop.ledger.models import AccountType
from coop.needs import queries as needs_queries
from coop.rewards import queries as reward_queries
from coop.timeutil import COMMUNITY_TZ, local_today

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FDECEC")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def file_names() -> tuple[str, str]:
    """The download's name, and its ASCII stand-in for old clients."""
    today = local_today().isoformat()
    return f"我的数据-{today}.xlsx", f"my-data-{today}.xlsx"


def my_data(actor: User) -> bytes:
    """The workbook of everything Coop keeps about the signed-in person."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    with force_locale("zh"):
        _sheet(workbook, "个人资料", [("项目", 18), ("内容", 48)], _profile(actor))
        _sheet(
            workbook,
            "报名记录",
            [
                ("活动", 28),
                ("开始时间", 18),
                ("结束时间", 18),
                ("地点", 20),
                ("状态", 10),
                ("报名时间", 18),
                ("签到时间", 18),
                ("签退时间", 18),
                ("取消时间", 18),
            ],
            _signups(actor),
        )
        _sheet(
            workbook,
            "服务时长",
            [
                ("服务日期", 12),
                ("活动", 28),
                ("时长（小时）", 12),
                ("来源", 10),
                ("状态", 10),
                ("积分", 8),
                ("备注", 30),
                ("记录时间", 18),
            ],
            _hours(actor),
        )
        _sheet(
            workbook,
            "积分明细",
            [("时间", 18), ("社区", 16), ("类型", 12), ("说明", 28), ("积分变动", 10)],
            _points(actor),
        )
        _sheet(
            workbook,
            "兑换记录",
            [
                ("物品", 20),
                ("积分", 8),
                ("状态", 10),
                ("预约时间", 18),
                ("领取期限", 18),
                ("完成时间", 18),
                ("取消原因", 24),
            ],
            _redemptions(actor),
        )
        _sheet(
            workbook,
            "我的需求",
            [
                ("标题", 24),
                ("描述", 36),
                ("类别", 10),
                ("状态", 10),
                ("联系人", 10),
                ("联系电话", 14),
                ("地址", 24),
                ("提交时间", 18),
            ],
            _needs(actor),
        )
    return xlsx.saved(workbook)


def _sheet(workbook: Workbook, title: str, headers, rows) -> None:
    sheet = workbook.create_sheet(title)
    for index, (text, width) in enumerate(headers, 1):
        cell = sheet.cell(row=1, column=index, value=text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for row_number, values in enumerate(rows, 2):
        for column, value in enumerate(values, 1):
            _put(sheet.cell(row=row_number, column=column), value)


def _put(cell, value) -> None:
    """Text stays text (never a formula); times in community wall-clock time (Excel has no
    time zones); numbers as numbers."""
    if value is None:
        return
    if isinstance(value, datetime):
        cell.value = value.astimezone(COMMUNITY_TZ).replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.value = value
    else:
        xlsx.as_text(cell, str(value))


def _profile(actor: User):
    yes, no = "是", "否"
    rows = [
        ("用户名", actor.username),
        ("姓名", actor.display_name),
        ("手机", actor.phone or ""),
        ("身份", "、".join(role.label for role in actor.roles)),
        ("账号创建时间", actor.created_at),
        ("所在社区", "、".join(c.name for c in alliance_queries.communities_for(actor))),
    ]
    volunteer = getattr(actor, "volunteer", None)
    if volunteer is not None:
        rows += [
            ("志愿者所在社区", volunteer.home_community.name),
            ("党员", yes if volunteer.is_party_member else no),
            ("工作单位", volunteer.work_unit.name if volunteer.work_unit else ""),
            ("技能特长", "、".join(volunteer.skills or [])),
            ("注册日期", volunteer.joined_on),
            ("所在队伍", "、".join(m.team.name for m in actor.team_memberships)),
        ]
    resident = getattr(actor, "resident", None)
    if resident is not None:
        rows += [
            ("居住社区", resident.community.name),
            ("邻里单元", resident.neighbourhood.name if resident.neighbourhood else ""),
            ("住址", resident.address),
        ]
    return rows


def _signups(actor: User):
    for signup in db.session.scalars(activity_queries.my_signups_select(actor.id)):
        activity = signup.activity
        yield (
            activity.title,
            activity.starts_at,
            activity.ends_at,
            activity.place,
            signup.status.label,
            signup.created_at,
            signup.checked_in_at,
            signup.checked_out_at,
            signup.cancelled_at,
        )


def _hours(actor: User):
    query = hours_queries.records_select(actor, volunteer_id=actor.id)
    for record in db.session.scalars(query):
        yield (
            record.service_date,
            record.activity.title if record.activity else "",
            record.hours,
            record.origin.label,
            record.status.label,
            record.points,
            record.note,
            record.created_at,
        )


def _points(actor: User):
    accounts = ledger.accounts_for_owner(AccountType.VOLUNTEER, actor.id)
    if not accounts:
        return
    names = {c.id: c.name for c in alliance_queries.communities_for(actor)}
    for entry in db.session.scalars(ledger.entries_select([a.id for a in accounts])):
        yield (
            entry.created_at,
            names.get(entry.account.community_id, ""),
            entry.posting.kind.label,
            entry.posting.memo,
            entry.amount,
        )


def _redemptions(actor: User):
    for redemption in db.session.scalars(reward_queries.redemptions_select(actor, mine=True)):
        yield (
            redemption.item_name,
            redemption.cost,
            redemption.status.label,
            redemption.reserved_at,
            redemption.expires_at,
            redemption.closed_at,
            redemption.cancel_reason,
        )


def _needs(actor: User):
    for need in db.session.scalars(needs_queries.needs_select(actor, mine=True)):
        yield (
            need.title,
            need.description,
            need.category.label,
            need.status.label,
            need.requester_name,
            need.requester_phone,
            need.requester_address,
            need.created_at,
        )
