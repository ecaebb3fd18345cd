from flask import Blueprint, redirect, render_template, url_for

from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.htmx import is_htmx
from coop.notices import inbox as notices
from coop.todo import service

bp = Blueprint("todo", __name__)


@bp.get("/todo/badge")
@login_required
def badge():
    """The counts beside 待办 and 消息 in the menu, in one request after the page is drawn (the
    消息 count swapped out of band). Visited directly: the 待办 page."""
    if not is_htmx():
        return redirect(url_for("shell.home"))
    actor = require_actor()
    return render_template(
        "todo/_badge.html",
        todo_count=service.count_for(actor, utcnow()),
        unread_count=notices.unread_count(actor.id),
    )
