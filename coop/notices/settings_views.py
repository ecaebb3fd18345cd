"""我的 → 消息设置: her channels, quiet hours and e-mail address (the form of the same name)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from coop.auth.current import login_required, require_actor
from coop.errors import Invalid, retry_form
from coop.htmx import render
from coop.notices import channels, delivery, quiet, settings
from coop.notices.schemas import NoticeSettingsIn
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("notice_settings", __name__)


def _form_of(actor) -> MultiDict:
    saved = settings.settings_of(actor.id)
    form = MultiDict(
        {
            "email": actor.email or "",
            "quiet_from": (saved.quiet_from or quiet.DEFAULT_FROM).strftime("%H:%M"),
            "quiet_until": (saved.quiet_until or quiet.DEFAULT_UNTIL).strftime("%H:%M"),
        }
    )
    if saved.quiet_from is not None:
        form["quiet_hours"] = "on"
    for name in saved.channel_list:
        form.add("channels", name)
    return form


def _context(actor) -> dict:
    return {
        "offered": settings.offered_channels(actor),
        "inapp_label": channels.LABELS[channels.INAPP],
        "wechat_bound": bool(actor.wechat_openid),
        "undelivered": delivery.undelivered(actor.id, limit=10),
    }


@bp.route("/me/notice-settings", methods=["GET", "POST"])
@login_required
def edit():
    actor = require_actor()
    if request.method == "GET":
        return render("notices/settings.html", form=_form_of(actor), errors={}, **_context(actor))
    retry_form("notices/settings.html", **_context(actor))
    data, errors = load_form(NoticeSettingsIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        settings.update_settings(
            actor,
            channels_chosen=data["channels"],
            quiet_hours=data["quiet_hours"],
            quiet_from=data["quiet_from"],
            quiet_until=data["quiet_until"],
            email=data["email"],
        )
    flash(_("消息设置已保存。"), "success")
    return redirect(url_for("notice_settings.edit"))
