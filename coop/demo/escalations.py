"""街道吹哨 in the demo (issue 15): two needs 兴旺社区 could not solve alone, raised to the street.

One was solved with 城管 last month: raised, assigned with a deadline, two dated records, and
resolved (the need's ``resolved_at`` is that day). The other is the resident account's own
(刘桂兰's nursing subsidy), still with 民政 before its deadline, so she sees it on her need page
and the street admin finds it in her queue. Everything goes through the services as the
secretary and the street admin would, each step at its own moment in the past.
"""

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from coop.alliance.models import Community
from coop.auth.models import User
from coop.categories import Category
from coop.escalations import queries, service
from coop.extensions import db
from coop.needs import service as needs_service
from coop.needs.models import Beneficiary, NeedSource, Urgency
from coop.timeutil import COMMUNITY_TZ


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _at(today: date, days_ago: int, hour: int) -> datetime:
    """A moment ``days_ago`` days before today at ``hour`` o'clock community time, in UTC."""
    day = today - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), COMMUNITY_TZ).astimezone(UTC)


def load(today: date, xingwang: Community) -> None:
    secretary, admin, resident = _user("secretary"), _user("street"), _user("resident")
    street = xingwang.street
    service.seed_departments(street)  # a street set up through the first run already has them
    departments = {d.name: d for d in queries.departments(street.id)}
    neighbourhoods = xingwang.neighbourhoods

    # Solved with 城管, in the past.
    stalls = needs_service.record_need(
        secretary,
        xingwang.id,
        title="丰泽园商业街占道经营、油烟扰民",
        description="商业街夜市摊位占用人行道和消防通道，烧烤油烟直排，楼上住户多次反映。",
        category=Category.GOVERNANCE,
        source=NeedSource.GRID,
        beneficiary_group=Beneficiary.RESIDENTS,
        urgency=Urgency.SOON,
        neighbourhood_id=neighbourhoods[1].id,
        requester_name="网格员王海燕",
    )
    stalls.created_at = stalls.listed_at = _at(today, 35, 9)
    raised = service.escalate_need(
        secretary,
        stalls.id,
        reason="社区多次劝导无效，占道经营和油烟直排需城管执法，社区没有执法权。",
        now=_at(today, 33, 10),
    )
    service.assign(
        admin,
        raised.id,
        department_ids=[departments["城管"].id],
        deadline=today - timedelta(days=19),
        now=_at(today, 32, 9),
    )
    for days_ago, text in (
        (31, "城管中队夜间到场勘查，向 5 家摊主下达限期整改通知书，清理占道桌椅。"),
        (26, "城管中队联合社区复查：摊位退回店内经营，3 家烧烤店已加装油烟净化设备。"),
    ):
        service.record(
            admin,
            raised.id,
            department_id=departments["城管"].id,
            on=today - timedelta(days=days_ago),
            text=text,
            now=_at(today, days_ago, 21),
        )
    service.resolve(
        admin,
        raised.id,
        outcome="占道经营已清理，油烟净化设备已安装；社区回访楼上住户，反映夜间已无油烟。",
        now=_at(today, 24, 15),
    )
    stalls.resolved_at = raised.closed_at

    # Still with 民政, before its deadline: the resident account's own need.
    subsidy = needs_service.submit_need(
        resident,
        xingwang.id,
        title="老伴卧床，想申请重度残疾人护理补贴",
        description="老伴去年中风后一直卧床，听说可以申请护理补贴，不知道怎么办。",
        category=Category.CARE,
        neighbourhood_id=neighbourhoods[0].id,
        urgency=Urgency.SOON,
    )
    subsidy.created_at = _at(today, 9, 8)
    opened = service.escalate_need(
        secretary,
        subsidy.id,
        reason="护理补贴须街道民政审核发放，社区已协助准备材料，需民政入户核查。",
        now=_at(today, 6, 10),
    )
    subsidy.listed_at = opened.raised_at
    service.assign(
        admin,
        opened.id,
        department_ids=[departments["民政"].id],
        deadline=today + timedelta(days=8),
        now=_at(today, 5, 9),
    )
    service.record(
        admin,
        opened.id,
        department_id=departments["民政"].id,
        on=today - timedelta(days=3),
        text="民政科已受理申请，约定本周入户核查并评估护理等级。",
        now=_at(today, 3, 16),
    )
    db.session.flush()
