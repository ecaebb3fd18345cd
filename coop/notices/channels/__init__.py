"""Where a notice goes besides the inbox: channels behind one interface.

The in-app inbox is always on: ``notify`` writes its row, and that row is the delivery. Every
other channel — e-mail (``email``), SMS (``sms``), WeChat template messages (``wechat``) — is a
class with a ``name``, the ``User`` column holding her address there (``address_field``) and
``send(message)``, which returns once the provider has accepted the message and raises when it
has not: ``Refused`` for a refusal that trying again cannot mend (no address, a bad number), any
other exception for one that may pass (the server is down). The queue calls it
(coop.notices.delivery), never a request.

Which channels are offered is the ``NOTICE_CHANNELS`` setting ("email,sms"); a channel named
there whose own settings are missing (no ``SMTP_HOST``, no ``SMS_ENDPOINT`` …) is not offered.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

INAPP = "inapp"
LABELS = {
    INAPP: _l("站内消息"),
    "email": _l("邮件"),
    "sms": _l("短信"),
    "wechat": _l("微信"),
}
UNDELIVERED = {
    "email": _l("邮件未送达"),
    "sms": _l("短信未送达"),
    "wechat": _l("微信消息未送达"),
}
NO_ADDRESS = {
    "email": _l("没有邮箱地址"),
    "sms": _l("没有手机号"),
    "wechat": _l("未绑定微信"),
}
ORDER = ("email", "sms", "wechat")


@dataclass(frozen=True)
class Message:
    """What a channel gets: plain values read when the try is claimed, never an ORM object."""

    delivery_id: int  # the provider's idempotency key, where it takes one
    notice_id: int
    address: str  # her e-mail, phone or WeChat openid
    name: str
    title: str
    body: str
    link: str  # a site path
    url: str  # the link on SITE_URL, or "" when either is missing
    created_at: datetime

    @property
    def key(self) -> str:
        return f"coop-notice-delivery-{self.delivery_id}"


class Refused(Exception):
    """The provider refused the message for good: trying again would not help."""


class Channel(Protocol):
    name: str
    address_field: str

    def send(self, message: Message) -> None:
        """Hand the message to the provider; raise when it was not accepted."""


class RecordingChannel:
    """Keeps what it was given (tests; trying a channel out). ``fail_with`` makes it raise."""

    address_field = "phone"

    def __init__(self, name: str = "sms", *, address_field: str | None = None) -> None:
        self.name = name
        if address_field:
            self.address_field = address_field
        self.sent: list[Message] = []
        self.fail_with: BaseException | None = None

    def send(self, message: Message) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


_KEY = "coop.notice_channels"


def enabled() -> dict[str, Channel]:
    """The channels this app offers, by name, built once from its settings."""
    extensions = current_app.extensions
    if _KEY not in extensions:
        extensions[_KEY] = build(current_app.config)
    return extensions[_KEY]


def build(config) -> dict[str, Channel]:
    from coop.notices.channels import email, sms, wechat

    factories = {"email": email.from_config, "sms": sms.from_config, "wechat": wechat.from_config}
    names = [n.strip() for n in (config.get("NOTICE_CHANNELS") or "").split(",") if n.strip()]
    channels = {}
    for name in names:
        if name not in factories:
            raise RuntimeError(f"NOTICE_CHANNELS names {name!r}; channels: {', '.join(ORDER)}")
        channel = factories[name](config)
        if channel is None:
            current_app.logger.warning("notice channel %s is not configured: not offered", name)
            continue
        channels[name] = channel
    return {name: channels[name] for name in ORDER if name in channels}


def link_url(config, link: str) -> str:
    site = (config.get("SITE_URL") or "").rstrip("/")
    return f"{site}{link}" if site and link else ""
