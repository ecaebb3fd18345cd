from flask import Blueprint, redirect, request, url_for

from coop.apidoc import PageArgs
from coop.auth.current import login_required, require_actor
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.htmx import render
from coop.notices import inbox
from coop.pagination import paginate
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("notices", __name__)

INBOX_SIZE = 20  # a phone screen or two


@bp.app_template_filter("notice_link")
def notice_link(notice) -> str:
    """Where a notice's title goes: through ``open``, which marks it read, when it is unread
    or leads somewhere; nowhere for a read one without a link."""
    if notice.read_at is None or inbox.site_path(notice.link):
        return url_for("notices.follow", notice_id=notice.id)
    return ""


@bp.get("/my/notices")
@login_required
def index():
    """Her inbox, newest first, a page at a time; opening it marks nothing read (each notice
    opened, or 全部标为已读, does)."""
    actor = require_actor()
    args, errors = load_form(PageArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    page = paginate(inbox.inbox_select(actor.id), args["page"], INBOX_SIZE)
    return render("notices/list.html", page=page, unread_count=inbox.unread_count(actor.id))


@bp.get("/my/notices/<int:notice_id>/open")
@login_required
def follow(notice_id: int):
    """Follow a notice: marked read, then on to its link if that is a path on this site, else
    back to the inbox. Another person's notice is a 404."""
    actor = require_actor()
    with unit_of_work(actor):
        notice = inbox.mark_read(actor.id, notice_id, now=utcnow())
    return redirect(inbox.site_path(notice.link) or url_for("notices.index"), 303)


@bp.post("/my/notices/read-all")
@login_required
def read_all():
    actor = require_actor()
    with unit_of_work(actor):
        inbox.mark_all_read(actor.id, now=utcnow())
    return redirect(url_for("notices.index"), 303)
