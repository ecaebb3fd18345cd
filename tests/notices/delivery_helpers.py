"""Shared by the delivery tests: recording channels on the app, and choosing channels."""

from datetime import time

from coop.extensions import db
from coop.notices.channels import RecordingChannel
from coop.notices.models import NoticeSettings

KEY = "coop.notice_channels"


def recording_channels(app) -> dict[str, RecordingChannel]:
    """E-mail, SMS and WeChat, each a recording fake, offered by ``app`` until ``restore``."""
    fakes = {
        "email": RecordingChannel("email", address_field="email"),
        "sms": RecordingChannel("sms", address_field="phone"),
        "wechat": RecordingChannel("wechat", address_field="wechat_openid"),
    }
    app.extensions[KEY] = fakes
    return fakes


def restore(app) -> None:
    app.extensions.pop(KEY, None)


def choose(user, *names: str, quiet: tuple[time, time] | None = None) -> NoticeSettings:
    """Her channels; no quiet hours unless given (the tests' clock may read any hour)."""
    settings = NoticeSettings(
        user_id=user.id,
        channels=",".join(names),
        quiet_from=quiet[0] if quiet else None,
        quiet_until=quiet[1] if quiet else None,
    )
    db.session.add(settings)
    db.session.flush()
    return settings
