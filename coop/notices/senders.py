"""Where notices go besides the in-app inbox. The inbox row is always written (``notify``);
other channels — SMS, WeChat 服务通知 — are senders named in the ``NOTICE_SENDERS`` setting
(import paths, comma-separated in the environment) and get each notice after its transaction
commits, so a rolled-back request never texts anyone.
"""

from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from werkzeug.utils import import_string


@dataclass(frozen=True)
class Outgoing:
    """What a sender gets: plain values, never an ORM object (it runs after the commit)."""

    notice_id: int
    user_id: int
    phone: str | None
    title: str
    body: str
    link: str


class Sender(Protocol):
    def send(self, message: Outgoing) -> None:
        """Deliver one notice. Raising is logged and does not affect the inbox."""


class RecordingSender:
    """Keeps what it was given: for tests, and to try a channel out in development."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)


def configured() -> list[Sender]:
    """The senders the app is configured with, built once per app."""
    extensions = current_app.extensions
    if "coop.notice_senders" not in extensions:
        paths = current_app.config.get("NOTICE_SENDERS") or []
        if isinstance(paths, str):
            paths = [p.strip() for p in paths.split(",") if p.strip()]
        extensions["coop.notice_senders"] = [
            import_string(p)() if isinstance(p, str) else p for p in paths
        ]
    return extensions["coop.notice_senders"]


def deliver(message: Outgoing) -> None:
    for sender in configured():
        try:
            sender.send(message)
        except Exception:  # one channel failing must not stop the others or the request
            current_app.logger.exception("notice %s not sent by %r", message.notice_id, sender)
