from flask import Blueprint, redirect, request, url_for

from coop import LANGUAGES
from coop.alliance import permissions
from coop.auth.current import current_actor
from coop.auth.models import Role

bp = Blueprint("shell", __name__)


@bp.get("/")
def home():
    """Each role lands where its work is."""
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login"))
    if actor.grants and all(g.role is Role.SUPERMARKET_STAFF for g in actor.grants):
        return redirect(url_for("rewards.counter"))
    for grant in sorted(actor.grants, key=lambda g: list(Role).index(g.role)):
        if grant.role is Role.STREET_ADMIN:
            return redirect(url_for("alliance.communities"))
        if grant.role is Role.UNIT_LIAISON:
            return redirect(url_for("alliance.unit", unit_id=grant.unit_id))
        if grant.role is Role.VOLUNTEER:
            return redirect(url_for("people.me"))
        return redirect(url_for("alliance.community", community_id=grant.community_id))
    communities = sorted(permissions.visible_community_ids(actor))
    if communities:
        return redirect(url_for("alliance.community", community_id=communities[0]))
    return redirect(url_for("people.me"))


@bp.post("/language")
def language():
    """Remember the chosen language in a cookie; Chinese unless the reader picks English."""
    choice = request.form.get("lang", "zh")
    target = request.form.get("next") or url_for("shell.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("shell.home")
    response = redirect(target)
    if choice in LANGUAGES:
        response.set_cookie("lang", choice, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.get("/healthz")
def health():
    return {"status": "ok"}
