from flask import Blueprint, redirect, render_template, url_for

from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.htmx import is_htmx
from coop.todo.badge import counts as badge_counts

bp = Blueprint("todo", __name__)


@bp.get("/todo/badge")
@login_required
def badge():
    """The counts beside 待办 and 消息 in the menu, in one request after the page is drawn (the
    消息 count swapped out of band). Visited directly: the 待办 page."""
    if not is_htmx():
        return redirect(url_for("shell.home"))
    todo_count, unread_count = badge_counts(require_actor(), utcnow())
    return render_template("todo/_badge.html", todo_count=todo_count, unread_count=unread_count)
