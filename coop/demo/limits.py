"""服务承诺 and 首问负责 in the demo: plausible answer and solve times, owners, a few overdue needs.

The lists (``demo.lists``) build needs with their status given at construction, so each was
stamped listed/solved at load time. Here every need's moves are put back to plausible moments
after it came in: most answered within hours and solved inside the commitment, about one in
six answered late and one in five solved late, so the 三率 show life. All moments are in the
past. 兴旺 has set its own commitment (45 days to solve a normal need); its needs came in
under it. Three open needs past their time limits are added to 兴旺 (two listed, one resident's
need nobody has answered), so the secretary's list starts with 已超时.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from coop.alliance.models import Community
from coop.auth.models import Role, User
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs import commitments
from coop.needs.models import (
    Beneficiary,
    Need,
    NeedSource,
    NeedStatus,
    Urgency,
    commitment_for,
)

OVERDUE = (
    # title, source, urgency, days ago, status
    ("楼顶水箱漏水，顶楼住户家中渗水", NeedSource.GRID, Urgency.URGENT, 5, NeedStatus.LISTED),
    ("小区健身器材损坏，存在安全隐患", NeedSource.DAILY, Urgency.NORMAL, 50, NeedStatus.LISTED),
    ("希望在康乐居增设电动车充电桩", NeedSource.RESIDENT, Urgency.SOON, 4, NeedStatus.SUBMITTED),
)


def _secretary(community: Community) -> User | None:
    return db.session.scalars(
        sa.select(User)
        .where(User.grants.any(role=Role.SECRETARY, community_id=community.id))
        .order_by(User.id)
    ).first()


def _before(moment: datetime, now: datetime) -> datetime:
    return min(moment, now - timedelta(minutes=5))


def _timeline(need: Need, now: datetime) -> None:
    """Answer and solve moments after it came in; late for a fixed share of needs."""
    window_answer = need.respond_by - need.created_at
    window_solve = need.resolve_by - need.created_at
    answered = need.created_at + (
        window_answer + timedelta(hours=6 + need.id % 20)
        if need.id % 6 == 0
        else timedelta(hours=1 + need.id % 7)
    )
    answered = _before(answered, now)
    if need.status is NeedStatus.REJECTED or (need.rejected_at and not need.resolved_at):
        need.rejected_at = answered
    elif need.status is not NeedStatus.SUBMITTED:
        need.listed_at = answered  # built straight into a project or solved: listed first
    if need.in_project_at is not None:
        need.in_project_at = _before(answered + timedelta(days=1), now)
    if need.resolved_at is not None:
        share = 0.3 + (need.id % 5) / 10  # 30–70 % of the time allowed
        solved = (
            need.resolve_by + timedelta(days=1 + need.id % 4)
            if need.id % 5 == 0
            else need.created_at + window_solve * share
        )
        need.resolved_at = _before(max(solved, (need.in_project_at or answered)), now)
    if need.closed_at is not None:
        ended = need.resolved_at or need.rejected_at or answered
        need.closed_at = _before(ended + timedelta(days=3), now)


def load(xingwang: Community, hemei: Community) -> None:
    """Timelines and owners for both communities' needs, and 兴旺's overdue ones (called once,
    after ``demo.lists``)."""
    now = utcnow()
    db.session.flush()
    # 兴旺 gives projects more time than the default month: 45 days for a normal need.
    table = commitments.commitments_of(xingwang.id)
    for cell in table:
        if cell["urgency"] is Urgency.NORMAL:
            cell["resolve_days"] = 45
    commitments.set_commitments(_secretary(xingwang), xingwang.id, table)
    for community in (xingwang, hemei):
        secretary = _secretary(community)
        needs = db.session.scalars(
            sa.select(Need).where(Need.community_id == community.id).order_by(Need.id)
        ).all()
        connection = db.session.connection()
        for need in needs:
            # The demo's history came in under the commitment it has now.
            respond, resolve = commitment_for(connection, community.id, need.category, need.urgency)
            need.respond_by, need.resolve_by = need.created_at + respond, need.created_at + resolve
            _timeline(need, now)
            if need.status is not NeedStatus.SUBMITTED and secretary is not None:
                need.owner_id = secretary.id  # the one secretary answered them all
    secretary = _secretary(xingwang)
    resident = db.session.scalars(sa.select(User).where(User.username == "xwr005")).first()
    for title, source, urgency, days_ago, status in OVERDUE:
        came_in = now - timedelta(days=days_ago, hours=3)
        need = Need(
            community_id=xingwang.id,
            neighbourhood_id=xingwang.neighbourhoods[days_ago % len(xingwang.neighbourhoods)].id,
            title=title,
            description=title + "。",
            category=Category.CONVENIENCE if urgency is not Urgency.URGENT else Category.CARE,
            source=source,
            beneficiary_group=Beneficiary.RESIDENTS,
            urgency=urgency,
            status=status,
            created_by_id=secretary.id if secretary and status is NeedStatus.LISTED else None,
            owner_id=secretary.id if secretary and status is NeedStatus.LISTED else None,
            created_at=came_in,
            listed_at=came_in + timedelta(hours=2) if status is NeedStatus.LISTED else None,
        )
        if status is NeedStatus.SUBMITTED and resident is not None:
            need.requester_id = need.created_by_id = resident.id
            need.requester_name = resident.display_name
            need.requester_phone = resident.phone or ""
            need.requester_address = resident.resident.address if resident.resident else ""
        db.session.add(need)
    db.session.flush()
