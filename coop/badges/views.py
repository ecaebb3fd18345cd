from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.current import login_required, require_actor
from coop.badges import catalog, kept_roll, queries, themes
from coop.badges.awarding import CLAIM_HOURS, TIERS
from coop.badges.schemas import ThemeIn
from coop.errors import Invalid, retry_form
from coop.htmx import is_htmx, render
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("badges", __name__)

ROLL_LIMIT = 30  # names per badge on the honour roll; the rest are counted
# The large character on each badge tile.
GLYPHS = {
    catalog.THEME: "红",
    catalog.HOURS_BRONZE: "铜",
    catalog.HOURS_SILVER: "银",
    catalog.HOURS_GOLD: "金",
    catalog.UNIT_STAR: "星",
    catalog.TERM_LEAD: "旗",
}


def _month_title(period: str) -> str:
    if len(period) == queries.MONTH_LENGTH:
        return _("%(year)s年%(month)d月", year=period[:4], month=int(period[5:]))
    return _(
        "%(year)s年%(half)s半年", year=period[:4], half=_("上") if period[-1] == "1" else _("下")
    )


@bp.get("/my/badges")
@login_required
def wall():
    """她的徽章墙: every month's badges, revoked ones struck through with their reason."""
    actor = require_actor()
    months: dict[str, list] = {}
    for award in queries.wall_of(actor.id):
        months.setdefault(award.period, []).append(award)
    return render(
        "badges/wall.html",
        months=[(period, _month_title(period), awards) for period, awards in months.items()],
        glyphs=GLYPHS,
        tiers=[int(need) for _code, need in reversed(TIERS)],
        home_community_id=actor.volunteer.home_community_id if actor.volunteer else None,
    )


@bp.get("/communities/<int:community_id>/honours")
@login_required
def honours(community_id: int):
    """月月红光荣榜: the latest awarded month's theme badge holders, tiers and unit stars."""
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    period = queries.latest_awarded_month(community.id)
    theme, roll = None, {}
    if period is not None:
        theme = themes.theme_of(community.id, int(period[5:]))
        theme = {"title": theme.title, "description": theme.description}
        roll = kept_roll.honour_roll(community.id, period, limit=ROLL_LIMIT)
    return render(
        "badges/honours.html",
        block="honour_roll",
        community=community,
        period=period,
        month_title=_month_title(period) if period else "",
        theme=theme,
        roll=roll,
        glyphs=GLYPHS,
        catalog=catalog,
        claim_hours=int(CLAIM_HOURS),
        can_manage=can_manage_community(actor, community),
    )


def _managed(actor, community_id: int):
    """:raise NotFound: not her community. :raise Forbidden: she does not manage it."""
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    return community


def _settings_context(community) -> dict:
    rows = [
        {"month": t.month, "title": t.title, "description": t.description}
        for t in themes.themes_of(community.id)
    ]
    return {"community": community, "themes": rows}


@bp.get("/communities/<int:community_id>/themes")
@login_required
def settings(community_id: int):
    """月月红主题设置: the twelve months, each with its own small form."""
    community = _managed(require_actor(), community_id)
    return render("badges/themes.html", form={}, errors={}, **_settings_context(community))


@bp.post("/communities/<int:community_id>/themes/<int:month>")
@login_required
def update(community_id: int, month: int):
    actor = require_actor()
    community = _managed(actor, community_id)
    data, errors = load_form(ThemeIn(), request.form)
    if is_htmx():
        # The month's form replaces itself: with the saved values, or with the messages.
        theme = {"month": month, **{k: request.form.get(k, "") for k in ("title", "description")}}
        if not errors:
            with unit_of_work(actor):
                saved = themes.update_theme(actor, community.id, month, **data)
                theme = {
                    "month": saved.month,
                    "title": saved.title,
                    "description": saved.description,
                }
        return render_template(
            "badges/_theme_form.html",
            community=community,
            theme=theme,
            errors=errors,
            saved=not errors,
        ), (422 if errors else 200)
    retry_form("badges/themes.html", **_settings_context(community))
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        themes.update_theme(actor, community.id, month, **data)
    flash(_("%(month)d月主题已保存。", month=month), "success")
    return redirect(url_for("badges.settings", community_id=community.id) + f"#month-{month}")
