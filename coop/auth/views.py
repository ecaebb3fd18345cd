from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.auth import invitations, service
from coop.auth.current import current_actor, login_required, require_actor, sign_in, sign_out
from coop.auth.schemas import InvitationForm, PasswordChangeForm, TokenIn
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.htmx import render
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    r"""Only a path on this site: never an open redirect to another host, nor anything a browser
    would read as one (it takes "/\evil.example" for "//evil.example" and drops tabs and
    newlines), nor what cannot go in a Location header (control characters)."""
    home = url_for("shell.home")
    if not target or not target.startswith("/") or target.startswith("//"):
        return home
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(_safe_next(next_url))
        return render("auth/login.html", form={}, errors={}, next_url=next_url)
    retry_form("auth/login.html", next_url=next_url)
    data, errors = load_form(TokenIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work():
        user = service.authenticate(
            data["username"], data["password"], address=request.remote_addr or ""
        )
        sign_in(user)
    flash(_("欢迎，%(name)s！", name=user.display_name), "success")
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout():
    with unit_of_work(current_actor()):
        sign_out()
    flash(_("您已安全退出。"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    actor = require_actor()
    if request.method == "GET":
        return render("auth/password.html", form={}, errors={})
    retry_form("auth/password.html")
    data, errors = load_form(PasswordChangeForm(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.change_password(
            actor,
            current_password=data["current_password"],
            new_password=data["new_password"],
            address=request.remote_addr or "",
        )
        sign_in(actor)  # every session ended: this browser gets a new one
    flash(_("密码已修改。您在其他设备上的登录和 API 令牌都已失效。"), "success")
    return redirect(url_for("people.me"))


@bp.route("/invite", methods=["GET", "POST"])
@bp.get("/invite/<code>")
def invitation(code: str = ""):
    """First sign-in: she sets her own password with the code on her invitation (or its QR)."""
    code = code or request.values.get("code", "")
    if request.method == "GET":
        invited = invitations.live_invitation(code, now=utcnow()) if code else None
        errors = {}
        if code and invited is None:
            errors = {"code": [_("邀请码不正确或已失效，请向社区工作人员索取新的邀请码。")]}
        return render("auth/invitation.html", form={"code": code}, errors=errors, invited=invited)
    retry_form("auth/invitation.html", invited=None)
    data, errors = load_form(InvitationForm(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work():
        user = invitations.redeem_invitation(
            data["code"],
            new_password=data["new_password"],
            address=request.remote_addr or "",
            now=utcnow(),
        )
        sign_in(user)
    flash(
        _("密码已设置。以后请用登录名“%(username)s”和新密码登录。", username=user.username),
        "success",
    )
    return redirect(url_for("shell.home"))
