from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance.permissions import liaison_unit_ids, require
from coop.auth.current import login_required, require_actor
from coop.calendars import responses, service
from coop.dbtypes import utcnow
from coop.htmx import render
from coop.uow import unit_of_work

bp = Blueprint("calendars", __name__)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """Her feed, for calendar apps: no sign-in, the secret in the URL is the key."""
    return responses.feed(token)


@bp.get("/activities/<int:activity_id>.ics")
@login_required
def activity_ics(activity_id: int):
    """加入日历 on the activity page."""
    return responses.activity_ics(require_actor(), activity_id)


def _page(actor, *, raw: str | None = None):
    token = service.live_token(actor.id)
    url, webcal = responses.feed_urls(raw) if raw else (None, None)
    return render(
        "calendars/subscription.html",
        token=token,
        url=url,
        webcal=webcal,
        is_liaison=bool(liaison_unit_ids(actor)),
    )


@bp.get("/my/calendar")
@login_required
def subscription():
    """日历订阅: whether her feed is on; its address shows only when it is made."""
    actor = require_actor()
    require(service.can_subscribe(actor))
    return _page(actor)


@bp.post("/my/calendar")
@login_required
def issue():
    """Make her feed's address (again), and show it this once."""
    actor = require_actor()
    with unit_of_work(actor):
        raw = service.issue_feed_token(actor, now=utcnow())
    response = make_response(_page(actor, raw=raw))
    # The page carries the secret: never kept by a cache or the back-forward store.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/my/calendar/<any(regenerate, revoke):action>", methods=["GET", "POST"])
@login_required
def confirm(action: str):
    """重新生成 and 停用 break the address her calendars use, so ask first."""
    actor = require_actor()
    require(service.can_subscribe(actor))
    if request.method == "GET":
        return render("calendars/confirm.html", action=action)
    if action == "regenerate":
        return issue()
    with unit_of_work(actor):
        service.revoke_feed_token(actor, now=utcnow())
    flash(_("日历订阅已停用，已添加的日历不会再更新。"), "success")
    return redirect(url_for("calendars.subscription"))
