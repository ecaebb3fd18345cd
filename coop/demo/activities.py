"""A year of service (DESIGN.md §3, §5): sessions held, sign-ups, check-in and check-out, hours
and points, written through the services at the moment each step happened.

兴旺社区 held exactly 8 sessions in the past year (the seed's 活动 8 场次): the 月月红 sessions
学雷锋红色服务 (March) and 红色书画展 (May), 邻里文化节, sessions of the completed projects
七一红色观影…, 老党员、残疾人、老年人入户慰问 (爱心捐赠 and the visits themselves) and 电动车棚建设
(助力创城), and one of the routine project 网格楼栋安全巡查 three days ago. A ninth was called off
(wind warning) and is not counted as held. The people visited are the 33 入户走访 needs that the
visits project resolved (``lists.VISITED``); ``coop.stats`` counts both figures from rows.
和美社区 held two sessions and has one coming up.

Hours: ``secretary`` verifies nearly all of them the day after, and the points are posted by
``hours.service`` through the ledger as in production. The last session's hours are still
pending. One record at 助力创城 was rejected with a reason. ``volunteer``'s hours at the visits
were reversed because she left early, and the right hours were entered (补录) by ``staff`` and
verified by ``secretary``. The demo volunteer ends with 10 points for each verified hour.

Coming up in the next two weeks: sessions with free seats she may sign up for, one full with a
waiting list, and one today, starting within the half hour. She is signed up for today's and
its check-in is already open; the code is on the activity's page for its organisers.

Each step runs through the services. Where a service takes ``now``, it is given the moment of
the step. Rows made meanwhile, and the ledger's postings, are dated then too (``_Clock``). That
clock is the demo's only departure from production.
"""

import heapq
import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event

from coop.activities import service as activities
from coop.activities.models import Activity
from coop.alliance.models import Community
from coop.auth.models import StaffTitle, User
from coop.dbtypes import utcnow
from coop.demo.lists import VISITED
from coop.extensions import db
from coop.hours import service as hours
from coop.ledger import service as ledger_service
from coop.notices.models import Notice
from coop.projects.models import Project
from coop.timeutil import COMMUNITY_TZ

STAFF = ("staff", "孙晓梅")  # 社区工作者: enters hours (补录) that the secretary verifies


@dataclass
class A:
    """A session. ``when``: days from today (negative: held, 0: today, starting within the half
    hour), or (month, day) for the latest such day before today."""

    title: str
    when: int | tuple[int, int]
    start: time | None
    hours: float
    place: str
    capacity: int
    description: str = ""
    project: str = ""
    theme: bool = False  # carries its month's 月月红 theme
    people: tuple[str, ...] = ()  # usernames taking part besides the crowd
    crowd: int = 0  # other volunteers of the community taking part (or signed up)
    organiser: str = "secretary"
    # Held sessions only:
    walk_in: bool = False  # an elderly volunteer without a phone, checked in by the organiser
    no_show: int = 0  # signed up and never came
    dropped: int = 0  # cancelled the day before
    early: int = 0  # left an hour early
    verified: bool = True  # False: the hours wait for the secretary
    rejected: str = ""  # the reason the last of the crowd's hours are turned down
    corrected: tuple[str, Decimal, str] | None = None  # (username, right hours, reversal reason)
    feedback: tuple[tuple[int, str, str], ...] = ()  # (rating, comment, beneficiary)
    cancelled: str = ""  # called off the day before, with this reason
    # Upcoming sessions only:
    checked_in: int = 0  # how many of the crowd checked in already (today's session)


VISITS = "老党员、残疾人、老年人入户慰问"

XINGWANG = [
    A(
        "学雷锋红色服务",
        (3, 5),
        time(8, 30),
        3,
        "党群服务中心广场",
        40,
        "三月学雷锋：义务理发、家电维修、健康咨询和法律咨询摆摊服务，志愿者入户帮独居老人打扫卫生。",
        theme=True,
        people=("volunteer",),
        crowd=13,
        walk_in=True,
        early=1,
    ),
    A(
        "红色书画展",
        (5, 18),
        time(9, 0),
        2.5,
        "区文化馆展厅",
        30,
        "五月红色书画展：社区书画爱好者和兴旺小学学生的红色主题作品展，志愿者布展、讲解。",
        theme=True,
        crowd=8,
        organiser="staff",
    ),
    A(
        "红色观影与党史知识竞答",
        -86,
        time(14, 30),
        2.5,
        "区文化馆多功能排练厅",
        80,
        "放映红色电影，观影后分组进行党史知识竞答，市图书馆提供奖品图书。",
        project="七一红色观影与党史知识竞答",
        crowd=12,
        no_show=1,
    ),
    A(
        "爱心捐赠",
        -84,
        time(9, 0),
        2.5,
        "党群服务中心一楼大厅",
        30,
        "联盟单位和居民捐赠米面油、衣物和常用药，志愿者分装后送到走访对象家中。",
        project=VISITS,
        people=("volunteer",),
        crowd=9,
        feedback=(
            (5, "米面油和冬衣都送到家里了，谢谢志愿者。", VISITED[0][0]),
            (5, "药品很实用，还教了我怎么吃。", VISITED[20][0]),
        ),
    ),
    A(
        "入户慰问老党员、残疾人、老年人",
        -80,
        time(8, 30),
        3,
        "阳光苑、丰泽园、康乐居、和谐家园",
        12,
        "志愿者和家庭医生、康复科医生分组入户，送医送药、了解困难，逐户登记需求。",
        project=VISITS,
        people=("volunteer",),
        crowd=7,
        walk_in=True,
        corrected=(
            "volunteer",
            Decimal("1.5"),
            "组织者统一签退时多计了时长：陈秀英当天 10:00 提前离开。冲正后按实际 1.5 小时补录。",
        ),
        feedback=(
            (5, "家庭医生上门量了血压，还留了电话。", "康德福"),
            (5, "轮椅修好了，又能下楼晒太阳了。", "谭建国"),
            (4, "希望以后常来看看。", "杜永福"),
        ),
    ),
    A(
        "助力创城",
        -75,
        time(8, 0),
        3,
        "丰泽园、和谐家园",
        40,
        "创建文明城市志愿服务：清理楼道杂物和小广告，劝导电动车规范停放、到新建车棚充电。",
        project="电动车棚建设",
        crowd=15,
        walk_in=True,
        early=1,
        rejected="经核对现场签到表，本人当天未到场，系他人代为签到，不予核实。",
    ),
    A(
        "社区健步走",
        -30,
        time(7, 30),
        2,
        "滨河步道",
        30,
        "沿滨河步道健步走，沿途捡拾垃圾。",
        people=("volunteer",),
        crowd=3,
        cancelled="当天有大风橙色预警，活动取消，改期另行通知。",
    ),
    A(
        "邻里文化节",
        -40,
        time(15, 0),
        3,
        "兴旺小学操场",
        60,
        "区文化馆指导、四个邻里单元联合举办：文艺演出、书法摄影展、邻里百家宴，"
        "志愿者负责引导、秩序和后勤。",
        people=("volunteer",),
        crowd=16,
        dropped=1,
        early=1,
        feedback=((5, "节目好看，邻居们都认识了。", "刘桂兰"),),
    ),
    A(
        "楼栋安全巡查",
        -3,
        time(9, 0),
        2,
        "康乐居 1–6 号楼",
        6,
        "检查外墙瓷砖、楼道消防设施和电动车充电情况，发现问题拍照上报。",
        project="网格楼栋安全巡查",
        people=("xw003", "volunteer"),
        crowd=1,
        verified=False,
    ),
    A(
        "惠民政策进万家·现场辅导",
        0,
        None,
        3,
        "党群服务中心一楼大厅",
        10,
        "手把手教老年人在手机上办理医保认证、查询养老金。",
        project="惠民政策进万家·医保与养老金政策宣讲",
        people=("volunteer",),
        crowd=4,
        checked_in=2,
    ),
    A(
        "老党员讲党史·红色故事进楼栋",
        3,
        time(9, 30),
        2,
        "阳光苑 3 号楼活动室",
        20,
        "老党员讲入党经历，志愿者负责布置场地、接送行动不便的老人。",
        project="老党员讲党史·红色故事进楼栋",
        crowd=6,
    ),
    A(
        "义诊进社区·测血压",
        6,
        time(8, 30),
        2.5,
        "党群服务中心二楼",
        6,
        "医护志愿者测血压、血糖，志愿者负责登记和引导。名额已满，可加入候补。",
        project="义诊进社区·慢病随访",
        crowd=8,  # six seats: two wait
    ),
    A(
        "楼道杂物清理",
        9,
        time(8, 0),
        3,
        "丰泽园 3 号楼",
        15,
        "清理楼道堆物，劝导占用消防通道的车辆。",
        project="楼道杂物清理与消防通道整治",
        crowd=5,
    ),
    A(
        "防诈骗宣传进小区·阳光苑场",
        12,
        time(15, 0),
        2,
        "阳光苑小广场",
        40,
        "银行金融志愿者讲真实案例，志愿者帮居民安装反诈 APP。",
        project="防诈骗宣传进小区",
        crowd=10,
    ),
]

HEMEI = [
    A(
        "消防安全演练",
        -82,
        time(9, 30),
        2,
        "和美社区东区广场",
        50,
        "消防救援站现场演示灭火器使用和高层逃生，志愿者组织居民分批体验。",
        project="消防安全演练",
        crowd=8,
        organiser="secretary2",
    ),
    A(
        "红色故事会",
        (7, 10),
        time(15, 0),
        2,
        "和美中学礼堂",
        100,
        "七月红色故事会：退役老兵讲述当年的故事，志愿者负责组织和接送。",
        theme=True,
        crowd=6,
        organiser="secretary2",
    ),
    A(
        "红色故事会·老兵讲述",
        8,
        time(15, 0),
        2,
        "和美中学礼堂",
        100,
        "老兵给孩子们讲故事，志愿者负责签到和秩序。",
        project="红色故事会",
        crowd=4,
        organiser="secretary2",
    ),
]


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=COMMUNITY_TZ)


class _Clock:
    """The demo's time while a step runs: rows made then without a date get it (sign-ups,
    records, accounts, notices) and so do the ledger's postings and entries."""

    def __init__(self):
        self.moment: datetime | None = None

    def _date_new_rows(self, session, flush_context, instances) -> None:
        for row in session.new:
            if getattr(row, "created_at", self.moment) is None:
                row.created_at = self.moment

    def __enter__(self):
        self.session = db.session()
        event.listen(self.session, "before_flush", self._date_new_rows)
        self.utcnow, ledger_service.utcnow = ledger_service.utcnow, lambda: self.moment
        return self

    def __exit__(self, *exc) -> None:
        ledger_service.utcnow = self.utcnow
        event.remove(self.session, "before_flush", self._date_new_rows)


Story = Iterator[datetime]  # yields the moment of its next step, then runs it


def _run(stories: list[Story]) -> None:
    """Interleave the stories in time: each step runs at its moment, all in order."""
    queue, order = [], itertools.count()
    with _Clock() as clock:

        def advance(story: Story) -> None:
            moment = next(story, None)
            if moment is not None:
                assert clock.moment is None or moment >= clock.moment, "a story went back in time"
                heapq.heappush(queue, (moment, next(order), story))

        for story in stories:
            advance(story)
        while queue:
            clock.moment, _, story = heapq.heappop(queue)
            advance(story)


class _Community:
    """One community's sessions: who takes part, and each session's story."""

    def __init__(self, community: Community, now: datetime, *, verifier: str, seed: int):
        self.community = community
        self.now = now
        self.today = now.astimezone(COMMUNITY_TZ).date()
        self.rng = random.Random(seed)
        self.users = {
            u.username: u
            for u in db.session.scalars(
                sa.select(User).where(User.grants.any(community_id=community.id))
            )
        }
        self.pool = sorted(
            (u for name, u in self.users.items() if re.fullmatch(r"[a-z]{2}\d{3}", name)),
            key=lambda u: u.username,
        )
        self.days: set[date] = set()
        self.verifier = self.users[verifier]  # verifies hours and records feedback

    def project_id(self, title: str) -> int | None:
        if not title:
            return None
        return db.session.scalar(
            sa.select(Project.id).where(
                Project.community_id == self.community.id, Project.title == title
            )
        )

    def window(self, spec: A) -> tuple[datetime, datetime]:
        """The session's start and end; held sessions fall on days of their own."""
        if spec.when == 0:
            local = self.now.astimezone(COMMUNITY_TZ)
            start = local.replace(minute=local.minute // 30 * 30, second=0, microsecond=0)
            start += timedelta(minutes=30)  # its check-in (from 30 minutes before) is open
        else:
            if isinstance(spec.when, tuple):
                month, day_ = spec.when
                day = date(self.today.year, month, day_)
                if day > self.today - timedelta(days=2):  # verified the next day, before today
                    day = date(self.today.year - 1, month, day_)
            else:
                day = self.today + timedelta(days=spec.when)
            while day in self.days:  # two held sessions never share a day
                day -= timedelta(days=1)
            self.days.add(day)
            start = _at(day, spec.start)
        return start, start + timedelta(hours=spec.hours)

    def people(self, spec: A) -> tuple[list[User], list[User]]:
        """(the named, the crowd): the crowd never includes the demo volunteer."""
        named = [self.users[name] for name in spec.people]
        others = [u for u in self.pool if u not in named]
        return named, self.rng.sample(others, spec.crowd)

    def schedule(self, spec: A, start: datetime, end: datetime) -> Activity:
        return activities.schedule_activity(
            self.users[spec.organiser],
            self.community.id,
            title=spec.title,
            place=spec.place,
            starts_at=start,
            ends_at=end,
            capacity=spec.capacity,
            project_id=self.project_id(spec.project),
            description=spec.description,
            theme_month=f"{start.astimezone(COMMUNITY_TZ):%Y-%m}" if spec.theme else None,
        )

    def story(self, spec: A) -> Story:
        upcoming = isinstance(spec.when, int) and spec.when >= 0
        return self.coming(spec) if upcoming else self.held(spec)

    def held(self, spec: A) -> Story:
        start, end = self.window(spec)
        organiser = self.users[spec.organiser]
        named, crowd = self.people(spec)
        walk_in = crowd.pop(0) if spec.walk_in else None
        rest = list(crowd)
        dropped = [rest.pop() for _ in range(spec.dropped)]
        absent = [rest.pop() for _ in range(spec.no_show)]
        early = [rest.pop() for _ in range(spec.early)]
        rejected = rest[0] if spec.rejected else None
        corrected = self.users[spec.corrected[0]] if spec.corrected else None
        signers = named + crowd
        yield start - timedelta(days=12)
        activity = self.schedule(spec, start, end)
        signups = [
            (start - timedelta(days=self.rng.randint(1, 10), hours=self.rng.randint(0, 12)), user)
            for user in signers
        ]
        for at, user in sorted(signups, key=lambda s: s[0]):
            yield at
            activities.sign_up(user, activity.id, now=at)
        if spec.cancelled:
            at = start - timedelta(hours=20)
            yield at
            activities.cancel_activity(organiser, activity.id, reason=spec.cancelled)
            return
        for user in dropped:
            at = start - timedelta(days=1)
            yield at
            activities.cancel_signup(user, activity.id, now=at)
        came = [u for u in signers if u not in dropped and u not in absent]
        checkins = sorted(
            ((start - timedelta(minutes=self.rng.randint(0, 20)), u) for u in came),
            key=lambda c: c[0],
        )
        checked_in = {}
        for at, user in checkins:
            yield at
            activities.check_in(user, activity.id, code=activity.checkin_code, now=at)
            checked_in[user.id] = at
        if walk_in is not None:
            at = start + timedelta(minutes=5)
            yield at
            activities.check_in_for(organiser, activity.id, walk_in.id, now=at)
        checkouts = []
        for user in came:
            if user in early:  # an hour before the end
                checkouts.append((checked_in[user.id] + timedelta(hours=spec.hours - 1), user))
            elif user is not corrected:
                checkouts.append((end + timedelta(minutes=self.rng.randint(0, 15)), user))
        records = []
        for at, user in sorted(checkouts, key=lambda c: c[0]):
            yield at
            records.append(
                activities.check_out(user, activity.id, code=activity.checkin_code, now=at)
            )
        at = end + timedelta(minutes=20)  # the organiser signs out who did not
        yield at
        for user in [u for u in (walk_in, corrected) if u is not None]:
            records.append(activities.check_out_for(organiser, activity.id, user.id, now=at))

        for rating, comment, beneficiary in spec.feedback:
            at += timedelta(minutes=10)
            yield at
            activities.record_feedback(
                self.verifier,
                activity.id,
                rating=rating,
                comment=comment,
                beneficiary_name=beneficiary,
                now=at,
            )
        if not spec.verified:
            return
        at = _at(end.astimezone(COMMUNITY_TZ).date() + timedelta(days=1), time(10))
        yield at
        for record in sorted(records, key=lambda r: r.id):
            if rejected is not None and record.volunteer_id == rejected.id:
                hours.reject_record(self.verifier, record.id, reason=spec.rejected, now=at)
            else:
                hours.verify_record(self.verifier, record.id, now=at)
        if corrected is not None:
            yield from self.correct(spec, activity, records, corrected, at)

    def correct(self, spec: A, activity: Activity, records, volunteer: User, verified: datetime):
        """A reversal of her record, then the right hours entered by staff, verified by another."""
        _, right, reason = spec.corrected
        (wrong,) = [r for r in records if r.volunteer_id == volunteer.id]
        at = verified + timedelta(days=4, hours=6)
        yield at
        hours.reverse_record(self.verifier, wrong.id, reason=reason, now=at)
        at += timedelta(minutes=30)
        yield at
        entered = hours.enter_hours(
            self.users[STAFF[0]],
            self.community.id,
            volunteer_id=volunteer.id,
            activity_id=activity.id,
            hours=right,
            note=f"冲正后按实际时长补录：{right:g} 小时。",
        )
        at += timedelta(hours=18)
        yield at
        hours.verify_record(self.verifier, entered.id, now=at)

    def coming(self, spec: A) -> Story:
        start, end = self.window(spec)
        named, crowd = self.people(spec)
        opened = self.now - timedelta(days=2)
        yield opened
        activity = self.schedule(spec, start, end)
        signups = [
            (opened + timedelta(hours=self.rng.randint(1, 46), minutes=n), user)
            for n, user in enumerate(named + crowd)
        ]
        for at, user in sorted(signups, key=lambda s: s[0]):
            yield at
            activities.sign_up(user, activity.id, now=at, waitlist=True)
        if spec.checked_in:
            yield self.now
            for user in crowd[: spec.checked_in]:
                activities.check_in(user, activity.id, code=activity.checkin_code, now=self.now)


def _now(today: date) -> datetime:
    """Now, or ten in the morning of ``today`` when the demo is loaded for another day."""
    now = utcnow()
    if now.astimezone(COMMUNITY_TZ).date() != today:
        now = _at(today, time(10))
    return now


def _read_old_notices(user_ids: set[int], now: datetime) -> None:
    """Their notices older than a week were read two hours after they came."""
    for notice in db.session.scalars(
        sa.select(Notice).where(
            Notice.user_id.in_(user_ids),
            Notice.created_at < now - timedelta(days=7),
            Notice.read_at.is_(None),
        )
    ):
        notice.read_at = notice.created_at + timedelta(hours=2)


def load(loader, xingwang: Community, hemei: Community) -> None:
    """The year's sessions of both demo communities (called once, last, from ``demo.load``)."""
    loader.staff(xingwang, *STAFF, StaffTitle.STAFF)
    db.session.flush()
    now = _now(loader.today)
    xw = _Community(xingwang, now, verifier="secretary", seed=2026)
    hm = _Community(hemei, now, verifier="secretary2", seed=2027)
    _run([xw.story(spec) for spec in XINGWANG] + [hm.story(spec) for spec in HEMEI])
    _read_old_notices({u.id for c in (xw, hm) for u in c.users.values()}, now)
    db.session.flush()
