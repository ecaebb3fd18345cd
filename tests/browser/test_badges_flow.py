"""月月红 on a phone: once last month is awarded, a volunteer opens 我的徽章 from 我的 and finds
the month's 月月红 badge with its evidence (the theme, her hours in it) beside her hour tier, and
the community page's 月月红光荣榜 lists her. When the secretary reverses her themed hours, the wall
keeps the badge struck through, 已撤销, with the reason, and the honour roll no longer lists her
for it. axe checks every page.

The demo awards 兴旺社区's months itself (and its volunteers have walls of their own), so each
test builds a community of its own with the test factories: last month's themed session (2 h)
and an ordinary one (4 h), her records verified by the secretary through ``hours.service`` (so
the points are posted and a reversal can take them back), then ``monthly_badges`` for the month,
committed, as the other browser tests set up their data. The month is recorded as a done
``monthly_badges`` run, as the clock does (the demo already records the past twelve), so a later
reversal re-evaluates it.

Set COOP_SCREENSHOTS to a directory to keep phone screenshots of the wall.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from coop.auth.models import User
from coop.badges import themes
from coop.badges.awarding import JOB_NAME, monthly_badges
from coop.dbtypes import utcnow
from coop.hours import service as hours
from coop.hours.models import RecordStatus
from coop.jobruns.models import JobRun, RunStatus
from coop.timeutil import COMMUNITY_TZ, local_today
from tests.badges.conftest import add_hours
from tests.browser.pages import fits_the_phone, nav, shot
from tests.factories import (
    PASSWORD,
    make_activity,
    make_community,
    make_secretary,
    make_volunteer,
)

THEMED_HOURS, OTHER_HOURS = 2, 4  # 6 h in all: 月度志愿之星·铜 (4 h) with or without the theme


@dataclass(frozen=True)
class Awarded:
    community_id: int
    secretary_id: int
    volunteer: str  # username
    name: str  # her display name
    month_title: str  # 2026年10月
    theme: str  # the month's theme title
    themed_record_id: int


def last_month() -> tuple[int, int]:
    first = local_today().replace(day=1)
    before = first - timedelta(days=1)
    return before.year, before.month


@pytest.fixture
def awarded(live_db) -> Awarded:
    tag = uuid.uuid4().hex[:6]
    year, month = last_month()
    period = f"{year}-{month:02d}"
    now = utcnow()
    with live_db() as session:
        community = make_community(name=f"浏览器徽章社区{tag}")
        secretary = make_secretary(community, username=f"badge-sec-{tag}")
        volunteer = make_volunteer(
            community, username=f"badge-vol-{tag}", display_name=f"陈秀英{tag}"
        )
        themed = make_activity(
            community,
            title=f"红色主题活动{tag}",
            starts_at=datetime(year, month, 10, 9, tzinfo=COMMUNITY_TZ),
            theme_month=period,
        )
        other = make_activity(
            community,
            title=f"日常志愿服务{tag}",
            starts_at=datetime(year, month, 12, 9, tzinfo=COMMUNITY_TZ),
        )
        records = [
            add_hours(volunteer, themed, THEMED_HOURS, status=RecordStatus.PENDING),
            add_hours(volunteer, other, OTHER_HOURS, status=RecordStatus.PENDING),
        ]
        for record in records:
            hours.verify_record(secretary, record.id, now=now)
        monthly_badges(period, now=now, community_ids=[community.id])
        done = sa.select(JobRun.id).where(JobRun.name == JOB_NAME, JobRun.period == period)
        if session.scalar(done) is None:
            session.add(JobRun(name=JOB_NAME, period=period, status=RunStatus.DONE))
        return Awarded(
            community_id=community.id,
            secretary_id=secretary.id,
            volunteer=volunteer.username,
            name=volunteer.display_name,
            month_title=f"{year}年{month}月",
            theme=themes.theme_of(community.id, month).title,
            themed_record_id=records[0].id,
        )


def tile(month: Locator, badge: str) -> Locator:
    """The month's tile for that badge, by its name (struck through or not)."""
    return month.get_by_role("listitem").filter(has=month.page.get_by_text(badge, exact=True))


def open_wall(page: Page, axe, awarded: Awarded) -> Locator:
    """From 我的 to 我的徽章 (once 我的积分 has loaded, so the click never races the swap of the
    plain links for the summary, which links it once again); returns the month's section."""
    nav(page, "我的").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(awarded.name)
    points = page.get_by_role("region", name="我的积分")
    expect(points).to_contain_text("可用积分")
    expect(page.get_by_role("link", name="我的徽章")).to_have_count(1)
    points.get_by_role("link", name="我的徽章").click()
    expect(page).to_have_url(re.compile(r"/my/badges$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的徽章")
    axe(page)
    month = page.get_by_role("region", name=awarded.month_title, exact=True)
    expect(month).to_be_visible()
    return month


def honour_roll(page: Page, axe, awarded: Awarded) -> Locator:
    """社区 → the community page's 月月红光荣榜 (loaded after the page)."""
    nav(page, "社区").click()
    expect(page).to_have_url(re.compile(rf"/communities/{awarded.community_id}$"))
    roll = page.get_by_role("region", name="月月红光荣榜")
    expect(roll).to_contain_text(f"{awarded.month_title} · 月月红主题")
    expect(roll).to_contain_text(awarded.theme)
    axe(page)
    return roll


def listed_under(roll: Locator, label: str) -> Locator:
    """The names the roll lists under one badge's heading."""
    return roll.locator(f"h3:has-text('{label}') + p.honour-names")


THEME_ROLL = "月月红：参加主题活动的志愿者"
BRONZE_ROLL = "月度志愿之星·铜（满 4 小时）"


def test_a_volunteer_sees_her_month_badge_on_her_wall_and_the_honour_roll(
    page: Page, login, axe, awarded: Awarded
):
    login(page, awarded.volunteer, PASSWORD)
    month = open_wall(page, axe, awarded)
    expect(month.get_by_role("heading", level=2)).to_have_text(awarded.month_title)

    red = tile(month, "月月红")
    expect(red).to_have_count(1)
    expect(red).to_contain_text(f"主题：{awarded.theme}")
    expect(red).to_contain_text(f"核实 {THEMED_HOURS}小时")
    expect(red.get_by_text("已撤销")).to_have_count(0)
    expect(red.get_by_role("deletion")).to_have_count(0)
    bronze = tile(month, "月度志愿之星·铜")
    expect(bronze).to_contain_text(f"核实 {THEMED_HOURS + OTHER_HOURS}小时")
    expect(tile(month, "月度志愿之星·银")).to_have_count(0)
    expect(page.get_by_text("还没有徽章。")).to_have_count(0)
    fits_the_phone(page)
    shot(page, "badge-wall")

    roll = honour_roll(page, axe, awarded)
    expect(roll.get_by_role("heading", name=re.compile(f"^{THEME_ROLL}"))).to_contain_text("1")
    expect(listed_under(roll, THEME_ROLL)).to_have_text(awarded.name)
    expect(listed_under(roll, BRONZE_ROLL)).to_have_text(awarded.name)


def test_a_reversal_strikes_the_badge_through_with_the_reason(
    page: Page, login, axe, live_db, awarded: Awarded
):
    # The secretary finds the themed session's hours were entered by mistake and reverses them.
    with live_db() as session:
        secretary = session.get(User, awarded.secretary_id)
        hours.reverse_record(
            secretary, awarded.themed_record_id, reason="误报，当天未到场", now=utcnow()
        )

    login(page, awarded.volunteer, PASSWORD)
    month = open_wall(page, axe, awarded)
    red = tile(month, "月月红")
    struck = red.get_by_role("deletion")
    expect(struck).to_have_text("月月红")
    expect(struck).to_have_css("text-decoration-line", "line-through")
    expect(red.get_by_text("已撤销", exact=True)).to_be_visible()
    # The figures it was awarded on are shown as such, not as today's.
    expect(red).to_contain_text(f"颁发时：主题：{awarded.theme} · 核实 {THEMED_HOURS}小时")
    expect(red).to_contain_text(
        f"撤销原因：当月主题活动「{awarded.theme}」的核实服务时长经冲正后为 0，不再符合月月红条件"
    )
    # Her other hours still make the bronze tier: that badge stays, with the hours left.
    bronze = tile(month, "月度志愿之星·铜")
    expect(bronze.get_by_role("deletion")).to_have_count(0)
    expect(bronze.get_by_text("已撤销")).to_have_count(0)
    expect(bronze).to_contain_text(f"核实 {OTHER_HOURS}小时")
    fits_the_phone(page)
    shot(page, "badge-wall-revoked")

    roll = honour_roll(page, axe, awarded)
    expect(roll.get_by_role("heading", name=re.compile(f"^{THEME_ROLL}"))).to_have_count(0)
    expect(roll).not_to_contain_text(THEME_ROLL)
    expect(listed_under(roll, BRONZE_ROLL)).to_have_text(awarded.name)
