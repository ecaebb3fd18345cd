"""Telling people what happened to them. Every caller goes through ``notify``."""

import sqlalchemy as sa

from coop.dbtypes import utcnow
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


def inbox(user_id: int, *, limit: int = 20) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(Notice.user_id == user_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    )


def mark_read(user_id: int) -> None:
    db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
