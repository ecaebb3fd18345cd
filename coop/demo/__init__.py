"""The Xingwang demo (DESIGN.md §5): a street with 兴旺社区 and 和美社区, from real rows.

Names of units and people are fictional. Loading is idempotent: a second run finds the street
and changes nothing.
"""

import random
from datetime import date, datetime

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from coop.alliance.models import (
    Agreement,
    Alliance,
    AllianceOffice,
    HonourKind,
    Membership,
    OfficeRole,
    Street,
    Term,
    Unit,
    UnitKind,
)
from coop.auth.models import Role, RoleGrant, StaffTitle, User
from coop.dbtypes import utcnow
from coop.demo import (
    activities,
    badges,
    escalations,
    limits,  # 服务承诺 and 首问负责
    lists,
    rewards,
    terms,
)
from coop.demo import meetings as demo_meetings
from coop.demo import ratings as demo_ratings
from coop.extensions import db
from coop.honours import service as honours
from coop.matching import service as matching
from coop.people.models import ResidentProfile, Team, TeamMember, VolunteerProfile
from coop.setup import first_run
from coop.setup import service as setup
from coop.setup import staff as setup_staff
from coop.setup.models import GridPost, grid_members_needed
from coop.timeutil import COMMUNITY_TZ, local_today

DEMO_PASSWORD = "coop-demo"
STREET = "青山路街道"

ACCOUNTS = [
    ("street", "街道管理员", "街道管理员：看全街道的社区"),
    ("secretary", "兴旺社区书记", "兴旺社区书记：管理社区、联盟单位、协议和人员"),
    (
        "staff",
        "兴旺社区工作者",
        "兴旺社区工作者：补录服务时长（须由书记核实）；积分超市管理员：上架物品、办理领取",
    ),
    ("secretary2", "和美社区书记", "和美社区书记：另一个社区，看不到兴旺的数据"),
    ("unit", "兴旺单位联络员", "联盟单位（康达物业公司）联络员"),
    ("volunteer", "兴旺党员志愿者", "兴旺社区党员志愿者"),
    ("resident", "兴旺居民", "兴旺社区居民"),
]

XINGWANG_UNITS = [
    ("市第二人民医院", UnitKind.MUNICIPAL, "义诊、健康讲座"),
    ("市图书馆", UnitKind.MUNICIPAL, "流动图书站、读书会"),
    ("市供电服务中心", UnitKind.MUNICIPAL, "用电安全检查、电动车充电设施"),
    ("市税务局第三分局", UnitKind.MUNICIPAL, "政策宣讲、个税申报辅导"),
    ("兴旺小学", UnitKind.STATIONED, "四点半课堂场地、青少年教育"),
    ("康达物业公司", UnitKind.STATIONED, "楼栋维修、环境整治"),
    ("鑫源超市", UnitKind.STATIONED, "爱心物资、积分超市合作"),
    ("同心银行兴旺支行", UnitKind.STATIONED, "防诈骗宣传、金融知识普及"),
    ("晨光幼儿园", UnitKind.STATIONED, "亲子活动场地"),
    ("区文化馆", UnitKind.DISTRICT, "邻里文化节、书画培训"),
    ("区卫生健康服务站", UnitKind.DISTRICT, "老年人健康随访"),
    ("区司法所", UnitKind.DISTRICT, "法律咨询、矛盾调解"),
]

HEMEI_UNITS = [
    ("市消防救援支队特勤站", UnitKind.MUNICIPAL, "消防演练、安全检查"),
    ("市自来水公司", UnitKind.MUNICIPAL, "供水设施检修"),
    ("和美中学", UnitKind.STATIONED, "志愿服务、场地开放"),
    ("安居物业公司", UnitKind.STATIONED, "小区环境整治"),
    ("惠民药房", UnitKind.STATIONED, "药品义诊"),
    ("区人社服务站", UnitKind.DISTRICT, "就业政策宣讲"),
    ("区退役军人服务站", UnitKind.DISTRICT, "红色故事会"),
    ("邻帮社工服务中心", UnitKind.SOCIAL, "帮扶慰问、心理疏导"),
]
SHARED_UNIT = "区文化馆"  # serves both communities: 双报到 in the demo

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建华秀英桂兰志强海燕玉梅国庆淑珍文杰丽娟卫东春生红霞德明晓东永平凤英振国桂芝金凤"
SKILLS = [
    "理发",
    "维修家电",
    "医疗护理",
    "法律咨询",
    "书法",
    "摄影",
    "心理疏导",
    "文艺演出",
    "电脑",
    "烹饪",
]


def _names(rng: random.Random, count: int) -> list[str]:
    given = [GIVEN[i : i + 2] for i in range(0, len(GIVEN), 2)]
    return [rng.choice(SURNAMES) + rng.choice(given) for _ in range(count)]


def _half_year_terms(alliance: Alliance, today: date) -> list[Term]:
    terms = []
    for year in range(today.year - 1, today.year + 1):
        for half, (start, end) in enumerate(((1, 6), (7, 12)), start=1):
            last_day = 30 if end == 6 else 31
            terms.append(
                Term(
                    alliance_id=alliance.id,
                    name=f"{year}年{'上' if half == 1 else '下'}半年",
                    starts_on=date(year, start, 1),
                    ends_on=date(year, end, last_day),
                )
            )
    return terms


class _Loader:
    def __init__(self, today: date):
        self.today = today
        self.rng = random.Random(20261123)
        self.password_hash = generate_password_hash(DEMO_PASSWORD)
        self.counter = 0
        self.admin: User | None = None  # the street admin, who sets the street up

    def next_phone(self) -> str:
        self.counter += 1
        return f"139{self.counter:08d}"

    def user(self, username: str, name: str, *grants: RoleGrant, phone: str | None = None):
        next_phone = self.next_phone()
        user = User(
            username=username,
            display_name=name,
            password_hash=self.password_hash,
            phone=phone or next_phone,
        )
        user.grants.extend(grants)
        db.session.add(user)
        return user

    def street_admin(self, username: str, name: str) -> User:
        """The street and its admin, through the set-up (or beside a street set up before)."""
        found = first_run.found_street if first_run.is_set_up() else first_run.set_up
        self.admin = found(
            street_name=STREET,
            username=username,
            display_name=name,
            phone=self.next_phone(),
            password=DEMO_PASSWORD,
        )
        return self.admin

    def staff(self, community, username: str, name: str, title: StaffTitle) -> User:
        """A person of the demo, appointed by the street admin by her phone."""
        user = self.user(username, name)
        setup_staff.appoint_staff(
            self.admin, community.id, title=title, phone=user.phone, now=utcnow()
        )
        return user

    def community(self, street, name, neighbourhoods, alliance_name, founded, unit_rows):
        community = setup.create_community(
            self.admin,
            street_id=street.id,
            name=name,
            address=f"{street.name}{name}党群服务中心",
            alliance_name=alliance_name,
            founded_on=founded,
        )
        for n_name, n_desc, households in neighbourhoods:
            setup.add_neighbourhood(
                self.admin, community.id, name=n_name, description=n_desc, households=households
            )
        alliance = community.alliance
        units = []
        for name_, kind, offer in unit_rows:
            unit = db.session.scalar(sa.select(Unit).where(Unit.name == name_)) or Unit(
                name=name_,
                kind=kind,
                description=f"可提供：{offer}",
                contact_name=_names(self.rng, 1)[0],
                contact_phone=f"0477-{self.rng.randint(8000000, 8999999)}",
            )
            db.session.add(Membership(unit=unit, community=community, joined_on=founded))
            units.append(unit)
        return community, alliance, units

    def agreements(self, community, units, *, expired: set[str] = frozenset()):
        for unit in units:
            if unit.name in expired:
                starts, ends = date(self.today.year - 3, 3, 1), date(self.today.year - 1, 2, 28)
            else:
                starts, ends = date(self.today.year - 1, 3, 1), date(self.today.year + 1, 2, 28)
            db.session.add(
                Agreement(
                    unit=unit,
                    community_id=community.id,
                    signed_on=starts,
                    starts_on=starts,
                    ends_on=ends,
                    scope=f"{unit.description.removeprefix('可提供：')}；每季度至少参加一次联盟共建活动。",
                )
            )

    def offices(self, alliance, units, secretary_name):
        db.session.add(
            AllianceOffice(
                alliance_id=alliance.id, role=OfficeRole.SECRETARY, holder_name=secretary_name
            )
        )
        for unit in units[:4]:
            db.session.add(
                AllianceOffice(
                    alliance_id=alliance.id,
                    role=OfficeRole.MEMBER,
                    holder_name=_names(self.rng, 1)[0],
                    unit=unit,
                )
            )
        # The terms only; their 推选 and deputies are recorded by demo.meetings (ended terms)
        # and demo.terms (the current one, certified through the service).
        for term in _half_year_terms(alliance, self.today):
            db.session.add(term)

    def volunteers(self, community, prefix, party, others, work_units, first=None):
        people = []
        names = _names(self.rng, party + others)
        for index, name in enumerate(names):
            is_party = index < party
            if index == 0 and first:
                username, name = first
            else:
                username = f"{prefix}{index + 1:03d}"
            user = self.user(username, name, RoleGrant(role=Role.VOLUNTEER, community=community))
            db.session.add(
                VolunteerProfile(
                    user=user,
                    home_community=community,
                    is_party_member=is_party,
                    work_unit=self.rng.choice(work_units) if is_party and index % 3 == 0 else None,
                    skills=self.rng.sample(SKILLS, k=index % 3),
                    joined_on=date(self.today.year - 2 + index % 2, 1 + index % 12, 1),
                )
            )
            people.append(user)
        return people

    def team(self, community, name, description, members):
        team = Team(community_id=community.id, name=name, description=description)
        for index, user in enumerate(members):
            team.members.append(
                TeamMember(
                    user=user, is_leader=index == 0, joined_on=date(self.today.year - 2, 1, 1)
                )
            )
        db.session.add(team)

    def grids(self, community, people, *, short=frozenset()):
        """Each neighbourhood's 网格长 and its 网格员, picked from the community's people."""
        people = iter(people)
        now = utcnow()
        for neighbourhood in community.neighbourhoods:
            setup.appoint_grid_post(
                self.admin, neighbourhood.id, post=GridPost.LEADER, user_id=next(people).id, now=now
            )
            wanted = grid_members_needed(neighbourhood.households)
            for _ in range(wanted - 1 if neighbourhood.name in short else wanted):
                setup.appoint_grid_post(
                    self.admin,
                    neighbourhood.id,
                    post=GridPost.MEMBER,
                    user_id=next(people).id,
                    now=now,
                )

    def residents(self, community, prefix, count, first=None):
        for index, name in enumerate(_names(self.rng, count)):
            username = f"{prefix}{index + 1:03d}"
            if index == 0 and first:
                username, name = first
            user = self.user(username, name, RoleGrant(role=Role.RESIDENT, community=community))
            neighbourhood = community.neighbourhoods[index % len(community.neighbourhoods)]
            db.session.add(
                ResidentProfile(
                    user=user,
                    community=community,
                    neighbourhood=neighbourhood,
                    address=f"{neighbourhood.name}{index % 12 + 1}号楼{index % 6 + 1}单元",
                )
            )


def is_loaded() -> bool:
    return db.session.scalar(sa.select(Street.id).where(Street.name == STREET)) is not None


def load(today: date | None = None) -> bool:
    """Load the demo unless it is there already. Returns whether anything was written."""
    if is_loaded():
        return False
    today = today or local_today()
    loader = _Loader(today)
    admin = loader.street_admin("street", "赵街道")
    street = admin.grants[0].street

    xingwang, xw_alliance, xw_units = loader.community(
        street,
        "兴旺社区",
        [
            ("第一邻里单元·阳光苑", "阳光苑 1–8 号楼，老年住户多", 620),
            ("第二邻里单元·丰泽园", "丰泽园与商业街相连", 480),
            ("第三邻里单元·康乐居", "康乐居、兴旺小学周边", 450),
            ("第四邻里单元·和谐家园", "和谐家园及回迁楼", 700),
        ],
        "兴旺社区大邻里党建联盟",
        date(today.year - 3, 6, 1),
        XINGWANG_UNITS,
    )
    hemei, hm_alliance, hm_units = loader.community(
        street,
        "和美社区",
        [("东区邻里单元", "", 520), ("西区邻里单元", "", 430), ("南区邻里单元", "", 380)],
        "和美社区共建联盟",
        date(today.year - 2, 3, 1),
        [*HEMEI_UNITS[:7], next(u for u in XINGWANG_UNITS if u[0] == SHARED_UNIT)],
    )
    db.session.flush()
    loader.agreements(xingwang, xw_units, expired={"晨光幼儿园"})
    loader.agreements(hemei, hm_units)
    loader.offices(xw_alliance, xw_units, "王建华（社区党委书记）")
    loader.offices(hm_alliance, hm_units, "李红梅（社区党委书记）")
    db.session.flush()
    demo_meetings.load_history(today, xingwang, xw_units)
    demo_meetings.load_history(today, hemei, hm_units)

    secretary = loader.staff(xingwang, "secretary", "王建华", StaffTitle.SECRETARY)
    loader.staff(hemei, "secretary2", "李红梅", StaffTitle.SECRETARY)
    liaison_unit = next(u for u in xw_units if u.name == "康达物业公司")
    loader.user("unit", "周物业", RoleGrant(role=Role.UNIT_LIAISON, unit=liaison_unit))

    xw_people = loader.volunteers(xingwang, "xw", 150, 20, xw_units, first=("volunteer", "陈秀英"))
    loader.team(xingwang, "红色夕阳志愿服务队", "退休老党员为主", xw_people[1:15])
    loader.team(xingwang, "在职党员先锋队", "双报到在职党员", [xw_people[0], *xw_people[15:40]])
    loader.residents(xingwang, "xwr", 40, first=("resident", "刘桂兰"))

    hm_people = loader.volunteers(hemei, "hm", 40, 10, hm_units)
    loader.team(hemei, "在职党员先锋队", "双报到在职党员", hm_people[:12])
    loader.residents(hemei, "hmr", 20)
    db.session.flush()
    # 兴旺's 和谐家园 and 和美's 南区 are each a 网格员 short of one per 150 households.
    loader.grids(xingwang, xw_people[100:], short={"第四邻里单元·和谐家园"})
    loader.grids(hemei, hm_people[20:], short={"南区邻里单元"})
    lists.load(today, xingwang, hemei)
    limits.load(xingwang, hemei)
    activities.load(loader, xingwang, hemei)
    rewards.load(loader, xingwang)
    badges.load(loader, xingwang, hemei)
    terms.load(today, xingwang, hemei)
    escalations.load(today, xingwang)  # before the ratings: it solves a need
    demo_ratings.load(xingwang, hemei)
    # Last night's 智能匹配, so the secretary's board has suggestions before the clock first runs.
    matching.match_all(now=utcnow())
    _pioneers(loader.admin, secretary, xingwang, xw_units[:3], today)
    return True


def _pioneers(admin: User, secretary: User, community, units, today: date) -> None:
    """Last year's three 同心共建先锋: nominated by the secretary with their records, approved by
    the street, in the first days of this year (a year's honours are given once it has ended)."""
    when = datetime(today.year, 1, 8, 10, tzinfo=COMMUNITY_TZ)
    for unit in units:
        honour = honours.nominate(
            secretary,
            community.id,
            kind=HonourKind.PIONEER,
            holder_id=unit.id,
            year=today.year - 1,
            citation="双报到在职党员服务时长领先，认领项目按期完成。",
            now=when,
        )
        honours.approve(admin, honour.id, now=when)
