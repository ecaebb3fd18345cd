"""The demo's three lists (DESIGN.md §3, §5): needs, resources, projects and their claims.

Rows are built directly, like the rest of the loader, but only in states the services could have
reached: a need is ``in_project`` exactly while an open project holds it and a completed project's
needs are resolved; a project's ``approved_count`` is its approved plus fulfilled claims and a team
project with approvals has a lead; only units with a live agreement claim, only volunteers of the
community claim routine projects.

The seed's "6 e-bike sheds funded by units (出资)" are six funds resources, one shed each from six
different units, titled ``电动车棚…`` and pledged by the six fulfilled claims of the completed
project 电动车棚建设: the dashboard counts rows, not a quantity on one row. Likewise the seed's
"more than 30 people visited with care" are 33 入户走访 needs of 老党员, 残疾人 and 老年人, one per
person, resolved by the completed project 老党员、残疾人、老年人入户慰问 (``people_visited`` in
``coop.stats``); its sessions are in ``activities``.

What the demo accounts find: ``resident`` (刘桂兰) follows five needs of her own in five states;
``unit`` (康达物业公司) holds two approved claims, may claim several published team projects and
has one 资源点单 order waiting; ``volunteer`` (陈秀英) may claim two routine projects, one of them
approved at once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community, Unit
from coop.auth.models import Role, User
from coop.categories import Category
from coop.claims.models import Claim, ClaimantType, ClaimStatus, OrderStatus, ResourceOrder
from coop.extensions import db
from coop.needs.models import Beneficiary, Need, NeedSource, NeedStatus, Urgency
from coop.projects.models import Project, ProjectMode, ProjectStatus
from coop.resources.models import Resource, ResourceKind, ResourceStatus
from coop.timeutil import COMMUNITY_TZ

EBIKE_SHED = "电动车棚"  # title prefix of the six shed resources

C, M = Category, ProjectMode
B, Src = Beneficiary, NeedSource
K, RS = ResourceKind, ResourceStatus
PS, CS = ProjectStatus, ClaimStatus


@dataclass
class N:
    """A need as written in the tables below; ``by`` is a resident's username for online ones."""

    title: str
    source: NeedSource
    group: Beneficiary
    where: int = 0  # index of the neighbourhood
    status: NeedStatus | None = None  # None: follows the project it is compiled into
    by: str = ""
    who: str = ""
    urgency: Urgency = Urgency.NORMAL
    reason: str = ""  # reject reason or resolution
    days_ago: int = 30


@dataclass
class Cl:
    """A claim: a unit's name or a volunteer's username, its state and what it pledges."""

    who: str
    status: ClaimStatus
    note: str = ""
    pledges: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class P:
    title: str
    category: Category
    mode: ProjectMode
    status: ProjectStatus
    needs: list[N]
    claims: list[Cl] = field(default_factory=list)
    slots: int = 1
    auto: bool = False
    capacity: int = 0
    schedule: str = ""
    description: str = ""
    deadline_in: int = 14  # days from today, for published projects
    reason: str = ""  # cancel reason


# The people visited with care (seed: 走访慰问老党员、残疾人、老年人 30 余人): one 入户走访 need each,
# resolved by the completed project 老党员、残疾人、老年人入户慰问 together with its three named
# needs, 33 people in all. (name, group, neighbourhood, what the visit found)
VISITED = [
    ("杜永福", B.OLD_PARTY_MEMBER, 0, "老党员卧床多年，希望常有人来看看"),
    ("魏桂香", B.OLD_PARTY_MEMBER, 0, "独居老党员家中灯具损坏"),
    ("蒋国华", B.OLD_PARTY_MEMBER, 1, "老党员想订阅党报党刊"),
    ("沈玉珍", B.OLD_PARTY_MEMBER, 1, "老党员行动不便，参加不了支部组织生活"),
    ("韦德胜", B.OLD_PARTY_MEMBER, 2, "高龄老党员需要代购常用药"),
    ("姜秀兰", B.OLD_PARTY_MEMBER, 2, "老党员想把藏书捐给社区书屋"),
    ("范志明", B.OLD_PARTY_MEMBER, 3, "老党员家中暖气需要检修"),
    ("方淑英", B.OLD_PARTY_MEMBER, 3, "老党员希望有人陪同去医院复查"),
    ("石春华", B.OLD_PARTY_MEMBER, 0, "老党员家属咨询困难党员慰问政策"),
    ("姚凤兰", B.OLD_PARTY_MEMBER, 1, "九十岁老党员想和老同事见见面"),
    ("谭建国", B.DISABLED, 0, "肢体残疾人的轮椅需要维修"),
    ("廖桂珍", B.DISABLED, 1, "视力残疾人家中需要安装扶手"),
    ("邹明亮", B.DISABLED, 2, "残疾人需要办理残疾证换证"),
    ("熊玉芬", B.DISABLED, 3, "听力残疾老人的助听器需要调试"),
    ("金永昌", B.DISABLED, 0, "残疾人家庭希望得到康复训练指导"),
    ("陆秀珍", B.DISABLED, 1, "残疾人想了解居家就业政策"),
    ("郝振华", B.DISABLED, 2, "精神残疾人家属需要心理疏导"),
    ("孔丽华", B.DISABLED, 3, "残疾人出行需要单元门口无障碍坡道"),
    ("白国强", B.DISABLED, 3, "残疾人家中电路老化"),
    ("崔桂英", B.DISABLED, 2, "智力残疾青年的家长咨询托养服务"),
    ("康德福", B.ELDERLY, 0, "独居老人需要定期测量血压"),
    ("毛淑芬", B.ELDERLY, 0, "空巢老人不会用智能手机挂号"),
    ("邱建民", B.ELDERLY, 1, "高龄老人行动不便，需要助浴"),
    ("秦玉兰", B.ELDERLY, 1, "失能老人的家属需要护理指导"),
    ("江永贵", B.ELDERLY, 2, "独居老人家中燃气灶老旧"),
    ("史翠英", B.ELDERLY, 2, "老人需要办理高龄津贴"),
    ("顾明德", B.ELDERLY, 3, "老年夫妇希望有人帮忙打扫卫生"),
    ("侯秀梅", B.ELDERLY, 3, "老人腿脚不便，想申请助餐服务"),
    ("邵金山", B.ELDERLY, 0, "独居老人夜间突发不适无人知晓"),
    ("孟桂荣", B.ELDERLY, 1, "老人想学习防跌倒知识"),
]

# 兴旺社区's projects. Neighbourhoods: 0 阳光苑, 1 丰泽园, 2 康乐居, 3 和谐家园.
XINGWANG_PROJECTS = [
    P(
        "老党员讲党史·红色故事进楼栋",
        C.RED_EDUCATION,
        M.TEAM,
        PS.PUBLISHED,
        [
            N("老党员希望给年轻党员讲讲入党经历", Src.VISIT, B.OLD_PARTY_MEMBER, 0, who="张振国"),
            N("建议在楼栋开展红色故事分享会", Src.PROPOSAL, B.RESIDENTS, 2, who="林晓东"),
        ],
        [Cl("市图书馆", CS.PENDING, "可提供红色书籍流动书箱和一名讲解员。")],
        slots=3,
        capacity=20,
        schedule="每月第二个周六 上午",
        description="邀请社区老党员在楼栋讲述党史和亲身经历，联盟单位提供场地、书籍和讲解。",
        deadline_in=12,
    ),
    P(
        "惠民政策进万家·医保与养老金政策宣讲",
        C.POLICY,
        M.TEAM,
        PS.PUBLISHED,
        [
            N("不会办理医保线上认证", Src.HALL, B.ELDERLY, 1, who="孙桂芝", days_ago=20),
            N("想了解今年养老金调整政策", Src.RESIDENT, B.ELDERLY, 0, by="resident", days_ago=18),
        ],
        [
            Cl("市税务局第三分局", CS.APPROVED, "派两名业务骨干现场讲解并辅导操作。"),
            Cl("同心银行兴旺支行", CS.WITHDRAWN, "", reason="网点本月人手调整，改为下期参加。"),
        ],
        slots=2,
        auto=True,
        capacity=60,
        schedule="党群服务中心一楼大厅",
        description="讲清医保认证、养老金调整和个税专项附加扣除，现场手把手教老年人用手机办理。",
        deadline_in=9,
    ),
    P(
        "楼道杂物清理与消防通道整治",
        C.GOVERNANCE,
        M.TEAM,
        PS.PUBLISHED,
        [
            N("丰泽园3号楼楼道堆放杂物", Src.GRID, B.RESIDENTS, 1, who="网格员王海燕"),
            N("消防通道长期被私家车占用", Src.DAILY, B.RESIDENTS, 1, urgency=Urgency.SOON),
        ],
        slots=3,
        capacity=15,
        schedule="周末集中清理两次",
        description="清理楼道堆物、劝导占用消防通道车辆，清运车辆和人手向联盟单位点单。",
        deadline_in=16,
    ),
    P(
        "每周三义务理发",
        C.CONVENIENCE,
        M.ROUTINE,
        PS.PUBLISHED,
        [
            N("行动不便的老人理发难", Src.HALL, B.ELDERLY, 0, who="何凤英"),
            N("残疾人希望上门理发", Src.VISIT, B.DISABLED, 3, who="郭永平"),
        ],
        auto=True,
        capacity=2,
        schedule="每周三 上午 9:00–11:00",
        description="有理发手艺的志愿者每周三在党群服务中心理发，行动不便的上门服务。",
        deadline_in=10,
    ),
    P(
        "独居老人每周电话问候",
        C.CARE,
        M.ROUTINE,
        PS.PUBLISHED,
        [N("独居老人平时无人问候", Src.VISIT, B.ELDERLY, 0, who="马淑珍", days_ago=12)],
        [Cl("xw004", CS.PENDING, "我每周二晚上有空。")],
        capacity=1,
        schedule="每周二 晚上",
        description="志愿者每周给结对的独居老人打一次电话，发现异常及时告知社区。",
        deadline_in=11,
    ),
    P(
        "困难家庭冬季送温暖",
        C.CARE,
        M.TEAM,
        PS.CLAIMED,
        [
            N("低保户冬季取暖困难", Src.VISIT, B.NEEDY, 3, who="韩德明", urgency=Urgency.URGENT),
            N("困难家庭孩子缺少冬衣", Src.DAILY, B.NEEDY, 3),
        ],
        [
            Cl("鑫源超市", CS.APPROVED, "捐赠米面油和冬衣。", pledges=("爱心物资包（米面油）",)),
            Cl("康达物业公司", CS.APPROVED, "负责入户搬运和取暖设备检查。"),
        ],
        slots=2,
        capacity=10,
        schedule="元旦前入户走访",
    ),
    P(
        "楼栋路灯与单元门禁维修",
        C.CONVENIENCE,
        M.TEAM,
        PS.IN_PROGRESS,
        [
            N("和谐家园路灯不亮", Src.GRID, B.RESIDENTS, 3, who="网格员宋卫东"),
            N("单元门禁坏了一个多月", Src.RESIDENT, B.RESIDENTS, 2, by="xwr002"),
        ],
        [
            Cl("康达物业公司", CS.APPROVED, "维修班组负责门禁。", pledges=("物业维修班组",)),
            Cl("市供电服务中心", CS.APPROVED, "负责路灯线路检修。"),
        ],
        slots=2,
        schedule="两周内完成",
    ),
    P(
        "七一红色观影与党史知识竞答",
        C.RED_EDUCATION,
        M.TEAM,
        PS.COMPLETED,
        [
            N("老党员想和大家一起看红色电影", Src.PROPOSAL, B.OLD_PARTY_MEMBER, 0, who="曹建华"),
            N(
                "希望多组织面向全体居民的党史活动",
                Src.DAILY,
                B.RESIDENTS,
                2,
                status=NeedStatus.CLOSED,
            ),
        ],
        [
            Cl("区文化馆", CS.FULFILLED, "提供放映设备和排练厅。", pledges=("多功能排练厅",)),
            Cl("市图书馆", CS.FULFILLED, "准备党史知识题库和奖品图书。"),
            Cl("区司法所", CS.REJECTED, "", reason="名额已由文化馆和图书馆承担，感谢支持。"),
        ],
        slots=2,
        capacity=80,
    ),
    P(
        "老党员、残疾人、老年人入户慰问",
        C.CARE,
        M.TEAM,
        PS.COMPLETED,
        [
            N("老党员行动不便，希望有人上门看看", Src.VISIT, B.OLD_PARTY_MEMBER, 0, who="冯春生"),
            N("残疾人家庭需要康复指导", Src.VISIT, B.DISABLED, 1, who="吕玉梅"),
            N("高龄老人需要健康随访", Src.VISIT, B.ELDERLY, 2, who="彭秀英"),
            *(N(title, Src.VISIT, group, where, who=who) for who, group, where, title in VISITED),
        ],
        [
            Cl("区卫生健康服务站", CS.FULFILLED, "家庭医生随访。", pledges=("家庭医生随访",)),
            Cl("市第二人民医院", CS.FULFILLED, "康复科医生上门指导。"),
            Cl("康达物业公司", CS.FULFILLED, "协助联系住户、陪同入户。"),
        ],
        slots=3,
        capacity=12,
        description="走访 30 余位老党员、残疾人和老年人，送医送药、了解困难。",
    ),
    P(
        "电动车棚建设",
        C.GOVERNANCE,
        M.TEAM,
        PS.COMPLETED,
        [
            N(
                "电动车飞线充电有火灾隐患",
                Src.GRID,
                B.RESIDENTS,
                1,
                who="网格员王海燕",
                urgency=Urgency.URGENT,
            ),
            N(
                "楼下没有给电动车充电的地方",
                Src.RESIDENT,
                B.RESIDENTS,
                0,
                by="resident",
                days_ago=150,
            ),
            N("回迁楼电动车乱停乱放", Src.HALL, B.RESIDENTS, 3, status=NeedStatus.CLOSED),
        ],
        [
            Cl(unit, CS.FULFILLED, "出资建设一座电动车棚。", pledges=(f"{EBIKE_SHED}（{place}）",))
            for unit, place in (
                ("市供电服务中心", "阳光苑2号楼"),
                ("康达物业公司", "阳光苑6号楼"),
                ("同心银行兴旺支行", "丰泽园1号楼"),
                ("鑫源超市", "丰泽园5号楼"),
                ("市第二人民医院", "康乐居3号楼"),
                ("市税务局第三分局", "和谐家园回迁楼"),
            )
        ],
        slots=6,
        description="六家联盟单位出资，在四个邻里单元建成 6 座带智能充电桩的电动车棚。",
    ),
    P(
        "防范养老诈骗宣讲",
        C.POLICY,
        M.ROUTINE,
        PS.COMPLETED,
        [N("老人接到可疑保健品推销电话", Src.DAILY, B.ELDERLY, 0)],
        [Cl("xw002", CS.FULFILLED, "每月一次，讲真实案例。")],
        schedule="每月一次",
    ),
    P(
        "小区安全防线·高空抛物宣传",
        C.GOVERNANCE,
        M.TEAM,
        PS.DRAFT,
        [
            N("康乐居有人高空抛物", Src.GRID, B.RESIDENTS, 2, who="网格员宋卫东"),
            N("建议在楼道张贴安全提示、开展儿童安全课", Src.PROPOSAL, B.CHILDREN, 2, who="梁丽娟"),
        ],
        slots=2,
        schedule="四月 小区安全防线红色治理月",
    ),
    P(
        "四点半课堂",
        C.CONVENIENCE,
        M.TEAM,
        PS.DRAFT,
        [N("双职工家庭孩子放学后无人看护", Src.HALL, B.CHILDREN, 2, who="唐文杰")],
        slots=3,
        capacity=30,
        schedule="工作日 16:30–18:00",
    ),
    P(
        "网格楼栋安全巡查",
        C.GOVERNANCE,
        M.ROUTINE,
        PS.IN_PROGRESS,
        [N("康乐居外墙瓷砖脱落", Src.GRID, B.RESIDENTS, 2, urgency=Urgency.SOON)],
        [Cl("xw003", CS.APPROVED, "每周六上午巡查一遍。")],
        schedule="每周六 上午",
    ),
    P(
        "防诈骗宣传进小区",
        C.POLICY,
        M.TEAM,
        PS.PUBLISHED,
        [
            N("老人被冒充客服骗走积蓄", Src.DAILY, B.ELDERLY, 1, urgency=Urgency.SOON),
            N("居民希望了解反诈APP", Src.HALL, B.RESIDENTS, 3),
        ],
        [Cl("同心银行兴旺支行", CS.APPROVED, "派金融志愿者，带反诈宣传折页。")],
        slots=4,
        auto=True,
        capacity=40,
        schedule="每个邻里单元一场",
        deadline_in=20,
    ),
    P(
        "暑期儿童托管",
        C.CARE,
        M.TEAM,
        PS.CANCELLED,
        [N("暑假孩子无人照看", Src.HALL, B.CHILDREN, 2, status=NeedStatus.LISTED)],
        [Cl("兴旺小学", CS.RELEASED, "提供教室。", reason="项目取消")],
        slots=2,
        reason="街道统一开设暑期托管班，本项目取消，需求转入“四点半课堂”统筹。",
    ),
    P(
        "义诊进社区·慢病随访",
        C.CONVENIENCE,
        M.TEAM,
        PS.PUBLISHED,
        [
            N("高血压老人需要定期测血压", Src.VISIT, B.ELDERLY, 0, who="彭秀英"),
            N("残疾人看病不方便", Src.HALL, B.DISABLED, 3, who="郭永平"),
        ],
        [
            Cl("市第二人民医院", CS.PENDING, "每月一次义诊。", pledges=("医护志愿服务队",)),
            Cl("区卫生健康服务站", CS.PENDING, "家庭医生建档随访。"),
        ],
        slots=2,
        capacity=6,
        schedule="每月最后一个周五",
        deadline_in=15,
    ),
]

# Needs that are in no project (or never were).
XINGWANG_NEEDS = [
    N("申请低保需要准备哪些材料", Src.HALL, B.NEEDY, 3, NeedStatus.LISTED, who="董建华"),
    N("小区儿童游乐设施损坏", Src.RESIDENT, B.CHILDREN, 2, NeedStatus.LISTED, by="xwr003"),
    N("阳光苑小广场晚上跳舞噪音扰民", Src.GRID, B.RESIDENTS, 0, NeedStatus.LISTED),
    N(
        "想参加社区老年书法班",
        Src.RESIDENT,
        B.ELDERLY,
        0,
        NeedStatus.LISTED,
        by="resident",
        days_ago=15,
    ),
    N("老年人想学用智能手机", Src.DAILY, B.ELDERLY, 1, NeedStatus.LISTED, days_ago=8),
    N("建议设立共享工具箱", Src.PROPOSAL, B.RESIDENTS, 1, NeedStatus.LISTED, who="谢志强"),
    N(
        "单元楼道扶手松动",
        Src.RESIDENT,
        B.ELDERLY,
        0,
        NeedStatus.SUBMITTED,
        by="resident",
        days_ago=2,
    ),
    N(
        "孩子周末想参加志愿活动",
        Src.RESIDENT,
        B.CHILDREN,
        2,
        NeedStatus.SUBMITTED,
        by="xwr004",
        days_ago=1,
    ),
    N(
        "楼上漏水找不到业主",
        Src.RESIDENT,
        B.RESIDENTS,
        3,
        NeedStatus.SUBMITTED,
        by="xwr005",
        urgency=Urgency.SOON,
        days_ago=1,
    ),
    N(
        "希望社区出钱更换自家窗户",
        Src.RESIDENT,
        B.ELDERLY,
        0,
        NeedStatus.REJECTED,
        by="resident",
        reason="属于个人产权范围，社区不能出资；可预约“便民维修”志愿服务上门查看。",
        days_ago=40,
    ),
    N(
        "要求拆除小区围墙",
        Src.GRID,
        B.RESIDENTS,
        3,
        NeedStatus.REJECTED,
        reason="涉及规划调整，不在社区职责范围，已转报街道城建办。",
        days_ago=60,
    ),
    N(
        "临时救助申请",
        Src.HALL,
        B.NEEDY,
        3,
        NeedStatus.RESOLVED,
        who="袁红霞",
        reason="已协助申请临时救助金并送去慰问品。",
        days_ago=25,
    ),
    N(
        "社区公告栏破损",
        Src.DAILY,
        B.RESIDENTS,
        1,
        NeedStatus.CLOSED,
        reason="社区已直接维修。",
        days_ago=70,
    ),
]

# (unit, kind, title, category, quantity, measure, status, neighbourhoods)
XINGWANG_RESOURCES = [
    ("市第二人民医院", K.VOLUNTEERS, "医护志愿服务队", C.CARE, 8, "人", RS.LISTED, (0, 1, 2, 3)),
    ("市第二人民医院", K.EXPERTISE, "慢病管理健康讲座", C.CARE, 6, "场", RS.LISTED, ()),
    ("市图书馆", K.GOODS, "流动图书站红色书籍", C.RED_EDUCATION, 300, "册", RS.LISTED, (0, 2)),
    ("市图书馆", K.VOLUNTEERS, "读书会领读志愿者", C.RED_EDUCATION, 3, "人", RS.OFFERED, ()),
    ("市供电服务中心", K.EXPERTISE, "用电安全入户检查", C.CONVENIENCE, 200, "户", RS.LISTED, ()),
    ("市税务局第三分局", K.EXPERTISE, "个税申报辅导", C.POLICY, 4, "场", RS.LISTED, ()),
    ("兴旺小学", K.VENUE, "学校操场（周末开放）", C.CONVENIENCE, 1, "处", RS.LISTED, (2,)),
    ("兴旺小学", K.VENUE, "多媒体教室", C.CARE, 2, "间", RS.RETURNED, (2,)),
    ("康达物业公司", K.VOLUNTEERS, "物业维修班组", C.CONVENIENCE, 6, "人", RS.LISTED, (0, 1)),
    ("康达物业公司", K.VOLUNTEERS, "保洁清运队", C.GOVERNANCE, 10, "人", RS.LISTED, (1, 3)),
    ("康达物业公司", K.VENUE, "物业会议室", C.GOVERNANCE, 1, "间", RS.LISTED, (1,)),
    ("鑫源超市", K.GOODS, "爱心物资包（米面油）", C.CARE, 200, "份", RS.LISTED, ()),
    ("鑫源超市", K.GOODS, "积分超市兑换商品", C.CONVENIENCE, 500, "件", RS.OFFERED, ()),
    ("同心银行兴旺支行", K.VOLUNTEERS, "金融知识志愿者", C.POLICY, 5, "人", RS.LISTED, ()),
    ("同心银行兴旺支行", K.FUNDS, "邻里文化节赞助", C.RED_EDUCATION, 5000, "元", RS.WITHDRAWN, ()),
    ("区文化馆", K.VENUE, "多功能排练厅", C.RED_EDUCATION, 1, "间", RS.LISTED, ()),
    ("区文化馆", K.EXPERTISE, "书画培训老师", C.RED_EDUCATION, 2, "人", RS.LISTED, ()),
    ("区卫生健康服务站", K.EXPERTISE, "家庭医生随访", C.CARE, 40, "户", RS.LISTED, (0, 3)),
    ("区司法所", K.EXPERTISE, "法律咨询与矛盾调解", C.GOVERNANCE, 12, "次", RS.LISTED, ()),
    ("晨光幼儿园", K.VENUE, "亲子活动室", C.CARE, 1, "间", RS.RETURNED, ()),
]
SHED_FUNDS = 30000  # 元 a shed

RETURN_REASONS = {
    "多媒体教室": "请写明可开放的时段和每次可容纳人数。",
    "亲子活动室": "贵单位的共建协议已到期，续签后再提交。",
}

HEMEI_PROJECTS = [
    P(
        "红色故事会",
        C.RED_EDUCATION,
        M.TEAM,
        PS.PUBLISHED,
        [N("老兵想给孩子们讲讲当年的故事", Src.VISIT, B.OLD_PARTY_MEMBER, 0, who="邓国庆")],
        [Cl("区退役军人服务站", CS.APPROVED, "邀请退役老兵主讲。")],
        slots=2,
        schedule="七月 红色故事会",
        deadline_in=14,
    ),
    P(
        "消防安全演练",
        C.GOVERNANCE,
        M.TEAM,
        PS.COMPLETED,
        [N("高层住宅不会使用灭火器", Src.GRID, B.RESIDENTS, 1)],
        [Cl("市消防救援支队特勤站", CS.FULFILLED, "现场演示灭火器和逃生。")],
        slots=1,
    ),
]
HEMEI_NEEDS = [
    N(
        "疫情期间独居老人买药难",
        Src.VISIT,
        B.ELDERLY,
        2,
        NeedStatus.RESOLVED,
        who="许桂兰",
        reason="惠民药房已送药上门。",
    ),
    N("就业政策不了解", Src.HALL, B.NEEDY, 0, NeedStatus.LISTED),
    N(
        "希望开办老年书法班",
        Src.RESIDENT,
        B.ELDERLY,
        1,
        NeedStatus.SUBMITTED,
        by="hmr001",
        days_ago=3,
    ),
]
HEMEI_RESOURCES = [
    (
        "市消防救援支队特勤站",
        K.EXPERTISE,
        "消防演练与安全检查",
        C.GOVERNANCE,
        4,
        "场",
        RS.LISTED,
        (),
    ),
    ("惠民药房", K.GOODS, "常用药品", C.CARE, 100, "份", RS.LISTED, ()),
    ("和美中学", K.VENUE, "学校礼堂", C.RED_EDUCATION, 1, "处", RS.OFFERED, ()),
]

ACTIVE = (PS.DRAFT, PS.PUBLISHED, PS.CLAIMED, PS.IN_PROGRESS)
HOLDING = (CS.APPROVED, CS.FULFILLED)

# Days from today of (claim deadline, start, publication) for each state a project is shown in.
TIMELINE = {
    PS.DRAFT: (30, 40, None),
    PS.CLAIMED: (6, 12, -10),
    PS.IN_PROGRESS: (-12, -7, -20),
    PS.COMPLETED: (-95, -90, -100),
    PS.CANCELLED: (10, 20, -15),
}


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=COMMUNITY_TZ)


class _Lists:
    """Builds one community's lists; looks up its units, secretary and people by name."""

    def __init__(self, today: date, community: Community):
        self.today = today
        self.community = community
        self.neighbourhoods = community.neighbourhoods
        self.units = {
            u.name: u
            for u in db.session.scalars(
                sa.select(Unit).where(Unit.memberships.any(community_id=community.id))
            )
        }
        self.live = alliance_queries.live_agreement_unit_ids(community.id, today)
        self.secretary = db.session.scalars(
            sa.select(User)
            .where(User.grants.any(role=Role.SECRETARY, community_id=community.id))
            .order_by(User.id)
        ).first()
        self.resources: dict[str, Resource] = {}
        self.projects: dict[str, Project] = {}
        self.phones = 0

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)

    def user(self, username: str) -> User:
        return db.session.scalars(sa.select(User).where(User.username == username)).one()

    def need(
        self, spec: N, status: NeedStatus, project: Project | None = None, days_ago: int = 0
    ) -> Need:
        fields = {"requester_name": spec.who}
        created_by = self.secretary
        if spec.by:
            requester = created_by = self.user(spec.by)
            fields = {
                "requester_id": requester.id,
                "requester_name": requester.display_name,
                "requester_phone": requester.phone or "",
                "requester_address": requester.resident.address,
            }
        elif spec.who and not spec.who.startswith("网格员"):
            self.phones += 1
            fields["requester_phone"] = f"138477{self.phones:05d}"
            fields["requester_address"] = f"{self.neighbourhoods[spec.where].name}"
        if status is NeedStatus.REJECTED:
            fields["reject_reason"] = spec.reason
        elif status in (NeedStatus.RESOLVED, NeedStatus.CLOSED):
            fields["resolution"] = (
                f"已通过项目“{project.title}”解决。" if project is not None else spec.reason
            )
        need = Need(
            community_id=self.community.id,
            neighbourhood_id=self.neighbourhoods[spec.where].id,
            title=spec.title,
            description=spec.title + "。",
            category=project.category if project is not None else _category_of(spec),
            source=spec.source,
            beneficiary_group=spec.group,
            urgency=spec.urgency,
            status=status,
            project_id=project.id if project is not None else None,
            created_by_id=created_by.id if created_by else None,
            created_at=_at(self.days(-max(spec.days_ago, days_ago)), 10),
            **fields,
        )
        db.session.add(need)
        return need

    def resource(self, row) -> Resource:
        unit, kind, title, category, quantity, measure, status, where = row
        resource = Resource(
            community_id=self.community.id,
            unit_id=self.units[unit].id,
            kind=kind,
            title=title,
            description=f"{unit}提供：{title}。",
            category=category,
            quantity=Decimal(quantity),
            unit_of_measure=measure,
            available_from=self.days(-120),
            available_until=self.days(300),
            status=status,
            return_reason=RETURN_REASONS.get(title, ""),
            created_by_id=self._liaison(unit),
            created_at=_at(self.days(-110 + len(self.resources))),
            neighbourhoods=[self.neighbourhoods[i] for i in where],
        )
        db.session.add(resource)
        self.resources[title] = resource
        return resource

    def project(self, spec: P) -> Project:
        status = spec.status
        deadline, starts, published = TIMELINE.get(
            status, (spec.deadline_in, spec.deadline_in + 7, -3)
        )
        project = Project(
            community_id=self.community.id,
            title=spec.title,
            description=spec.description or spec.needs[0].title + "。",
            category=spec.category,
            mode=spec.mode,
            slots=spec.slots,
            volunteer_capacity=spec.capacity,
            schedule=spec.schedule,
            starts_at=_at(self.days(starts)),
            ends_at=_at(self.days(starts + (20 if status is PS.COMPLETED else 30)), 17),
            claim_deadline=_at(self.days(deadline), 18),
            auto_approve=spec.auto,
            status=status,
            cancel_reason=spec.reason,
            created_by_id=self.secretary.id,
            created_at=_at(self.days((published or 0) - 5)),
            published_at=_at(self.days(published)) if published is not None else None,
        )
        db.session.add(project)
        db.session.flush()
        older = 10 - (published or 0)  # needs arrive before the project compiled from them
        for need in spec.needs:
            if status is PS.CANCELLED:
                self.need(need, NeedStatus.LISTED, days_ago=older)  # released to the list
            elif status in ACTIVE:
                self.need(need, NeedStatus.IN_PROJECT, project, days_ago=older)
            else:
                self.need(need, need.status or NeedStatus.RESOLVED, project, days_ago=older)
        for index, claim in enumerate(spec.claims):
            day = min((published or 0) + 1 + index, deadline)
            self.claim(project, claim, day)
        db.session.flush()
        holding = [c for c in self.claims_of(project) if c.status in HOLDING]
        project.approved_count = len(holding)
        if spec.mode is M.TEAM and holding:
            project.lead_claim_id = holding[0].id
        self.projects[spec.title] = project
        return project

    def claims_of(self, project: Project) -> list[Claim]:
        return list(
            db.session.scalars(
                sa.select(Claim).where(Claim.project_id == project.id).order_by(Claim.id)
            )
        )

    def claim(self, project: Project, spec: Cl, day: int) -> Claim:
        if spec.who in self.units:
            unit = self.units[spec.who]
            if unit.id not in self.live:
                raise ValueError(f"demo: {unit.name} has no live agreement and cannot claim")
            claimant = {"claimant_type": ClaimantType.UNIT, "unit_id": unit.id}
            key = f"unit:{unit.id}"
        else:
            if project.mode is not M.ROUTINE:
                raise ValueError("demo: volunteers claim routine projects only")
            volunteer = self.user(spec.who)
            claimant = {"claimant_type": ClaimantType.VOLUNTEER, "volunteer_id": volunteer.id}
            key = f"volunteer:{volunteer.id}"
        pledged = [self.resources[title] for title in spec.pledges]
        if any(r.unit_id != claimant.get("unit_id") or r.status is not RS.LISTED for r in pledged):
            raise ValueError("demo: a claim pledges only its own unit's listed resources")
        decided = spec.status is not CS.PENDING
        claim = Claim(
            project_id=project.id,
            claimant_key=key,
            status=spec.status,
            note=spec.note,
            decision_reason=spec.reason,
            created_by_id=self._liaison(spec.who),
            created_at=_at(self.days(day), 11),
            decided_by_id=self.secretary.id if decided and not project.auto_approve else None,
            decided_at=_at(self.days(day), 15) if decided else None,
            fulfilled_at=_at(self.days(-55), 17) if spec.status is CS.FULFILLED else None,
            resources=pledged,
            **claimant,
        )
        db.session.add(claim)
        return claim

    def _liaison(self, who: str) -> int | None:
        """Who filed it: the unit's liaison account if it has one, or the volunteer herself."""
        unit = self.units.get(who)
        if unit is None:
            return self.user(who).id
        return db.session.scalar(
            sa.select(User.id).where(User.grants.any(role=Role.UNIT_LIAISON, unit_id=unit.id))
        )

    def order(
        self,
        project: str,
        resource: str,
        note: str,
        status: OrderStatus = OrderStatus.REQUESTED,
        reply: str = "",
    ) -> ResourceOrder:
        """资源点单 from the secretary to the resource's unit."""
        order = ResourceOrder(
            project_id=self.projects[project].id,
            resource_id=self.resources[resource].id,
            unit_id=self.resources[resource].unit_id,
            note=note,
            status=status,
            reply=reply,
            requested_by_id=self.secretary.id,
            created_at=_at(self.days(-1), 16),
        )
        db.session.add(order)
        return order


def _category_of(spec: N) -> Category:
    """A loose need's category, read from whom it is for."""
    return {
        B.OLD_PARTY_MEMBER: C.RED_EDUCATION,
        B.DISABLED: C.CARE,
        B.ELDERLY: C.CARE,
        B.NEEDY: C.CARE,
        B.CHILDREN: C.CONVENIENCE,
        B.RESIDENTS: C.GOVERNANCE,
    }[spec.group]


def _build(today: date, community: Community, resources, projects, needs) -> _Lists:
    lists = _Lists(today, community)
    for row in resources:
        lists.resource(row)
    db.session.flush()
    for spec in projects:
        lists.project(spec)
    for spec in needs:
        lists.need(spec, spec.status)
    return lists


def _with_sheds(rows: list) -> list:
    """The six shed resources, from the units whose claims on 电动车棚建设 pledge them."""
    shed_project = next(p for p in XINGWANG_PROJECTS if p.title == "电动车棚建设")
    sheds = [
        (claim.who, K.FUNDS, claim.pledges[0], C.GOVERNANCE, SHED_FUNDS, "元", RS.LISTED, ())
        for claim in shed_project.claims
    ]
    return [*rows, *sheds]


def load(today: date, xingwang: Community, hemei: Community) -> None:
    """Write the lists of both demo communities (called once, from ``demo.load``)."""
    db.session.flush()
    xw = _build(today, xingwang, _with_sheds(XINGWANG_RESOURCES), XINGWANG_PROJECTS, XINGWANG_NEEDS)
    xw.order(
        "楼道杂物清理与消防通道整治",
        "保洁清运队",
        "请贵公司派保洁清运队协助清理丰泽园3号楼、和谐家园回迁楼楼道杂物，预计两个周末。",
    )
    xw.order(
        "老党员讲党史·红色故事进楼栋",
        "流动图书站红色书籍",
        "想请图书馆送一批红色书籍到楼栋。",
        status=OrderStatus.DECLINED,
        reply="本月流动书箱已排满，下月可以提供。",
    )
    _build(today, hemei, HEMEI_RESOURCES, HEMEI_PROJECTS, HEMEI_NEEDS)
    db.session.flush()
