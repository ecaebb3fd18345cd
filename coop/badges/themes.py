"""月月红: each community's twelve red themes, one per calendar month, the same every year until
the secretary changes one. March to July come from the seed; the other seven are ours, each
fitting its month (the Spring Festival in January, 八一 in August, 国庆 in October …)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.badges.models import MonthlyTheme
from coop.errors import Invalid, NotFound
from coop.extensions import db

TITLE_MAX = 64
DESCRIPTION_MAX = 500

# month: (title, description). A community reads these until its secretary changes one; only that
# change stores the month (reading stores nothing), and it never touches these.
DEFAULT_THEMES = {
    1: ("新春送温暖", "走访慰问困难家庭、独居老人和老党员，送春联、送年货、送祝福。"),
    2: ("红色年味闹元宵", "元宵节猜灯谜、包汤圆、邻里联欢，在职党员回社区共度佳节。"),
    3: ("学雷锋红色服务", "三月学雷锋：义务理发、家电维修、健康咨询、法律咨询等便民服务。"),
    4: ("小区安全防线红色治理", "楼栋安全巡查、消防隐患排查、电动车规范停放，共筑小区安全防线。"),
    5: ("红色书画展", "社区书画爱好者和学生的红色主题作品展，志愿者布展、讲解。"),
    6: ("红色汇演", "迎七一红色文艺汇演，唱响红色歌曲，展示共建成果。"),
    7: ("红色故事会", "老党员、老兵讲述红色故事，传承红色基因。"),
    8: ("拥军优属", "八一走访慰问退役军人和军属，为他们办实事、解难题。"),
    9: ("红色助学", "开学季爱心助学、四点半课堂、青少年红色教育。"),
    10: ("红色颂歌献祖国", "国庆唱红歌、升国旗、重阳敬老，为祖国献礼。"),
    11: ("红色平安守护", "冬季消防安全宣传、防诈骗宣传进小区，守护居民平安。"),
    12: ("红色暖冬", "为困难群众送温暖、清扫积雪、检查取暖设施，温暖过冬。"),
}


def themes_of(community_id: int) -> list[MonthlyTheme]:
    """The community's twelve themes, January first: the months its secretary changed as
    stored, the others the defaults (unsaved rows, not added to the session: reading writes
    nothing)."""
    themes = _themes(community_id)
    return [themes.get(month) or _default(community_id, month) for month in DEFAULT_THEMES]


def _themes(community_id: int) -> dict[int, MonthlyTheme]:
    rows = db.session.scalars(
        sa.select(MonthlyTheme).where(MonthlyTheme.community_id == community_id)
    )
    return {theme.month: theme for theme in rows}


def _default(community_id: int, month: int) -> MonthlyTheme:
    title, description = DEFAULT_THEMES[month]
    return MonthlyTheme(
        community_id=community_id, month=month, title=title, description=description
    )


def theme_of(community_id: int, month: int) -> MonthlyTheme:
    """One month's theme: the stored one, else the default (unsaved). One statement.
    :raise NotFound: not 1–12."""
    if month not in DEFAULT_THEMES:
        raise NotFound()
    stored = db.session.scalar(
        sa.select(MonthlyTheme).where(
            MonthlyTheme.community_id == community_id, MonthlyTheme.month == month
        )
    )
    return stored or _default(community_id, month)


def update_theme(
    actor: User, community_id: int, month: int, *, title: str, description: str = ""
) -> MonthlyTheme:
    """The secretary renames a month's theme or rewrites its description; later months' awards
    carry the new title, earlier awards keep theirs in their evidence.

    :raise NotFound: not her community, or not a month 1–12. :raise Forbidden: she does not
    manage it. :raise Invalid: a blank or overlong title, an overlong description.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    title, description = (title or "").strip(), (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("请填写主题名称。")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("主题名称最多 %(n)d 个字。", n=TITLE_MAX)]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("主题说明最多 %(n)d 个字。", n=DESCRIPTION_MAX)]
    if errors:
        raise Invalid(errors=errors)
    return _store(community.id, month, title, description)


def _store(community_id: int, month: int, title: str, description: str) -> MonthlyTheme:
    """Write the month's theme: its row changed, or added the first time the month changes
    (a racing first change that committed before is updated instead)."""
    theme = theme_of(community_id, month)
    if sa.inspect(theme).persistent:
        theme.title, theme.description = title, description
        db.session.flush()
        return theme
    theme.title, theme.description = title, description
    try:
        with db.session.begin_nested():
            db.session.add(theme)
            db.session.flush()
    except sa.exc.IntegrityError:
        return _store(community_id, month, title, description)
    return theme
