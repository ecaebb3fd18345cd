"""The shell: layout, navigation, home and language; what every page shares."""

from pathlib import Path
from typing import NamedTuple

from flask import g, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from coop.alliance import permissions
from coop.auth.current import current_actor
from coop.auth.models import Role
from coop.hours.models import duration_text
from coop.privacy import mask_phone
from coop.rewards import permissions as rewards_permissions

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def _vendored(prefix: str) -> tuple[str, str]:
    """(file name, SRI hash) of the vendored script, read from CHECKSUMS."""
    for line in (VENDOR / "CHECKSUMS").read_text().splitlines():
        digest, _, name = line.partition("  ")
        if name.startswith(prefix):
            return name, digest
    raise RuntimeError(f"{prefix} is not vendored")


class NavLink(NamedTuple):
    url: str
    label: str
    # "todo" or "notices": the count htmx loads beside the link (coop/todo/views.py badge).
    badge: str = ""
    # Kept on a phone's bar: the role's everyday pages; the others fold under 更多 there, so
    # the bar stays two rows of a 390px screen instead of four.
    phone: bool = False


class Nav(NamedTuple):
    """The menu: the links every page shows, and the rest behind 更多 (a <details>); on a
    phone, main links not marked ``phone`` join 更多, first."""

    main: list[NavLink]
    more: list[NavLink]

    def folded_on_phone(self, path: str) -> list[NavLink]:
        """The main links a phone shows under 更多: not marked ``phone``, and not the page
        she is on (the bar shows where she is)."""
        return [link for link in self.main if not link.phone and link.url != path]


def nav_items(actor) -> Nav:
    """The places this actor works in, each role's pages reachable from here. Worked out from
    her grants and the communities she sees (one query at most, shared with the page)."""
    if actor is None:
        return Nav([NavLink(url_for("shell.home"), _("首页"))], [])
    main = [NavLink(url_for("shell.home"), _("待办"), "todo", phone=True)]
    more: list[NavLink] = []
    communities = sorted(permissions.visible_community_ids(actor))
    if actor.has_role(Role.STREET_ADMIN):
        main.append(NavLink(url_for("alliance.communities"), _("街道"), phone=True))
        main.append(NavLink(url_for("setup.communities"), _("社区设置")))
        main.append(NavLink(url_for("setup.people"), _("人员与职务")))
        street = min(g.street_id for g in actor.grants_of(Role.STREET_ADMIN))
        main.append(
            NavLink(url_for("escalations.queue", street_id=street), _("街道吹哨"), phone=True)
        )
        main.append(NavLink(url_for("alliance.comparison", street_id=street), _("社区对比")))
        more.append(NavLink(url_for("honours.street_queue", street_id=street), _("评选审批")))
    elif communities:
        main.append(NavLink(url_for("alliance.community", community_id=communities[0]), _("社区")))
    managed = sorted(g.community_id for g in actor.grants_of(Role.SECRETARY))
    if managed:
        c = managed[0]
        main.append(NavLink(url_for("needs.index", community_id=c), _("需求清单"), phone=True))
        main.append(NavLink(url_for("projects.index", community_id=c), _("项目清单")))
        main.append(NavLink(url_for("claims.queue", community_id=c), _("认领审核")))
        main.append(NavLink(url_for("matching.board", community_id=c), _("智能匹配")))
        main.append(NavLink(url_for("activities.index", community_id=c), _("活动"), phone=True))
        main.append(NavLink(url_for("hours.queue", community_id=c), _("时长核实"), phone=True))
        more.append(NavLink(url_for("resources.index", community_id=c), _("资源清单")))
        more.append(NavLink(url_for("alliance.units", community_id=c), _("联盟单位")))
        more.append(NavLink(url_for("terms.current", community_id=c), _("六个一")))
        more.append(NavLink(url_for("honours.nominations", community_id=c), _("评选表彰")))
        more.append(NavLink(url_for("honours.pioneer_index", community_id=c), _("先锋指数")))
        more.append(NavLink(url_for("honours.teams", community_id=c), _("志愿服务队")))
        more.append(NavLink(url_for("meetings.index", community_id=c), _("联盟会议")))
        more.append(NavLink(url_for("badges.settings", community_id=c), _("月月红主题")))
        more.append(NavLink(url_for("people.people", community_id=c), _("人员名单")))
        more.append(NavLink(url_for("people_import.import_form", community_id=c), _("导入人员")))
        more.append(NavLink(url_for("needs_excel.import_form", community_id=c), _("导入需求")))
        more.append(NavLink(url_for("rewards_manage.items", community_id=c), _("兑换物品管理")))
        more.append(NavLink(url_for("ledger.community_points", community_id=c), _("积分台账")))
        more.append(NavLink(url_for("auditlog.page", community_id=c), _("操作记录")))
    liaison_units = sorted(permissions.liaison_unit_ids(actor))
    for unit_id in liaison_units:
        main.append(NavLink(url_for("alliance.unit", unit_id=unit_id), _("我的单位")))
    claimant = liaison_units or actor.has_role(Role.VOLUNTEER)
    if claimant and communities and not managed:
        main.append(
            NavLink(url_for("claims.menu", community_id=communities[0]), _("项目菜单"), phone=True)
        )
    if liaison_units:
        main.append(NavLink(url_for("claims.orders"), _("点单")))
        main.append(NavLink(url_for("claims.mine"), _("我的认领"), phone=True))
        if communities and not managed:
            more.append(
                NavLink(url_for("resources.index", community_id=communities[0]), _("资源清单"))
            )
        for unit_id in liaison_units:
            more.append(NavLink(url_for("matching.fitting", unit_id=unit_id), _("适合的项目")))
        if communities and not managed:
            more.append(
                NavLink(url_for("meetings.index", community_id=communities[0]), _("联盟会议"))
            )
    serves = sorted(g.community_id for g in actor.grants_of(Role.VOLUNTEER))
    if serves:
        if not managed:
            main.append(
                NavLink(url_for("activities.index", community_id=serves[0]), _("活动"), phone=True)
            )
        main.append(NavLink(url_for("activities.mine"), _("我的活动")))
        main.append(NavLink(url_for("ledger.points"), _("我的积分")))
        more.append(NavLink(url_for("rewards.mine"), _("我的兑换")))
        more.append(NavLink(url_for("badges.wall"), _("我的徽章")))
    # 积分超市: staff work at the counter; volunteers shop the shelf.
    staffed = sorted(rewards_permissions.staff_community_ids(actor))
    if staffed:
        main.append(NavLink(url_for("rewards.counter"), _("积分超市"), phone=True))
        if not managed:
            more.append(
                NavLink(url_for("rewards_manage.items", community_id=staffed[0]), _("兑换物品管理"))
            )
    elif serves:
        main.append(NavLink(url_for("rewards.shelf"), _("积分超市"), phone=True))
    residence = sorted(g.community_id for g in actor.grants_of(Role.RESIDENT))
    if residence:
        main.append(NavLink(url_for("needs.mine"), _("我的需求"), phone=True))
        more.append(NavLink(url_for("needs.submit", community_id=residence[0]), _("提交需求")))
    main.append(NavLink(url_for("notices.index"), _("消息"), "notices", phone=True))
    main.append(NavLink(url_for("people.me"), _("我的"), phone=True))
    return Nav(main, more)


def html_date(value) -> Markup:
    """A date that never breaks across lines on a narrow phone."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{0}">{0}</time>').format(value.isoformat())


def plain_number(value) -> str:
    """1,000,000,000 and 2.5 (digits grouped, no trailing zeros), never 1e+09."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##")


def autofocus() -> Markup:
    """``autofocus`` for the first element of the response that asks for it, nothing after.

    The form macros ask for it on a field with a message and on a form's message, so a refused
    form comes back with the keyboard (and a screen reader) on the first thing to fix, without
    JavaScript; a page has at most one autofocus, or the browser's choice is no one's."""
    if g.get("coop_autofocus_given"):
        return Markup("")
    g.coop_autofocus_given = True
    return Markup(" autofocus")


def register_template_helpers(app) -> None:
    htmx_file, htmx_sri = _vendored("htmx-")

    @app.context_processor
    def shell_context():
        actor = current_actor()
        return {
            "actor": actor,
            "nav": nav_items(actor),
            "locale": str(get_locale()),
            "htmx_file": htmx_file,
            "htmx_sri": htmx_sri,
            "current_endpoint": request.endpoint,
        }

    app.add_template_global(autofocus)
    app.add_template_filter(mask_phone, "mask_phone")
    app.add_template_filter(html_date, "date")
    # Hours as 1小时30分钟 wherever a person reads them, never 1.5 or 0.04.
    app.add_template_filter(duration_text, "hours")
    app.add_template_filter(plain_number, "number")
