"""Telling people what happened to them. Every caller goes through ``notify``."""

from coop.extensions import db
from coop.notices import delivery
from coop.notices.models import Notice


def notify(user_id: int, title: str, *, body: str = "", link: str = "") -> Notice:
    """Put a notice in the person's inbox, in the caller's transaction, with a delivery row for
    each other channel she chose (e-mail, SMS, WeChat): the queue sends those once the
    transaction commits (coop.notices.delivery), never inside it."""
    notice = Notice(user_id=user_id, title=title, body=body, link=link)
    db.session.add(notice)
    delivery.plan(notice)
    return notice
