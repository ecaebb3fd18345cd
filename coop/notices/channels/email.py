"""E-mail over SMTP with the standard library: one connection per message, STARTTLS and login
when configured. The delivery id is in the Message-ID, so a receiving server that sees the same
message twice (a crash between its accepting it and our recording that) can tell."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask_babel import gettext as _

from coop.notices.channels import Message, Refused

TIMEOUT_SECONDS = 30


class EmailChannel:
    name = "email"
    address_field = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = formataddr((message.name, message.address))
        mail["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2].strip("> ") or "coop.invalid"
        mail["Message-ID"] = f"<{message.key}@{domain}>"
        text = message.body or message.title
        if message.url:
            text += "\n\n" + _("查看详情：%(url)s", url=message.url)
        mail.set_content(text + "\n", charset="utf-8")
        return mail

    def send(self, message: Message) -> None:
        mail = self.compose(message)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            try:
                smtp.send_message(mail)
            except smtplib.SMTPRecipientsRefused as error:
                raise Refused(f"SMTP refused {message.address}: {error.recipients}") from error


def from_config(config) -> EmailChannel | None:
    if not config.get("SMTP_HOST") or not config.get("MAIL_FROM"):
        return None
    return EmailChannel(
        config["SMTP_HOST"],
        int(config.get("SMTP_PORT") or 587),
        sender=config["MAIL_FROM"],
        user=config.get("SMTP_USER") or "",
        password=config.get("SMTP_PASSWORD") or "",
        starttls=bool(config.get("SMTP_STARTTLS", True)),
    )
