"""A labelled set for 智能匹配: a fixed catalogue of 兴旺社区's resources (the demo's listed ones,
extended with what a real community's alliance offers) and 62 realistic needs, each with the
resources that should come first. bench/matching_quality.py prints precision@1 and @3 of the
old scoring and the new one over it; tests/matching/test_matching_quality.py pins the new one.

precision@1: the share of needs whose first suggestion is one of its labelled resources;
precision@3: the share with one of them among the first three. The 邻里单元 are the demo's:
0 阳光苑, 1 丰泽园, 2 康乐居, 3 和谐家园 (a resource naming none serves them all).
No database here: the facts are built in memory and scored as a run scores them.
"""

from datetime import date
from typing import NamedTuple

from coop.categories import Category
from coop.matching import content, scoring
from coop.resources.models import ResourceKind

C, K = Category, ResourceKind


class Offer(NamedTuple):
    title: str
    description: str
    kind: ResourceKind
    category: Category | None
    unit: str
    neighbourhoods: tuple[int, ...] = ()


class Labelled(NamedTuple):
    title: str
    description: str
    category: Category
    neighbourhood: int | None
    expected: tuple[str, ...]  # resource titles, any of which should come first


CATALOGUE = [
    # The demo's listed resources (coop/demo/lists.py), with the descriptions a unit would write.
    Offer(
        "医护志愿服务队",
        "医院医护人员组成，可开展义诊、量血压、健康咨询。",
        K.VOLUNTEERS,
        C.CARE,
        "市第二人民医院",
        (0, 1, 2, 3),
    ),
    Offer(
        "慢病管理健康讲座",
        "高血压、糖尿病等慢病管理健康讲座。",
        K.EXPERTISE,
        C.CARE,
        "市第二人民医院",
    ),
    Offer(
        "流动图书站红色书籍",
        "党史读物、红色图书300册，可流动借阅。",
        K.GOODS,
        C.RED_EDUCATION,
        "市图书馆",
        (0, 2),
    ),
    Offer(
        "用电安全入户检查",
        "供电服务中心电工入户检查用电安全、线路老化，维修照明。",
        K.EXPERTISE,
        C.CONVENIENCE,
        "市供电服务中心",
    ),
    Offer(
        "个税申报辅导",
        "个人所得税年度汇算申报政策宣讲和辅导。",
        K.EXPERTISE,
        C.POLICY,
        "市税务局第三分局",
    ),
    Offer(
        "学校操场（周末开放）",
        "周末开放的学校操场，可办户外活动。",
        K.VENUE,
        C.CONVENIENCE,
        "兴旺小学",
        (2,),
    ),
    Offer(
        "物业维修班组",
        "物业水电工维修楼道灯、水管、门窗。",
        K.VOLUNTEERS,
        C.CONVENIENCE,
        "康达物业公司",
        (0, 1),
    ),
    Offer(
        "保洁清运队",
        "清理楼道堆物、清运垃圾、环境整治。",
        K.VOLUNTEERS,
        C.GOVERNANCE,
        "康达物业公司",
        (1, 3),
    ),
    Offer(
        "物业会议室",
        "可容纳30人的会议室，适合居民议事协商、调解。",
        K.VENUE,
        C.GOVERNANCE,
        "康达物业公司",
        (1,),
    ),
    Offer(
        "爱心物资包（米面油）", "米面油爱心物资包，用于困难家庭慰问。", K.GOODS, C.CARE, "鑫源超市"
    ),
    Offer(
        "金融知识志愿者",
        "银行职员宣讲防诈骗、反诈和金融理财风险知识。",
        K.VOLUNTEERS,
        C.POLICY,
        "同心银行兴旺支行",
    ),
    Offer(
        "多功能排练厅", "可供合唱、文艺排练和演出的排练厅。", K.VENUE, C.RED_EDUCATION, "区文化馆"
    ),
    Offer(
        "书画培训老师",
        "书法、国画老师授课，适合老年书法班。",
        K.EXPERTISE,
        C.RED_EDUCATION,
        "区文化馆",
    ),
    Offer(
        "家庭医生随访",
        "家庭医生上门随访高龄、慢病老人。",
        K.EXPERTISE,
        C.CARE,
        "区卫生健康服务站",
        (0, 3),
    ),
    Offer(
        "法律咨询与矛盾调解",
        "律师和调解员提供法律咨询、邻里纠纷调解、普法讲座。",
        K.EXPERTISE,
        C.GOVERNANCE,
        "区司法所",
    ),
    # What a real alliance offers besides.
    Offer(
        "便民理发志愿队",
        "理发师每月进社区为老人义务理发、上门理发。",
        K.VOLUNTEERS,
        C.CONVENIENCE,
        "爱心理发店",
    ),
    Offer("助浴上门服务", "为失能、独居老人上门助浴。", K.VOLUNTEERS, C.CARE, "邻帮社工服务中心"),
    Offer("长者食堂助餐点", "为高龄老人提供助餐，可送餐上门。", K.VENUE, C.CARE, "幸福长者食堂"),
    Offer(
        "代购跑腿志愿队",
        "为行动不便的老人代购生活用品、买菜、买药。",
        K.VOLUNTEERS,
        C.CONVENIENCE,
        "青年志愿者协会",
    ),
    Offer(
        "心理咨询服务",
        "心理咨询师提供心理疏导、情绪陪伴。",
        K.EXPERTISE,
        C.CARE,
        "邻帮社工服务中心",
    ),
    Offer(
        "家电维修服务",
        "维修洗衣机、电视、空调、冰箱等家电。",
        K.EXPERTISE,
        C.CONVENIENCE,
        "美家电器维修部",
    ),
    Offer(
        "防诈骗宣传小分队",
        "民警讲解电信诈骗案例，开展防诈骗宣传。",
        K.VOLUNTEERS,
        C.POLICY,
        "兴旺派出所",
    ),
    Offer(
        "垃圾分类督导员", "值守投放点，宣传和督导垃圾分类。", K.VOLUNTEERS, C.GOVERNANCE, "区环卫所"
    ),
    Offer(
        "四点半课堂",
        "小学教师志愿者放学后儿童托管、作业辅导。",
        K.VOLUNTEERS,
        C.CARE,
        "兴旺小学",
        (2,),
    ),
    Offer(
        "适老化改造补助",
        "补助老人家中安装扶手、防滑垫等适老化改造。",
        K.FUNDS,
        C.CONVENIENCE,
        "区民政局",
    ),
    Offer(
        "适老化改造施工队",
        "为老人家中安装扶手、防滑垫，改造卫生间。",
        K.EXPERTISE,
        C.CONVENIENCE,
        "安居装修公司",
    ),
    Offer(
        "党史宣讲团",
        "党校老师和老党员宣讲党史、讲红色故事。",
        K.VOLUNTEERS,
        C.RED_EDUCATION,
        "区委党校",
    ),
    Offer(
        "医保政策宣讲", "解读医保报销、异地就医和长护险政策。", K.EXPERTISE, C.POLICY, "区医保中心"
    ),
    Offer(
        "消防安全培训",
        "消防员讲解灭火器使用、电动车充电安全，开展消防演练。",
        K.EXPERTISE,
        C.GOVERNANCE,
        "市消防救援支队",
    ),
    Offer(
        "智能手机课堂",
        "教老人使用智能手机扫码、视频通话、网上挂号。",
        K.VOLUNTEERS,
        C.CONVENIENCE,
        "电信营业厅",
    ),
    Offer(
        "陪诊志愿队", "志愿者陪同独居老人就医、挂号取药。", K.VOLUNTEERS, C.CARE, "市第二人民医院"
    ),
    Offer(
        "法律援助律师",
        "律师免费提供法律援助、遗嘱继承、劳动纠纷咨询。",
        K.EXPERTISE,
        C.POLICY,
        "明理律师事务所",
    ),
    Offer(
        "就业政策宣讲", "讲解就业补贴、技能培训和社保政策。", K.EXPERTISE, C.POLICY, "区人社服务站"
    ),
    Offer(
        "红色电影放映设备",
        "投影仪和幕布，可借用放映红色电影。",
        K.GOODS,
        C.RED_EDUCATION,
        "区文化馆",
    ),
    Offer("夜间巡逻队", "平安志愿者夜间治安巡逻。", K.VOLUNTEERS, C.GOVERNANCE, "兴旺派出所"),
    Offer(
        "开锁换锁服务",
        "物业合作锁匠开锁、换锁。",
        K.EXPERTISE,
        C.CONVENIENCE,
        "康达物业公司",
        (0, 1),
    ),
    Offer(
        "供水检修", "检修供水管道、水管漏水、水压低。", K.EXPERTISE, C.CONVENIENCE, "市自来水公司"
    ),
    Offer("康复辅具借用", "轮椅、助行器等康复辅具免费借用。", K.GOODS, C.CARE, "区残联"),
    Offer(
        "社区活动室", "可容纳40人的活动室，可办讲座、兴趣课。", K.VENUE, C.CARE, "兴旺社区居委会"
    ),
    Offer("邻里文化节赞助", "支持社区文化活动的经费。", K.FUNDS, None, "同心银行兴旺支行"),
]

# fmt: off
NEEDS = [
    Labelled("阳光苑楼道灯坏了", "3号楼楼道灯不亮，老人晚上上下楼看不见。", C.CONVENIENCE, 0, ("物业维修班组", "用电安全入户检查")),
    Labelled("每周三义务理发", "为社区高龄老人义务理发。", C.CONVENIENCE, 0, ("便民理发志愿队",)),
    Labelled("老年书法班", "老人想学毛笔书法。", C.RED_EDUCATION, 1, ("书画培训老师",)),
    Labelled("独居老人助浴", "失能老人无法自己洗澡，需要上门助浴。", C.CARE, 3, ("助浴上门服务",)),
    Labelled("高龄老人吃饭难", "子女不在身边，希望社区助餐或送餐。", C.CARE, 0, ("长者食堂助餐点",)),
    Labelled("老人代购买菜", "腿脚不便，需要志愿者代购买菜买药。", C.CONVENIENCE, 2, ("代购跑腿志愿队",)),
    Labelled("失独老人情绪低落", "老人整天闷在家里，需要心理疏导。", C.CARE, 1, ("心理咨询服务",)),
    Labelled("遗产继承纠纷咨询", "老人想咨询遗嘱和继承的法律问题。", C.POLICY, 3, ("法律援助律师", "法律咨询与矛盾调解")),
    Labelled("洗衣机坏了", "独居老人家里洗衣机不转，需要家电维修。", C.CONVENIENCE, 1, ("家电维修服务",)),
    Labelled("社区义诊", "老人希望测血压血糖、健康咨询。", C.CARE, 2, ("医护志愿服务队",)),
    Labelled("防诈骗宣传进小区", "近期老人接到诈骗电话，需要防诈骗宣传。", C.POLICY, 1, ("防诈骗宣传小分队", "金融知识志愿者")),
    Labelled("垃圾分类宣传督导", "投放点分类混乱，需要志愿者督导。", C.GOVERNANCE, 3, ("垃圾分类督导员",)),
    Labelled("放学后孩子没人照看", "双职工家庭需要儿童托管和作业辅导。", C.CARE, 2, ("四点半课堂",)),
    Labelled("卫生间安装扶手", "老人家卫生间地滑，需要适老化改造。", C.CONVENIENCE, 0, ("适老化改造施工队", "适老化改造补助")),
    Labelled("党史学习讲座", "七一前请人给党员讲党史。", C.RED_EDUCATION, 0, ("党史宣讲团",)),
    Labelled("医保报销政策不清楚", "老人不懂异地就医怎么报销医保。", C.POLICY, 1, ("医保政策宣讲",)),
    Labelled("电动车楼道充电隐患", "电动车在楼道充电，需要消防安全宣传和检查。", C.GOVERNANCE, 2, ("消防安全培训", "用电安全入户检查")),
    Labelled("老人不会用智能手机", "不会扫码、视频通话。", C.CONVENIENCE, 3, ("智能手机课堂",)),
    Labelled("独居老人看病需要人陪", "去医院挂号看病需要志愿者陪诊。", C.CARE, 0, ("陪诊志愿队",)),
    Labelled("就业政策不了解", "失业居民想了解再就业补贴。", C.POLICY, 0, ("就业政策宣讲",)),
    Labelled("疫情期间独居老人买药难", "需要有人代购药品送上门。", C.CARE, 2, ("代购跑腿志愿队",)),
    Labelled("希望开办老年书法班", "退休老人想练书法。", C.RED_EDUCATION, 1, ("书画培训老师",)),
    Labelled("楼道堆满杂物", "消防通道被占，需要清理楼道堆物。", C.GOVERNANCE, 1, ("保洁清运队",)),
    Labelled("邻里漏水纠纷", "楼上漏水到楼下，双方争执不下，需要调解。", C.GOVERNANCE, 0, ("法律咨询与矛盾调解",)),
    Labelled("夜间有陌生人出入", "小区需要夜间治安巡逻。", C.GOVERNANCE, 2, ("夜间巡逻队",)),
    Labelled("红色电影放映", "组织居民观看红色电影，需要投影设备和场地。", C.RED_EDUCATION, 0, ("红色电影放映设备", "多功能排练厅")),
    Labelled("老年合唱队缺排练场地", "合唱队排练红歌没有场地。", C.RED_EDUCATION, 3, ("多功能排练厅",)),
    Labelled("困难家庭春节慰问", "需要米面油等慰问物资。", C.CARE, 1, ("爱心物资包（米面油）",)),
    Labelled("残疾人需要轮椅", "需要借用轮椅和助行器。", C.CARE, 3, ("康复辅具借用",)),
    Labelled("厨房水管漏水", "水管漏水，需要上门维修。", C.CONVENIENCE, 1, ("物业维修班组", "供水检修")),
    Labelled("钥匙丢了进不了门", "老人钥匙丢了，需要开锁换锁。", C.CONVENIENCE, 0, ("开锁换锁服务",)),
    Labelled("个税汇算不会操作", "个人所得税年度汇算需要辅导。", C.POLICY, 2, ("个税申报辅导",)),
    Labelled("高血压老人健康管理", "慢病老人需要健康讲座。", C.CARE, 1, ("慢病管理健康讲座", "医护志愿服务队")),
    Labelled("家庭医生上门", "卧床老人需要医生上门随访。", C.CARE, 3, ("家庭医生随访",)),
    Labelled("青少年红色阅读", "孩子们想读红色书籍。", C.RED_EDUCATION, 2, ("流动图书站红色书籍",)),
    Labelled("卧床老人上门理发", "卧床老人头发长了，需要上门理发。", C.CARE, 2, ("便民理发志愿队",)),
    Labelled("空调不制冷", "老人家空调坏了需要维修。", C.CONVENIENCE, 3, ("家电维修服务",)),
    Labelled("灭火器不会用", "高层住户不会使用灭火器，需要消防培训。", C.GOVERNANCE, 1, ("消防安全培训",)),
    Labelled("老人遭遇保健品骗局", "需要反诈宣传讲座。", C.POLICY, 3, ("防诈骗宣传小分队", "金融知识志愿者")),
    Labelled("居民议事缺场地", "小区改造需要居民议事协商，缺少会议室。", C.GOVERNANCE, 1, ("物业会议室",)),
    Labelled("劳动纠纷咨询", "工人被拖欠工资，需要律师咨询。", C.POLICY, 2, ("法律援助律师", "法律咨询与矛盾调解")),
    Labelled("老房子电线老化", "担心用电安全，需要上门检查线路。", C.CONVENIENCE, 2, ("用电安全入户检查",)),
    Labelled("周末亲子户外活动", "组织亲子户外活动，需要操场场地。", C.CARE, 2, ("学校操场（周末开放）",)),
    Labelled("留守儿童作业辅导", "留守儿童功课跟不上。", C.CARE, 2, ("四点半课堂",)),
    Labelled("失能老人洗澡难", "家属无力给老人洗澡。", C.CARE, 0, ("助浴上门服务",)),
    Labelled("独居老人每天送餐", "独居老人希望每天有人送餐。", C.CARE, 1, ("长者食堂助餐点",)),
    Labelled("居民长期失眠焦虑", "有抑郁倾向，需要心理咨询。", C.CARE, 3, ("心理咨询服务",)),
    Labelled("冰箱不制冷", "冰箱坏了，需要家电维修。", C.CONVENIENCE, 0, ("家电维修服务",)),
    Labelled("老党员讲红色故事", "请老党员给孩子们讲红色故事。", C.RED_EDUCATION, 1, ("党史宣讲团",)),
    Labelled("电子社保卡激活", "老人不会在手机上激活电子社保卡。", C.POLICY, 0, ("智能手机课堂", "就业政策宣讲")),
    Labelled("长护险政策咨询", "失能老人家属想了解长护险怎么申请。", C.POLICY, 3, ("医保政策宣讲",)),
    Labelled("和谐家园楼道灯不亮", "5号楼楼道灯坏了一个星期。", C.CONVENIENCE, 3, ("用电安全入户检查",)),
    Labelled("绿化带垃圾多", "需要清扫清运垃圾、整治环境。", C.GOVERNANCE, 3, ("保洁清运队",)),
    Labelled("老人网上挂号难", "不会用手机挂号。", C.CONVENIENCE, 1, ("智能手机课堂", "陪诊志愿队")),
    Labelled("暑期儿童托管", "暑假孩子无人照看。", C.CARE, 2, ("四点半课堂",)),
    Labelled("老人防跌倒改造", "家里需要安装扶手防滑垫，想申请补助。", C.CONVENIENCE, 2, ("适老化改造补助", "适老化改造施工队")),
    Labelled("垃圾分类知识讲座", "居民不会垃圾分类，需要宣传。", C.GOVERNANCE, 0, ("垃圾分类督导员",)),
    Labelled("退役老兵讲故事", "七一请老党员给孩子讲革命故事。", C.RED_EDUCATION, 3, ("党史宣讲团",)),
    Labelled("高龄老人健康体检", "需要义诊体检。", C.CARE, 0, ("医护志愿服务队", "家庭医生随访")),
    Labelled("行动不便老人买药", "需要志愿者跑腿买药。", C.CARE, 3, ("代购跑腿志愿队", "陪诊志愿队")),
    Labelled("金融知识普及", "老人想了解银行理财风险。", C.POLICY, 1, ("金融知识志愿者",)),
    Labelled("国画兴趣班", "退休居民想学国画。", C.RED_EDUCATION, 0, ("书画培训老师",)),
]
# fmt: on

TODAY = date(2026, 12, 7)
NOW = scoring.Window(TODAY, TODAY, is_now=True)


def catalogue_facts() -> list[scoring.ResourceFacts]:
    return [
        scoring.ResourceFacts(
            id=i,
            unit_id=i,
            kind_label=offer.kind.label,
            category=offer.category,
            available_from=None,
            available_until=None,
            neighbourhoods=frozenset(offer.neighbourhoods),
            kind=offer.kind,
            words=content.tokens(f"{offer.title} {offer.description}"),
        )
        for i, offer in enumerate(CATALOGUE, 1)
    ]


def rank_old(need: Labelled, facts) -> list[int]:
    """Today's group ranking (category, 邻里单元, availability, load; no words)."""
    wanted = frozenset({need.neighbourhood} - {None})
    scored = ((r.id, scoring.score_resource(r, 0, need.category, wanted, NOW)) for r in facts)
    return [rid for _s, rid, _t in scoring.ranked(scored)]


def rank_new(need: Labelled, facts, index: content.Index) -> list[int]:
    """The need's own ranking: hard limits, then content with the reasons of today."""
    wanted = frozenset({need.neighbourhood} - {None})
    words = content.tokens(f"{need.title} {need.description}")
    kinds = content.usable_kinds(words)
    hits = index.scores(words)
    rows = []
    for r in facts:
        scored = scoring.need_resource(
            r, 0, frozenset(), need.category, wanted, NOW, kinds, hits.get(r.id)
        )
        if scored is not None:
            rows.append((-scored[0], r.id))
    return [rid for _s, rid in sorted(rows)]


def precision(rank) -> tuple[float, float]:
    """(precision@1, precision@3) of a ranking function over the labelled needs."""
    facts = catalogue_facts()
    ids = {offer.title: i for i, offer in enumerate(CATALOGUE, 1)}
    at1 = at3 = 0
    for need in NEEDS:
        expected = {ids[title] for title in need.expected}
        ranking = rank(need, facts)
        at1 += bool(ranking[:1] and ranking[0] in expected)
        at3 += bool(expected & set(ranking[:3]))
    return at1 / len(NEEDS), at3 / len(NEEDS)


def precision_old() -> tuple[float, float]:
    return precision(rank_old)


def precision_new() -> tuple[float, float]:
    facts = catalogue_facts()
    index = content.Index.build((r.id, r.words) for r in facts)
    return precision(lambda need, _facts: rank_new(need, facts, index))


def misses() -> list[tuple[Labelled, list[str]]]:
    """The needs whose first suggestion (new scoring) is not a labelled one, with its top three."""
    facts = catalogue_facts()
    index = content.Index.build((r.id, r.words) for r in facts)
    titles = {i: offer.title for i, offer in enumerate(CATALOGUE, 1)}
    found = []
    for need in NEEDS:
        ranking = [titles[i] for i in rank_new(need, facts, index)]
        if not ranking or ranking[0] not in need.expected:
            found.append((need, ranking))
    return found
