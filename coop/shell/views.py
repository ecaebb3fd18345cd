from flask import Blueprint, redirect, render_template, request, url_for

from coop import LANGUAGES
from coop.auth.current import current_actor
from coop.auth.models import Role
from coop.dbtypes import utcnow
from coop.notices import inbox
from coop.todo import service as todo

bp = Blueprint("shell", __name__)


@bp.get("/")
def home():
    """待办 first, for every role she holds; 积分超市 staff (and nothing else) land at the
    counter, where their work is."""
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login"))
    if actor.grants and all(g.role is Role.SUPERMARKET_STAFF for g in actor.grants):
        return redirect(url_for("rewards.counter"))
    sections = todo.todo_for(actor, utcnow())
    return render_template(
        "todo/home.html",
        sections=sections,
        total=sum(s.count for s in sections),
        notices_summary=inbox.summary(actor.id),
    )


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
