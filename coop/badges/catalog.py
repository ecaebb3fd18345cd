"""The badge catalogue, kept in the database by ``ensure_catalog`` (idempotent, run by the jobs
that award). Codes are stable; names and bonus points may change."""

import sqlalchemy as sa

from coop.badges.models import Badge, HolderType
from coop.extensions import db

THEME = "theme"  # took part in the month's red-themed activity (verified hours)
HOURS_BRONZE = "hours_bronze"
HOURS_SILVER = "hours_silver"
HOURS_GOLD = "hours_gold"
UNIT_STAR = "unit_star"  # 月度共建之星
TERM_LEAD = "term_lead"  # the term's lead unit, when its 六个一 are all done

# code: (name, description, holder, bonus points)
CATALOG = {
    THEME: ("月月红", "参加当月红色主题活动并有核实的服务时长", HolderType.VOLUNTEER, 5),
    HOURS_BRONZE: ("月度志愿之星·铜", "当月核实服务时长满 4 小时", HolderType.VOLUNTEER, 0),
    HOURS_SILVER: ("月度志愿之星·银", "当月核实服务时长满 10 小时", HolderType.VOLUNTEER, 10),
    HOURS_GOLD: ("月度志愿之星·金", "当月核实服务时长满 20 小时", HolderType.VOLUNTEER, 20),
    UNIT_STAR: (
        "月度共建之星",
        "当月完成认领项目、本单位志愿者服务时长在联盟中居前",
        HolderType.UNIT,
        0,
    ),
    TERM_LEAD: ("六个一牵头单位", "轮值副书记单位牵头完成本届六个一", HolderType.UNIT, 0),
}


def listed() -> list[dict]:
    """The catalogue as the code defines it, in its order: what ``ensure_catalog`` keeps in the
    database, read without touching it (a GET writes nothing)."""
    return [
        {"code": code, "name": name, "description": description, "holder_type": holder,
         "bonus_points": bonus}
        for code, (name, description, holder, bonus) in CATALOG.items()
    ]  # fmt: skip


def ensure_catalog() -> dict[str, Badge]:
    """Every catalogue badge as a row, created or brought up to date; by code."""
    badges = {b.code: b for b in db.session.scalars(sa.select(Badge))}
    for position, (code, (name, description, holder, bonus)) in enumerate(CATALOG.items()):
        badge = badges.get(code)
        if badge is None:
            badge = badges[code] = Badge(code=code)
            db.session.add(badge)
        badge.name, badge.description, badge.holder_type = name, description, holder
        badge.bonus_points, badge.position = bonus, position
    db.session.flush()
    return badges
