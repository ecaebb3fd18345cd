from flask import Blueprint, redirect, render_template, url_for

from coop.auth.current import login_required, require_actor
from coop.htmx import is_htmx, render
from coop.notices import service
from coop.uow import unit_of_work

bp = Blueprint("notices", __name__)

INBOX_SIZE = 50
SUMMARY_SIZE = 3


@bp.get("/my/notices")
@login_required
def index():
    """Her inbox, newest first. Opening it marks everything read; the new ones stay marked
    on this page."""
    actor = require_actor()
    notices = service.inbox(actor.id, limit=INBOX_SIZE)
    unread = {n.id for n in notices if n.read_at is None}
    with unit_of_work(actor):
        service.mark_read(actor.id)
    return render("notices/list.html", notices=notices, unread=unread)


@bp.get("/my/notices/summary")
@login_required
def summary():
    """The unread count and the newest few, for the top of 我的 (loaded with htmx); showing
    them there marks nothing read. Visited directly: the inbox."""
    if not is_htmx():
        return redirect(url_for("notices.index"))
    actor = require_actor()
    notices = service.inbox(actor.id, limit=SUMMARY_SIZE)
    return render_template(
        "notices/_summary.html",
        notices=notices,
        unread={n.id for n in notices if n.read_at is None},
        unread_count=service.unread_count(actor.id),
    )
