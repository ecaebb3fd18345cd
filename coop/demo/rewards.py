"""兴旺社区's 积分超市 (DESIGN.md §3): the shelf and about ten weeks of redemptions, written through
the services at the moment each step happened, as ``activities`` does for hours.

The secretary makes ``staff`` the supermarket's staff when it opens, ten weeks ago, and ``staff``
stocks the shelf: everyday goods from the community, and 公益合伙人 items from alliance units
(康达物业公司's 家电清洗 and 物业费抵扣券, 鑫源超市's eggs, the bank's 防诈骗宣传礼包, the health
station's 血压计检测校准). Each item gets a flat-colour picture with one large character, drawn in
memory and uploaded through ``stocking.set_picture``. 中秋月饼礼盒 went off the shelf after the
festival; 食用油 ends low on stock.

The redemptions are made by volunteers who had the points at that moment (``_Planner`` reads
their ledger entries), within each item's monthly limit: most were handed over at the counter by
``staff`` or ``secretary``, two were cancelled by the volunteer, one by staff with a reason, one
expired through ``expire_redemptions``, and four wait at the counter now. ``volunteer`` picked up
a 理发券 two months ago and has 洗衣液 waiting.
"""

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from coop.alliance.models import Community, Unit
from coop.auth.models import User
from coop.demo.activities import _at, _now, _read_old_notices, _run
from coop.extensions import db
from coop.ledger.models import Account, AccountType, Entry
from coop.rewards import service, stocking
from coop.rewards.models import RewardItem
from coop.timeutil import COMMUNITY_TZ

OPENED = 78  # days ago: after the summer's sessions had given most volunteers their points

# Pictures: large enough to read on a phone, small enough to draw and re-encode in ~2 ms each.
PICTURE_SIDE = 240
FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]


@dataclass(frozen=True)
class Item:
    """An item on the shelf; ``glyph`` and ``colour`` make its picture."""

    name: str
    cost: int
    stock: int
    glyph: str
    colour: str
    description: str
    supplier: str | None = None  # a unit of the alliance (公益合伙人); None: the community
    limit: int | None = None  # a person, a calendar month


ITEMS = [
    Item(
        "理发券",
        30,
        40,
        "剪",
        "#2e86c1",
        "社区理发室理发一次，志愿者理发师服务，周二、周四上午。",
        limit=1,
    ),
    Item(
        "血压计检测校准",
        30,
        10,
        "压",
        "#cb4335",
        "带上家里的电子血压计，医护人员免费检测、校准，并测一次血压。",
        supplier="区卫生健康服务站",
    ),
    Item(
        "防诈骗宣传礼包",
        30,
        40,
        "防",
        "#1f618d",
        "反诈手册、环保购物袋和小药箱各一件。",
        supplier="同心银行兴旺支行",
    ),
    Item(
        "鲜鸡蛋 30 枚",
        30,
        30,
        "蛋",
        "#d4ac0d",
        "当天到货的鲜鸡蛋一盒。",
        supplier="鑫源超市",
        limit=2,
    ),
    Item("洗衣液 2 kg", 40, 30, "洗", "#16a085", "常用品牌洗衣液一桶。", limit=2),
    Item(
        "电影票", 40, 12, "影", "#8e44ad", "兴旺影城 2D 电影票一张，周一至周五场次通用。", limit=2
    ),
    Item("中秋月饼礼盒", 40, 12, "月", "#a04000", "中秋节限定，节后下架。"),
    Item("食用油 1.8 L", 50, 7, "油", "#e67e22", "一级压榨花生油一桶。", limit=1),
    Item("毛巾礼盒", 50, 20, "巾", "#c0392b", "纯棉毛巾两条、浴巾一条。"),
    Item("大米 5 kg", 80, 20, "米", "#b9770e", "东北大米一袋。", limit=1),
    Item(
        "家电清洗服务",
        300,
        6,
        "洁",
        "#117a65",
        "空调、油烟机或洗衣机任选一台，物业师傅上门清洗，兑换后电话预约。",
        supplier="康达物业公司",
        limit=1,
    ),
    Item(
        "物业费抵扣券（100 元）",
        500,
        10,
        "券",
        "#566573",
        "在物业服务中心缴物业费时抵扣 100 元。",
        supplier="康达物业公司",
        limit=1,
    ),
]
OFF_SHELF = "中秋月饼礼盒"  # delisted 50 days ago, after the festival
RESTOCK = ("大米 5 kg", 40, 10)  # (item, days ago, how many): after the delisting


@dataclass(frozen=True)
class R:
    """A redemption: reserved ``ago`` days before today, then ``outcome`` ``after`` days later."""

    ago: int
    item: str
    outcome: str  # picked_up, cancelled (by her), cancelled_by_staff, expired, reserved
    after: int = 1
    by: str = "staff"  # who hands it over or cancels it (staff)
    who: str | None = None  # a demo account; None: a volunteer who had the points then
    reason: str = ""


HISTORY = [
    R(70, "理发券", "picked_up"),
    R(69, "防诈骗宣传礼包", "picked_up", after=0),
    R(67, "鲜鸡蛋 30 枚", "picked_up", after=2, by="secretary"),
    R(66, "中秋月饼礼盒", "picked_up"),
    R(65, "中秋月饼礼盒", "expired"),
    R(63, "食用油 1.8 L", "picked_up"),
    R(60, "理发券", "picked_up", who="volunteer"),
    R(58, "毛巾礼盒", "cancelled", reason="家里刚买了，先不换了。"),
    R(56, "中秋月饼礼盒", "picked_up", after=2, by="secretary"),
    R(55, "洗衣液 2 kg", "picked_up", after=3),
    R(
        48,
        "食用油 1.8 L",
        "cancelled_by_staff",
        reason="这一批食用油外包装破损，已退回供货商。冻结的积分已退回，欢迎改兑其他物品。",
    ),
    R(45, "血压计检测校准", "picked_up", after=4),
    R(36, "电影票", "picked_up", after=2),
    R(34, "鲜鸡蛋 30 枚", "picked_up", by="secretary"),
    R(33, "食用油 1.8 L", "picked_up"),
    R(30, "理发券", "cancelled", after=2, reason="这周出差，下个月再约。"),
    R(24, "洗衣液 2 kg", "picked_up"),
    R(20, "毛巾礼盒", "picked_up", after=2, by="secretary"),
    R(15, "食用油 1.8 L", "picked_up"),
    R(12, "鲜鸡蛋 30 枚", "picked_up", after=0),
    R(9, "电影票", "picked_up", after=2),
    R(5, "理发券", "reserved"),
    R(4, "食用油 1.8 L", "reserved"),
    R(2, "洗衣液 2 kg", "reserved", who="volunteer"),
    R(1, "防诈骗宣传礼包", "reserved"),
]


def _font() -> ImageFont.FreeTypeFont | None:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, PICTURE_SIDE * 5 // 8)
    return None  # no CJK font here: the pictures are plain colour


def _picture(item: Item, font) -> bytes:
    image = Image.new("RGB", (PICTURE_SIDE, PICTURE_SIDE), item.colour)
    if font is not None:
        centre = PICTURE_SIDE // 2
        ImageDraw.Draw(image).text(
            (centre, centre), item.glyph, font=font, fill="white", anchor="mm"
        )
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


class _Planner:
    """Who makes each redemption: a volunteer with enough points at that moment (her ledger
    entries so far, less what the plan has her spend or hold), within the monthly limit.
    The closest fit is chosen, so those with more points are left for the dearer items."""

    def __init__(self, community: Community, users: dict[str, User], rng: random.Random):
        self.rng = rng
        self.users = users
        self.credits: dict[int, list[tuple[datetime, int]]] = {}
        for owner_id, at, amount in db.session.execute(
            sa.select(Account.owner_id, Entry.created_at, Entry.amount)
            .join(Entry, Entry.account_id == Account.id)
            .where(Account.type == AccountType.VOLUNTEER, Account.community_id == community.id)
        ):
            self.credits.setdefault(owner_id, []).append((at, amount))
        self.moves: dict[int, list[tuple[datetime, int]]] = {}
        self.monthly: dict[tuple[int, str, date], int] = {}

    def available(self, user_id: int, at: datetime) -> int:
        return sum(a for t, a in self.credits.get(user_id, []) if t <= at) + sum(
            a for t, a in self.moves.get(user_id, []) if t <= at
        )

    def pick(self, spec: R, item: Item, at: datetime, closed: datetime) -> User:
        month = at.astimezone(COMMUNITY_TZ).date().replace(day=1)
        if spec.who is not None:
            candidates = [self.users[spec.who]]
        else:
            candidates = [
                u
                for name, u in sorted(self.users.items())
                if name != "volunteer" and self.available(u.id, at) >= item.cost
            ]
        candidates = [
            u
            for u in candidates
            if item.limit is None or self.monthly.get((u.id, item.name, month), 0) < item.limit
        ]
        if not candidates or self.available(candidates[0].id, at) < item.cost:
            raise RuntimeError(f"no demo volunteer can redeem {item.name} {spec.ago} days ago")
        fit = min(self.available(u.id, at) for u in candidates)
        user = self.rng.choice([u for u in candidates if self.available(u.id, at) == fit])
        self.moves.setdefault(user.id, []).append((at, -item.cost))
        if spec.outcome in ("cancelled", "cancelled_by_staff", "expired"):
            self.moves[user.id].append((closed, item.cost))
        else:
            key = (user.id, item.name, month)
            self.monthly[key] = self.monthly.get(key, 0) + 1
        return user


class _Supermarket:
    def __init__(self, community: Community, now: datetime):
        self.community = community
        self.now = now
        self.today = now.astimezone(COMMUNITY_TZ).date()
        self.rng = random.Random(2029)
        self.users = {
            u.username: u
            for u in db.session.scalars(
                sa.select(User).where(User.grants.any(community_id=community.id))
            )
        }
        self.specs = {item.name: item for item in ITEMS}
        self.items: dict[str, RewardItem] = {}

    def day(self, ago: int) -> date:
        return self.today - timedelta(days=ago)

    def shelf(self):
        staff, secretary = self.users["staff"], self.users["secretary"]
        yield _at(self.day(OPENED), time(9))
        stocking.grant_staff(secretary, self.community.id, staff.id)
        yield _at(self.day(OPENED), time(9, 30))
        units = dict(db.session.execute(sa.select(Unit.name, Unit.id)).all())
        font = _font()
        for spec in ITEMS:
            item = stocking.add_item(
                staff,
                self.community.id,
                name=spec.name,
                cost=spec.cost,
                stock=spec.stock,
                monthly_limit=spec.limit,
                supplier_unit_id=units[spec.supplier] if spec.supplier else None,
                description=spec.description,
            )
            stocking.set_picture(staff, item.id, _picture(spec, font))
            self.items[spec.name] = item
        yield _at(self.day(50), time(9))
        stocking.delist(staff, self.items[OFF_SHELF].id)
        name, ago, quantity = RESTOCK
        yield _at(self.day(ago), time(15))
        stocking.restock(staff, self.items[name].id, quantity=quantity)

    def moments(self, spec: R) -> tuple[datetime, datetime]:
        """When she reserved it (daytime) and when it left ``reserved`` (counter hours)."""
        if spec.after == 0:
            reserved = _at(
                self.day(spec.ago), time(8 + self.rng.randint(0, 2), self.rng.randint(0, 59))
            )
            return reserved, reserved + timedelta(hours=3, minutes=self.rng.randint(0, 90))
        reserved = _at(
            self.day(spec.ago), time(8 + self.rng.randint(0, 11), self.rng.randint(0, 59))
        )
        closed = _at(
            self.day(spec.ago - spec.after),
            time(9 + self.rng.randint(0, 7), self.rng.randint(0, 59)),
        )
        return reserved, closed

    def story(self, spec: R, volunteer: User, reserved: datetime, closed: datetime):
        yield reserved
        redemption = service.reserve(volunteer, self.items[spec.item].id, now=reserved)
        if spec.outcome == "reserved":
            return
        if spec.outcome == "expired":
            at = redemption.expires_at + timedelta(hours=2)  # the clock job's next run
            yield at
            service.expire_redemptions(now=at)
            return
        yield closed
        if spec.outcome == "picked_up":
            service.pickup(self.users[spec.by], redemption.id, now=closed)
        elif spec.outcome == "cancelled":
            service.cancel(volunteer, redemption.id, now=closed, reason=spec.reason)
        else:
            service.cancel(self.users[spec.by], redemption.id, now=closed, reason=spec.reason)

    def stories(self) -> list:
        planner = _Planner(self.community, self.users, self.rng)
        stories = [self.shelf()]
        for spec in sorted(HISTORY, key=lambda r: -r.ago):
            reserved, closed = self.moments(spec)
            if spec.outcome == "expired":
                pickup_days = self.community.pickup_days
                closed = reserved + timedelta(days=pickup_days, hours=2)
            volunteer = planner.pick(spec, self.specs[spec.item], reserved, closed)
            stories.append(self.story(spec, volunteer, reserved, closed))
        return stories


def load(loader, xingwang: Community) -> None:
    """兴旺社区's shelf and its redemptions (called from ``demo.load``, after the activities)."""
    now = _now(loader.today)
    supermarket = _Supermarket(xingwang, now)
    _run(supermarket.stories())
    _read_old_notices({u.id for u in supermarket.users.values()}, now)
    db.session.flush()
