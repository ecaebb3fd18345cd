"""Many notices in one statement, for jobs that tell hundreds of thousands of people at once
(the monthly badges): the same rows ``notify`` writes, made by INSERT … SELECT in the caller's
transaction. Each row of the select is (user_id, names); the body is the names and a tail."""

from datetime import datetime

import sqlalchemy as sa

from coop.extensions import db
from coop.notices.models import Notice


def notify_each(rows: sa.Select, *, title: str, body_after: str, link: str, now: datetime) -> int:
    """A notice for each (user_id, names) row of ``rows``. Returns how many were written."""
    table = Notice.__table__
    found = rows.subquery()
    return db.session.execute(
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
