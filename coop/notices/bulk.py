"""Many notices in one statement, for jobs that tell hundreds of thousands of people at once
(the monthly badges): the same rows ``notify`` writes, made by INSERT … SELECT in the caller's
transaction. Each row of the select is (user_id, names); the body is the names and a tail.

Their deliveries by the channels people chose are written the same way, one statement per
offered channel; the sweep (``coop.notices.delivery.sweep``, every minute) queues them, so a run
that tells a million people does not put a million messages on the queue inside its
transaction."""

from datetime import datetime

import sqlalchemy as sa

from coop.extensions import db
from coop.notices import channels
from coop.notices.models import DeliveryStatus, Notice, NoticeDelivery, NoticeSettings


def notify_each(rows: sa.Select, *, title: str, body_after: str, link: str, now: datetime) -> int:
    """A notice for each (user_id, names) row of ``rows``. Returns how many were written."""
    table = Notice.__table__
    found = rows.subquery()
    written = db.session.execute(
        sa.insert(table)
        .from_select(
            ["user_id", "title", "body", "link", "created_at"],
            sa.select(
                found.c.user_id,
                sa.literal(title, table.c.title.type),
                sa.cast(found.c.names, sa.Text) + sa.literal(body_after, sa.Text),
                sa.literal(link, table.c.link.type),
                sa.literal(now, table.c.created_at.type),
            ),
        )
        .execution_options(preserve_rowcount=True)
    ).rowcount
    for channel in channels.enabled():
        _plan_deliveries(channel, title=title, now=now)
    return written


def _plan_deliveries(channel: str, *, title: str, now: datetime) -> None:
    """A delivery by ``channel`` of each notice just written, for the people who chose it."""
    deliveries = NoticeDelivery.__table__
    chosen = sa.literal(",") + NoticeSettings.channels + sa.literal(",")
    db.session.execute(
        sa.insert(deliveries).from_select(
            [
                "notice_id",
                "channel",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "created_at",
            ],
            sa.select(
                Notice.id,
                sa.literal(channel, deliveries.c.channel.type),
                sa.literal(DeliveryStatus.QUEUED, deliveries.c.status.type),
                sa.literal(0),
                sa.literal(now, deliveries.c.next_attempt_at.type),
                sa.literal("", deliveries.c.last_error.type),
                sa.literal(now, deliveries.c.created_at.type),
            )
            .join(NoticeSettings, NoticeSettings.user_id == Notice.user_id)
            .where(
                Notice.created_at == now,
                Notice.title == title,
                chosen.contains(f",{channel},", autoescape=True),
            ),
        )
    )
