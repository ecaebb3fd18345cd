"""满意度评价 in the demo: most solved needs rated 4–5 stars over the past weeks, a few 3, and two
rated 2 stars or less that went back to the list with a 回访 comment, all through the service.

The requesters of the demo's solved needs are mostly old party members and elderly people visited
at home, without an account: the secretary records their words as 代评, as she would after a
回访 call. The demo resident's own solved need stays unrated, for whoever tries the demo.
"""

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from coop.alliance.models import Community
from coop.auth.models import Role, User
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.needs import ratings
from coop.needs.models import Need, NeedStatus

GOOD = [
    (5, "上门很及时，服务人员态度特别好。"),
    (5, "问题彻底解决了，感谢社区和联盟单位。"),
    (4, "解决得不错，就是等的时间稍长。"),
    (5, ""),
    (4, "挺满意的，希望以后常来看看。"),
    (5, "志愿者很耐心，老人很高兴。"),
    (4, ""),
    (3, "基本解决了，还有些小问题没处理完。"),
]
# Two low ratings a secretary heard on her 回访 calls: each sends its need back to the list.
LOW = [
    (2, "飞线充电的还是有，晚上楼道里照样拉着插线板，希望再管一管。"),
    (1, "救助金说好一周到，到现在还没消息，也没人回电话。"),
]
LOW_TITLES = ("电动车飞线充电有火灾隐患", "临时救助申请")


def _secretary(community: Community) -> User:
    return db.session.scalars(
        sa.select(User)
        .where(User.grants.any(role=Role.SECRETARY, community_id=community.id))
        .order_by(User.id)
    ).first()


def _rate_all(community: Community, now: datetime, rng: random.Random, share: float) -> None:
    secretary = _secretary(community)
    needs = db.session.scalars(
        sa.select(Need)
        .where(
            Need.community_id == community.id,
            Need.status == NeedStatus.RESOLVED,
            Need.requester_id.is_(None),
        )
        .order_by(Need.id)
    ).all()
    for index, need in enumerate(needs):
        if need.title in LOW_TITLES:
            stars, comment = LOW[LOW_TITLES.index(need.title)]
            when = now - timedelta(days=2 + index % 5, hours=3)
        elif rng.random() < share:
            stars, comment = GOOD[index % len(GOOD)]
            when = now - timedelta(days=rng.randint(3, 55), hours=rng.randint(1, 8))
        else:
            continue
        # Rated a little after it was solved (the demo's 服务承诺 history dated each solution).
        solved = need.resolved_at or need.created_at + timedelta(days=1)
        when = min(max(when, solved + timedelta(hours=rng.randint(2, 48))), now)
        ratings.rate(secretary, need.id, stars=stars, comment=comment, now=when, on_behalf=True)


def load(xingwang: Community, hemei: Community) -> None:
    """Rate the demo's solved needs (called once, from ``demo.load``)."""
    db.session.flush()
    now = utcnow()
    rng = random.Random(20261207)
    _rate_all(xingwang, now, rng, share=0.7)
    _rate_all(hemei, now, rng, share=1.0)
