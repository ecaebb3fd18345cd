"""The current half-year term's 六个一 (DESIGN.md §3 "Recognition", §5): opened as the clock opens
it, its 联盟大会 held and the deputy chosen there certified (coop.demo.meetings), part-way done.

兴旺社区's plan: three of the four activities are done with sessions the demo held this half year
(助力创城 as the volunteer activity, 红色观影与党史知识竞答 as the themed party day, 邻里文化节 as
the cultural activity); the party-building salon has not been held yet; three of five residents'
concerns are resolved (needs the visits resolved); four proposals were filed at the 联盟大会 and
three of them count, which finishes that item. So the page shows progress and the term badge
is still to earn. 和美社区's plan is open with nothing linked yet.

Everything goes through ``coop.terms.service`` as the secretary would. Evidence that the demo's
dates do not put in the half year (a demo loaded early in January) is skipped, not forced.
"""

from datetime import date

import sqlalchemy as sa

from coop.alliance.models import Community, Unit
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.demo import meetings as demo_meetings
from coop.extensions import db
from coop.terms import queries, service
from coop.terms.models import ItemKind

ACTIVITIES = {
    ItemKind.VOLUNTEER_ACTIVITY: "助力创城",
    ItemKind.THEMED_PARTY_DAY: "红色观影与党史知识竞答",
    ItemKind.CULTURAL_ACTIVITY: "邻里文化节",
}
RESOLVED_NEEDS = 3  # of the target five
PROPOSALS = [  # (title, body, proposing unit); the first three count towards the item
    (
        "在阳光苑增设老年助餐点",
        "阳光苑老年住户多，建议利用党群服务中心一楼设助餐点，鑫源超市协助配送。",
        "鑫源超市",
    ),
    (
        "电动车棚加装充电计时刷卡装置",
        "新建车棚充电排队，建议加装刷卡计时，夜间优先给上班族。",
        "市供电服务中心",
    ),
    (
        "四点半课堂延长到周六上午",
        "双职工家庭周六上午无人照看孩子，建议四点半课堂周六上午也开放。",
        "兴旺小学",
    ),
    (
        "楼栋长与网格员每月联合走访",
        "楼栋长熟悉住户，建议每月与网格员一起走访独居老人。",
        None,
    ),
]


def _user(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def _unit_id(name: str | None) -> int | None:
    if name is None:
        return None
    return db.session.scalar(sa.select(Unit.id).where(Unit.name == name))


def load(today: date, xingwang: Community, hemei: Community) -> None:
    now = utcnow()
    period = queries.half_year_of(today)
    for community in (xingwang, hemei):
        service.open_term_for(community.alliance.id, period, now=now)
    db.session.flush()

    secretary = _user("secretary")
    # The assembly is held and its 推选 certified before any evidence: the deputy leads the plan.
    demo_meetings.load_current(today, xingwang, secretary, now=now, joint=True)
    demo_meetings.load_current(today, hemei, _user("secretary2"), now=now)
    term = queries.term_at(xingwang.alliance.id, today)
    plan = queries.require_plan(term.id)
    items = {item.kind: item for item in plan.items}

    def link(kind: ItemKind, choose) -> None:
        item = items[kind]
        for candidate in choose(service.candidates(secretary, item.id, now=now)):
            service.link_evidence(
                secretary,
                item.id,
                evidence_type=candidate.evidence_type,
                evidence_id=candidate.evidence_id,
                now=now,
            )

    for kind, title in ACTIVITIES.items():
        link(kind, lambda found, title=title: [c for c in found if c.title == title][:1])
    link(
        ItemKind.CONCERNS_RESOLVED,
        lambda found: sorted(found, key=lambda c: c.evidence_id)[:RESOLVED_NEEDS],
    )
    proposals = [
        service.add_proposal(
            secretary, xingwang.id, title=title, body=body, unit_id=_unit_id(unit), now=now
        )
        for title, body, unit in PROPOSALS
    ]
    counted = {p.id for p in proposals[:3]}
    link(ItemKind.PROPOSALS_FORMED, lambda found: [c for c in found if c.evidence_id in counted])
