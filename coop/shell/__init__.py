"""The shell: layout, navigation, home and language; what every page shares."""

from pathlib import Path

from flask import request, url_for
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


def nav_items(actor) -> list[tuple[str, str]]:
    """(url, label) of the places this actor works in."""
    items = [(url_for("shell.home"), _("首页"))]
    if actor is None:
        return items
    communities = sorted(permissions.visible_community_ids(actor))
    if actor.has_role(Role.STREET_ADMIN):
        items.append((url_for("alliance.communities"), _("街道")))
        items.append((url_for("setup.communities"), _("社区设置")))
        items.append((url_for("setup.people"), _("人员与职务")))
    elif communities:
        items.append((url_for("alliance.community", community_id=communities[0]), _("社区")))
    managed = sorted(g.community_id for g in actor.grants_of(Role.SECRETARY))
    if managed:
        items.append((url_for("needs.index", community_id=managed[0]), _("需求清单")))
        items.append((url_for("projects.index", community_id=managed[0]), _("项目清单")))
        items.append((url_for("matching.board", community_id=managed[0]), _("智能匹配")))
        items.append((url_for("activities.index", community_id=managed[0]), _("活动")))
        items.append((url_for("hours.queue", community_id=managed[0]), _("时长核实")))
    liaison_units = sorted(permissions.liaison_unit_ids(actor))
    for unit_id in liaison_units:
        items.append((url_for("alliance.unit", unit_id=unit_id), _("我的单位")))
    claimant = liaison_units or actor.has_role(Role.VOLUNTEER)
    if claimant and communities and not managed:
        items.append((url_for("claims.menu", community_id=communities[0]), _("项目菜单")))
    if liaison_units:
        items.append((url_for("claims.mine"), _("我的认领")))
    serves = sorted(g.community_id for g in actor.grants_of(Role.VOLUNTEER))
    if serves:
        if not managed:
            items.append((url_for("activities.index", community_id=serves[0]), _("活动")))
        items.append((url_for("ledger.points"), _("我的积分")))
    # 积分超市: staff work at the counter; volunteers shop the shelf.
    if rewards_permissions.staff_community_ids(actor):
        items.append((url_for("rewards.counter"), _("积分超市")))
    elif serves:
        items.append((url_for("rewards.shelf"), _("积分超市")))
    if actor.has_role(Role.RESIDENT):
        items.append((url_for("needs.mine"), _("我的需求")))
    items.append((url_for("people.me"), _("我的")))
    return items


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

    app.add_template_filter(mask_phone, "mask_phone")
    app.add_template_filter(html_date, "date")
    # Hours as 1小时30分钟 wherever a person reads them, never 1.5 or 0.04.
    app.add_template_filter(duration_text, "hours")
    app.add_template_filter(plain_number, "number")
