"""The record of changes in words: which object, what changed from what to what.

An audit row holds column names and plain values (``coop.audit``). Here they become what a
secretary reads: the kind of object in Chinese, its title, the field's label, an enum's label,
a time in the community's zone, the name a foreign key points at. Names are looked up for a whole
page at once, one query per table involved, never per row. Snapshots are masked when written;
nothing here unmasks or looks personal data up.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.audit import AuditLog
from coop.extensions import db
from coop.timeutil import COMMUNITY_TZ

# What each audited table is called on screen.
KINDS = {
    "needs": _l("需求"),
    "projects": _l("项目"),
    "activities": _l("活动"),
    "claims": _l("认领"),
    "resources": _l("资源"),
    "resource_orders": _l("资源点单"),
    "signups": _l("活动报名"),
    "feedback": _l("满意度评价"),
    "service_records": _l("服务时长"),
    "units": _l("联盟单位"),
    "memberships": _l("单位入驻"),
    "agreements": _l("共驻共建协议"),
    "users": _l("人员"),
    "role_grants": _l("角色"),
    "volunteer_profiles": _l("志愿者信息"),
    "resident_profiles": _l("居民信息"),
    "teams": _l("志愿服务队"),
    "team_members": _l("队员"),
    "communities": _l("社区"),
    "neighbourhoods": _l("邻里单元"),
    "alliances": _l("党建联盟"),
    "alliance_offices": _l("联盟职务"),
    "mechanisms": _l("工作机制"),
    "terms": _l("任期"),
    "term_plans": _l("六个一计划"),
    "term_plan_items": _l("六个一事项"),
    "plan_evidence": _l("六个一佐证"),
    "proposals": _l("合理化建议"),
    "meetings": _l("联盟会议"),
    "meeting_attendances": _l("会议出席"),
    "meeting_resolutions": _l("会议决议"),
    "deputy_elections": _l("轮值副书记推选"),
    "election_candidates": _l("推选候选单位"),
    "election_votes": _l("推选投票"),
    "honours": _l("荣誉"),
    "pioneer_weights": _l("先锋指数权重"),
    "monthly_themes": _l("月月红主题"),
    "points_policies": _l("积分规则"),
    "reward_items": _l("积分超市物品"),
    "redemptions": _l("积分兑换"),
    "badges": _l("徽章"),
    "streets": _l("街道"),
    "user_sessions": _l("登录"),
    "api_tokens": _l("接口令牌"),
    "invitations": _l("邀请码"),
    "installation": _l("系统初始设置"),
    "departures": _l("停用记录"),
    "departments": _l("街道部门"),
    "escalations": _l("街道吹哨"),
    "escalation_departments": _l("吹哨分派部门"),
    "escalation_entries": _l("吹哨处置记录"),
    "grid_posts": _l("网格职务"),
    "calendar_tokens": _l("日历订阅"),
    "need_ratings": _l("需求评价"),
    "need_handovers": _l("需求移交"),
    "service_commitments": _l("服务承诺"),
    "certificates": _l("志愿服务记录证明"),
    "activity_photos": _l("活动照片"),
}
# Kinds no community's record shows (the street's, a person's sign-ins): not offered as filters.
NOT_COMMUNITY_KINDS = frozenset(
    {
        "badges",
        "streets",
        "user_sessions",
        "api_tokens",
        "invitations",
        "installation",
        "calendar_tokens",
        "departments",
    }
)

ACTIONS = {
    "create": _l("新建"),
    "update": _l("修改"),
    "delete": _l("删除"),
    "reveal": _l("查看完整联系方式"),
}

# A column's label, by its name; LABELS_BY_TABLE where one table means something else by it.
LABELS = {
    "agenda": _l("议程"),
    "attendee_name": _l("出席人"),
    "candidate_unit_id": _l("投给"),
    "certified_at": _l("确认时间"),
    "certified_by_id": _l("确认人"),
    "chosen_unit_id": _l("当选单位"),
    "due_on": _l("完成期限"),
    "election_id": _l("推选"),
    "marked_by_id": _l("登记人"),
    "meeting_id": _l("会议"),
    "method": _l("推选方式"),
    "minutes": _l("会议纪要"),
    "minutes_at": _l("纪要时间"),
    "owner_unit_id": _l("牵头单位"),
    "plan_item_id": _l("六个一事项"),
    "present_at": _l("签到时间"),
    "recorded_at": _l("登记时间"),
    "via": _l("签到方式"),
    "voter_unit_id": _l("投票单位"),
    "activity_id": _l("活动"),
    "address": _l("地址"),
    "alliance_id": _l("党建联盟"),
    "approved": _l("已批准"),
    "approved_count": _l("已通过的认领"),
    "assembly_on": _l("联盟大会日期"),
    "auto_approve": _l("认领自动通过"),
    "available_from": _l("可提供起始日"),
    "available_until": _l("可提供截止日"),
    "beneficiary_group": _l("服务对象"),
    "beneficiary_name": _l("服务对象姓名"),
    "body": _l("内容"),
    "bonus_points": _l("奖励积分"),
    "cancel_reason": _l("取消原因"),
    "cancelled_at": _l("取消时间"),
    "capacity": _l("名额"),
    "category": _l("类别"),
    "checked_in_at": _l("签到时间"),
    "checked_in_by_id": _l("代签到人"),
    "checked_out_at": _l("签退时间"),
    "checkin_code": _l("签到码"),
    "claim_deadline": _l("认领截止"),
    "claim_id": _l("认领"),
    "claimant_type": _l("认领方"),
    "closed_at": _l("办结时间"),
    "email": _l("电子邮箱"),
    "in_project_at": _l("纳入项目时间"),
    "listed_at": _l("列入清单时间"),
    "rejected_at": _l("不予受理时间"),
    "resolved_at": _l("解决时间"),
    "wechat_openid": _l("微信服务号绑定"),
    "closed_by_id": _l("经办人"),
    "code": _l("编码"),
    "comment": _l("意见和建议"),
    "community_id": _l("社区"),
    "confirmed_count": _l("已确认的报名"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "cost": _l("所需积分"),
    "created_by_id": _l("创建人"),
    "decided_at": _l("处理时间"),
    "decided_by_id": _l("处理人"),
    "decision_reason": _l("处理说明"),
    "description": _l("描述"),
    "display_name": _l("姓名"),
    "done_at": _l("完成时间"),
    "effective_from": _l("生效日期"),
    "end_reason": _l("提前终止原因"),
    "ended_at": _l("结束时间"),
    "ended_on": _l("终止日期"),
    "ends_at": _l("结束时间"),
    "ends_on": _l("截止日期"),
    "entered_by_id": _l("录入人"),
    "evidence_id": _l("佐证"),
    "evidence_type": _l("佐证类型"),
    "expires_at": _l("到期时间"),
    "founded_on": _l("成立日期"),
    "fulfilled_at": _l("完成时间"),
    "holder_name": _l("担任人"),
    "holder_type": _l("授予对象"),
    "home_community_id": _l("所属社区"),
    "hours": _l("时长（小时）"),
    "is_active": _l("账号可用"),
    "is_leader": _l("队长"),
    "is_party_member": _l("党员"),
    "item_id": _l("物品"),
    "item_name": _l("物品"),
    "joined_on": _l("加入日期"),
    "kind": _l("类型"),
    "lead_claim_id": _l("牵头认领"),
    "linked_at": _l("关联时间"),
    "linked_by_id": _l("关联人"),
    "low_stock_at": _l("库存预警线"),
    "max_open_claims": _l("同时进行的认领上限"),
    "mode": _l("服务方式"),
    "month": _l("月份"),
    "monthly_limit": _l("每人每月限兑"),
    "name": _l("名称"),
    "neighbourhood_id": _l("邻里单元"),
    "note": _l("备注"),
    "opened_at": _l("开始时间"),
    "origin": _l("来源"),
    "phone": _l("手机号"),
    "pickup_days": _l("领取期限（天）"),
    "place": _l("地点"),
    "plan_id": _l("六个一计划"),
    "points": _l("积分"),
    "points_per_hour": _l("每小时积分"),
    "position": _l("排序"),
    "project_id": _l("项目"),
    "published_at": _l("发布时间"),
    "quantity": _l("数量"),
    "rating": _l("评分"),
    "recorded_by_id": _l("记录人"),
    "reject_reason": _l("不予受理的原因"),
    "reply": _l("回复"),
    "requested_by_id": _l("点单人"),
    "requester_address": _l("求助人地址"),
    "requester_id": _l("求助人账号"),
    "requester_name": _l("求助人"),
    "requester_phone": _l("求助人电话"),
    "reserved_at": _l("预约时间"),
    "reserved_on": _l("预约日期"),
    "resolution": _l("解决情况"),
    "resource_id": _l("资源"),
    "return_reason": _l("退回原因"),
    "reversed_at": _l("冲正时间"),
    "reverses_id": _l("冲正的记录"),
    "revoked_at": _l("撤销时间"),
    "role": _l("角色"),
    "schedule": _l("服务时间安排"),
    "scope": _l("共建内容"),
    "service_date": _l("服务日期"),
    "signed_on": _l("签订日期"),
    "signup_id": _l("报名"),
    "skills": _l("技能"),
    "slots": _l("认领名额"),
    "source": _l("来源"),
    "starts_at": _l("开始时间"),
    "starts_on": _l("起始日期"),
    "status": _l("状态"),
    "stock": _l("库存"),
    "street_id": _l("街道"),
    "supplier_unit_id": _l("供应单位"),
    "target": _l("目标数"),
    "team_id": _l("志愿服务队"),
    "term_id": _l("任期"),
    "theme_month": _l("月月红主题"),
    "title": _l("标题"),
    "unit_id": _l("单位"),
    "unit_of_measure": _l("计量单位"),
    "urgency": _l("紧急程度"),
    "user_id": _l("人员"),
    "username": _l("用户名"),
    "verified_at": _l("核实时间"),
    "verified_by_id": _l("核实人"),
    "volunteer_capacity": _l("需要志愿者"),
    "volunteer_id": _l("志愿者"),
    "work_unit_id": _l("工作单位"),
    "year": _l("年度"),
}
LABELS_BY_TABLE = {
    ("meeting_resolutions", "text"): _l("决议内容"),
    ("activity_photos", "caption"): _l("照片说明"),
    ("activity_photos", "content_type"): _l("图片格式"),
    ("activity_photos", "width"): _l("宽度（像素）"),
    ("activity_photos", "height"): _l("高度（像素）"),
    ("activity_photos", "size"): _l("文件大小（字节）"),
    ("activity_photos", "etag"): _l("图片指纹"),
    ("activity_photos", "added_by_id"): _l("上传人"),
    ("role_grants", "title"): _l("职务"),
    ("team_members", "left_on"): _l("离队日期"),
    ("pioneer_weights", "claims"): _l("完成认领权重"),
    ("pioneer_weights", "hours"): _l("成员服务时长权重"),
    ("pioneer_weights", "activities"): _l("牵头活动权重"),
    ("pioneer_weights", "ratings"): _l("居民评价权重"),
    ("pioneer_weights", "resources"): _l("提供资源权重"),
    ("pioneer_weights", "updated_by_id"): _l("修改人"),
    ("honours", "citation"): _l("推荐理由"),
    ("honours", "record"): _l("提名时的记录"),
    ("honours", "nominated_by_id"): _l("提名人"),
    ("honours", "nominated_at"): _l("提名时间"),
    ("honours", "revoked_by_id"): _l("撤销人"),
    ("honours", "revoke_reason"): _l("撤销理由"),
    ("grid_posts", "post"): _l("网格职务"),
    ("invitations", "used_at"): _l("使用时间"),
    ("installation", "set_up_at"): _l("设置时间"),
    ("installation", "set_up_by_id"): _l("设置人"),
    ("neighbourhoods", "households"): _l("户数"),
    ("needs", "notes"): _l("备注"),
    ("departures", "reason"): _l("停用原因"),
    ("departures", "deactivated_at"): _l("停用时间"),
    ("departures", "deactivated_by_id"): _l("停用人"),
    ("departures", "reactivated_at"): _l("恢复时间"),
    ("departures", "reactivated_by_id"): _l("恢复人"),
    ("departures", "anonymised_at"): _l("注销时间"),
    ("departures", "anonymised_by_id"): _l("注销人"),
    ("alliance_offices", "role"): _l("职务"),
    ("redemptions", "cost"): _l("消耗积分"),
    ("redemptions", "code"): _l("取货码"),
    ("service_records", "reject_reason"): _l("驳回原因"),
    ("plan_evidence", "item_id"): _l("六个一事项"),
    ("departments", "active"): _l("在用"),
    ("escalations", "need_id"): _l("需求"),
    ("need_ratings", "need_id"): _l("需求"),
    ("need_ratings", "round"): _l("第几次解决"),
    ("need_ratings", "stars"): _l("星级"),
    ("need_ratings", "rated_by_id"): _l("评价人"),
    ("need_ratings", "on_behalf"): _l("代评"),
    ("need_ratings", "reopened"): _l("因评价重新打开"),
    ("needs", "resolution_round"): _l("解决次数"),
    ("needs", "public"): _l("在公示栏显示"),
    ("needs", "respond_by"): _l("答复期限"),
    ("needs", "resolve_by"): _l("办结期限"),
    ("needs", "owner_id"): _l("负责人"),
    ("need_handovers", "need_id"): _l("需求"),
    ("need_handovers", "from_id"): _l("移交人"),
    ("need_handovers", "to_id"): _l("接手人"),
    ("need_handovers", "by_id"): _l("操作人"),
    ("need_handovers", "reason"): _l("移交原因"),
    ("need_handovers", "at"): _l("移交时间"),
    ("service_commitments", "respond_hours"): _l("答复时限（小时）"),
    ("service_commitments", "resolve_days"): _l("办结时限（天）"),
    ("certificates", "number"): _l("证明编号"),
    ("certificates", "issued_by_id"): _l("出具人"),
    ("certificates", "issued_at"): _l("出具时间"),
    ("certificates", "hours_total"): _l("服务时长合计"),
    ("certificates", "hours_entered"): _l("其中补录"),
    ("certificates", "records_count"): _l("服务记录条数"),
    ("certificates", "revoked_by_id"): _l("撤销人"),
    ("certificates", "revoke_reason"): _l("撤销原因"),
    ("escalations", "reason"): _l("上报原因"),
    ("escalations", "raised_by_id"): _l("上报人"),
    ("escalations", "raised_at"): _l("上报时间"),
    ("escalations", "deadline"): _l("办理期限"),
    ("escalations", "assigned_at"): _l("分派时间"),
    ("escalations", "outcome"): _l("处置结果"),
    ("escalations", "return_reason"): _l("退回原因"),
    ("escalations", "closed_by_id"): _l("办结人"),
    ("escalation_departments", "escalation_id"): _l("吹哨事项"),
    ("escalation_departments", "department_id"): _l("部门"),
    ("escalation_departments", "assigned_at"): _l("分派时间"),
    ("escalation_entries", "escalation_id"): _l("吹哨事项"),
    ("escalation_entries", "department_id"): _l("部门"),
    ("escalation_entries", "on"): _l("日期"),
    ("escalation_entries", "text"): _l("处置情况"),
    ("escalation_entries", "recorded_by_id"): _l("记录人"),
}
# Enum columns whose enum has no labels of its own.
UNLABELLED = {
    ("plan_evidence", "evidence_type"): {
        "activity": _l("活动"),
        "need": _l("需求"),
        "proposal": _l("合理化建议"),
    },
}
# Bookkeeping, not something a person changed: never listed.
HIDDEN = frozenset({"id", "created_at", "updated_at", "claimant_key", "version", "version_id"})
# Codes that let someone in or hand something over: the record says they changed, not to what.
SECRET = frozenset({"checkin_code", ("redemptions", "code")})

# The column naming an object, or (column naming its parent, parent table) for rows named after
# their parent (a claim after its project).
NAMES = {
    "needs": "title",
    "projects": "title",
    "activities": "title",
    "resources": "title",
    "proposals": "title",
    "meetings": "title",
    "monthly_themes": "title",
    "units": "name",
    "communities": "name",
    "neighbourhoods": "name",
    "teams": "name",
    "reward_items": "name",
    "alliances": "name",
    "mechanisms": "name",
    "terms": "name",
    "badges": "name",
    "streets": "name",
    "users": "display_name",
    "redemptions": "item_name",
    "alliance_offices": "holder_name",
    "term_plan_items": "kind",
    "departments": "name",
}
NAMED_AFTER = {
    "claims": ("project_id", "projects"),
    "resource_orders": ("resource_id", "resources"),
    "signups": ("activity_id", "activities"),
    "feedback": ("activity_id", "activities"),
    "service_records": ("activity_id", "activities"),
    "memberships": ("unit_id", "units"),
    "agreements": ("unit_id", "units"),
    "role_grants": ("user_id", "users"),
    "volunteer_profiles": ("user_id", "users"),
    "resident_profiles": ("user_id", "users"),
    "team_members": ("user_id", "users"),
    "user_sessions": ("user_id", "users"),
    "api_tokens": ("user_id", "users"),
    "term_plans": ("term_id", "terms"),
    "plan_evidence": ("item_id", "term_plan_items"),
    "meeting_attendances": ("meeting_id", "meetings"),
    "meeting_resolutions": ("meeting_id", "meetings"),
    "deputy_elections": ("term_id", "terms"),
    "election_candidates": ("unit_id", "units"),
    "election_votes": ("voter_unit_id", "units"),
    "escalations": ("need_id", "needs"),
    "need_ratings": ("need_id", "needs"),
    "need_handovers": ("need_id", "needs"),
    "activity_photos": ("activity_id", "activities"),
}
# Pages an object (or the parent it is named after) has: endpoint and its id argument.
PAGES = {
    "needs": ("needs.detail", "need_id"),
    "projects": ("projects.detail", "project_id"),
    "activities": ("activities.detail", "activity_id"),
    "units": ("alliance.unit", "unit_id"),
    "communities": ("alliance.community", "community_id"),
    "terms": ("terms.term", "term_id"),
    "meetings": ("meetings.detail", "meeting_id"),
}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_kind: str
    object_id: str
    object_label: str
    link: str | None
    changes: list[Change] = field(default_factory=list)
    note: str = ""  # what a row without column changes says (the reason given for a reveal)

    @property
    def actor(self) -> dict:
        return {"id": self.actor_id, "name": self.actor_name}

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(COMMUNITY_TZ)


def kind_label(table: str) -> str:
    return str(KINDS[table]) if table in KINDS else table


def field_label(table: str, column: str) -> str:
    label = LABELS_BY_TABLE.get((table, column)) or LABELS.get(column)
    return str(label) if label is not None else column


def shown(table: str, column: str) -> bool:
    return column not in HIDDEN


def _column(table: str, column: str) -> sa.Column | None:
    t = db.metadata.tables.get(table)
    return t.c[column] if t is not None and column in t.c else None


def _target(table: str, column: str) -> str | None:
    """The table a foreign key column points at (the names of its rows stand for its ids)."""
    col = _column(table, column)
    if col is None or not col.foreign_keys:
        return None
    return next(iter(col.foreign_keys)).column.table.name


class Names:
    """The readable name (and page) of rows, looked up a table at a time for a whole page."""

    def __init__(self):
        self.wanted: dict[str, set[int]] = defaultdict(set)
        self.found: dict[tuple[str, int], tuple[str, str | None]] = {}

    def want(self, table: str, row_id) -> None:
        try:
            number = int(row_id)
        except (TypeError, ValueError):
            return
        named = table in NAMES or table in NAMED_AFTER
        if named and len(db.metadata.tables[table].primary_key.columns) == 1:
            self.wanted[table].add(number)

    def load(self) -> None:
        for table, ids in self.wanted.items():
            ids = {i for i in ids if (table, i) not in self.found}
            if ids:
                self.found.update(_names(table, ids))
        self.wanted.clear()

    def name(self, table: str, row_id) -> str | None:
        try:
            return self.found.get((table, int(row_id)), (None, None))[0]
        except (TypeError, ValueError):
            return None

    def link(self, table: str, row_id) -> str | None:
        try:
            return self.found.get((table, int(row_id)), (None, None))[1]
        except (TypeError, ValueError):
            return None


def _page(table: str, row_id) -> str | None:
    if table not in PAGES or row_id is None:
        return None
    endpoint, argument = PAGES[table]
    return url_for(endpoint, **{argument: row_id})


def _names(table: str, ids: set[int]) -> dict[tuple[str, int], tuple[str, str | None]]:
    t = db.metadata.tables[table]
    [key_column] = t.primary_key.columns
    if table in NAMES:
        column = NAMES[table]
        rows = db.session.execute(sa.select(key_column, t.c[column]).where(key_column.in_(ids)))
        return {
            (table, row_id): (value_text(table, column, value), _page(table, row_id))
            for row_id, value in rows
        }
    key, parent = NAMED_AFTER[table]
    p = db.metadata.tables[parent]
    name = NAMES[parent]
    rows = db.session.execute(
        sa.select(key_column, t.c[key], p.c[name])
        .select_from(t.outerjoin(p, p.c.id == t.c[key]))
        .where(key_column.in_(ids))
    )
    return {
        (table, row_id): (
            value_text(parent, name, value) if value is not None else "",
            _page(parent, parent_id),
        )
        for row_id, parent_id, value in rows
    }


def value_text(table: str, column: str, value, names: Names | None = None) -> str:
    """A stored value as a person reads it: an enum's label, a local time, a name for an id."""
    if value is None or value == "" or value == []:
        return _("（空）")
    if column in SECRET or (table, column) in SECRET:
        return _("（已设置）")
    col = _column(table, column)
    if names is not None and (target := _target(table, column)) is not None:
        return names.name(target, value) or f"#{value}"
    if col is not None:
        enum_class = getattr(col.type, "enum_class", None)
        if enum_class is not None:
            try:
                member = enum_class(value)
            except ValueError:
                return str(value)
            if hasattr(member, "label"):
                return member.label
            return str(UNLABELLED.get((table, column), {}).get(member.value, member.value))
        python_type = _python_type(col)
        if python_type is bool or isinstance(value, bool):
            return _("是") if value else _("否")
        if python_type is datetime and isinstance(value, str):
            return _local_time(value)
        if python_type is Decimal:
            return _decimal(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k}：{v}" for k, v in value.items())
    return str(value)


def _python_type(col: sa.Column):
    kind = col.type.impl if isinstance(col.type, sa.TypeDecorator) else col.type
    for sql_type, python_type in (
        (sa.Boolean, bool),
        (sa.DateTime, datetime),
        (sa.Numeric, Decimal),
    ):
        if isinstance(kind, sql_type):
            return python_type
    return None


def _local_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(COMMUNITY_TZ).strftime("%Y-%m-%d %H:%M")


def _decimal(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number.normalize(), "f")
    return text


def _label_of_snapshot(row: AuditLog) -> str:
    """The object's name as its own snapshot gave it (for a row deleted since)."""
    column = NAMES.get(row.object_type)
    for snapshot in (row.after, row.before):
        if column and isinstance(snapshot, dict) and snapshot.get(column):
            return value_text(row.object_type, column, snapshot[column])
    return ""


def _changes(row: AuditLog, names: Names) -> list[Change]:
    before = row.before if isinstance(row.before, dict) else {}
    after = row.after if isinstance(row.after, dict) else {}
    if row.action not in ("create", "update", "delete"):
        return []
    keys = list(after) if row.action != "delete" else list(before)
    changes = []
    for key in keys:
        if not shown(row.object_type, key):
            continue
        old, new = before.get(key), after.get(key)
        if row.action == "create" and new in (None, "", []):
            continue  # a new row's blank fields say nothing
        if row.action == "delete" and old in (None, "", []):
            continue
        changes.append(
            Change(
                field=key,
                label=field_label(row.object_type, key),
                before=value_text(row.object_type, key, old, names)
                if row.action != "create"
                else "",
                after=value_text(row.object_type, key, new, names)
                if row.action != "delete"
                else "",
            )
        )
    return changes


def _note(row: AuditLog) -> str:
    if row.action == "reveal" and isinstance(row.after, dict) and row.after.get("reason"):
        return _("原因：%(reason)s", reason=row.after["reason"])
    return ""


def describe(rows: list[AuditLog]) -> list[Entry]:
    """Each row in words; the names it mentions are read for all rows at once."""
    names = Names()
    for row in rows:
        if row.actor_id is not None:
            names.want("users", row.actor_id)
        names.want(row.object_type, row.object_id)
        for snapshot in (row.before, row.after):
            for key, value in snapshot.items() if isinstance(snapshot, dict) else ():
                if (target := _target(row.object_type, key)) is not None:
                    names.want(target, value)
    names.load()
    return [_entry(row, names) for row in rows]


def _entry(row: AuditLog, names: Names) -> Entry:
    if row.actor_id is None:
        actor_name = _("系统")
    else:
        actor_name = names.name("users", row.actor_id) or f"#{row.actor_id}"
    return Entry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor_name=actor_name,
        action=row.action,
        action_label=str(ACTIONS.get(row.action, row.action)),
        object_type=row.object_type,
        object_kind=kind_label(row.object_type),
        object_id=row.object_id,
        object_label=_object_label(row, names),
        link=_object_link(row, names),
        changes=_changes(row, names),
        note=_note(row),
    )


def _parent_in_snapshot(row: AuditLog):
    """(parent table, id) a row is named after, as its snapshot gives it."""
    if row.object_type not in NAMED_AFTER:
        return None, None
    key, parent = NAMED_AFTER[row.object_type]
    for snapshot in (row.after, row.before):
        if isinstance(snapshot, dict) and snapshot.get(key) is not None:
            return parent, snapshot[key]
    return parent, None


def _object_label(row: AuditLog, names: Names) -> str:
    """The object's name now; if it is gone (or has no id of one column), the name its
    snapshot gives or the name of the parent its snapshot names."""
    label = names.name(row.object_type, row.object_id)
    if not label:
        parent, parent_id = _parent_in_snapshot(row)
        label = names.name(parent, parent_id) if parent else None
    return label or _label_of_snapshot(row) or f"#{row.object_id}"


def _object_link(row: AuditLog, names: Names) -> str | None:
    link = names.link(row.object_type, row.object_id)
    if link is None:
        parent, parent_id = _parent_in_snapshot(row)
        link = names.link(parent, parent_id) if parent else None
    return link
