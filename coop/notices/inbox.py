"""Reading her inbox: newest first, unread ones marked, one or all marked read.

Only her own notices: another person's notice is a 404, never a 403. A notice's link is
followed only when it is a path on this site (``/needs/12``): anything else — a full URL,
``//host``, ``javascript:`` — is never offered, so a notice cannot send her off the site.
"""

from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa

from coop.errors import NotFound
from coop.extensions import db
from coop.notices.models import Notice


def inbox_select(user_id: int, *, unread_only: bool = False) -> sa.Select:
    """Her notices, newest first (for ``pagination.paginate``)."""
    query = sa.select(Notice).where(Notice.user_id == user_id)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return query.order_by(Notice.created_at.desc(), Notice.id.desc())


def latest(user_id: int, *, limit: int = 20) -> list[Notice]:
    """Her newest notices."""
    return list(db.session.scalars(inbox_select(user_id).limit(limit)))


SUMMARY_SIZE = 3


def summary(user_id: int) -> dict:
    """The top of her home pages: her newest few notices (titles only: no delivery rows), which
    of them are unread, and how many she has unread in all. One statement: the count rides on
    each row (with no notice at all there is nothing unread either)."""
    rows = db.session.execute(
        inbox_select(user_id)
        .add_columns(_unread_count_select(user_id).scalar_subquery())
        .options(sa.orm.lazyload(Notice.deliveries))
        .limit(SUMMARY_SIZE)
    ).all()
    notices = [notice for notice, _count in rows]
    return {
        "notices": notices,
        "unread": {n.id for n in notices if n.read_at is None},
        "unread_count": rows[0][1] if rows else 0,
    }


def _unread_count_select(user_id: int) -> sa.Select:
    return sa.select(sa.func.count()).where(Notice.user_id == user_id, Notice.read_at.is_(None))


def unread_count(user_id: int) -> int:
    return db.session.scalar(_unread_count_select(user_id))


def get_notice(user_id: int, notice_id: int, *, for_update: bool = False) -> Notice:
    """:raise NotFound: no such notice, or not hers."""
    query = sa.select(Notice).where(Notice.id == notice_id, Notice.user_id == user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    notice = db.session.scalar(query)
    if notice is None:
        raise NotFound()
    return notice


def mark_read(user_id: int, notice_id: int, *, now: datetime) -> Notice:
    """Mark one of her notices read; one read before keeps its first reading time.

    :raise NotFound: not hers."""
    notice = get_notice(user_id, notice_id, for_update=True)
    if notice.read_at is None:
        notice.read_at = now
        db.session.flush()
    return notice


def mark_all_read(user_id: int, *, now: datetime) -> int:
    """Mark every unread notice of hers read. Returns how many."""
    return db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def site_path(link: str | None) -> str:
    """The link if it is a path on this site, else "" (never followed)."""
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return ""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or any(c in link for c in "\\\r\n\t"):
        return ""
    return link
