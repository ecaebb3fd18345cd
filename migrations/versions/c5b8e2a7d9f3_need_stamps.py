"""needs: when each moved along (listed, rejected, into a project, solved, closed)

The columns are stamped by the model from now on (coop.needs.models STAMPS). Needs already
there are filled in from the audit log, which recorded each change of status: the first time
it became listed or rejected, the last time it entered a project, was solved or closed. A need
whose move is not in the log keeps a null (unknown), never a guess.

Revision ID: c5b8e2a7d9f3
Revises: 06ddeeb31bdb
Create Date: 2026-12-07 04:20:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5b8e2a7d9f3"
down_revision = "06ddeeb31bdb"
branch_labels = None
depends_on = None

# status → (column, whether a later move stamps again): as coop.needs.models.STAMPS, frozen here
STAMPS = {
    "listed": ("listed_at", False),
    "rejected": ("rejected_at", False),
    "in_project": ("in_project_at", True),
    "resolved": ("resolved_at", True),
    "closed": ("closed_at", True),
}
BATCH = 5000


def upgrade():
    for column, _again in STAMPS.values():
        op.add_column("needs", sa.Column(column, sa.DateTime(timezone=True)))
    _backfill()


def _backfill():
    bind = op.get_bind()
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("after", sa.JSON),
    )
    needs = sa.table(
        "needs",
        sa.column("id", sa.Integer),
        *(sa.column(column, sa.DateTime(timezone=True)) for column, _again in STAMPS.values()),
    )
    stamps: dict[int, dict[str, object]] = {}
    last = 0
    while True:  # in id order, a batch at a time: the log can be long
        rows = bind.execute(
            sa.select(audit.c.id, audit.c.at, audit.c.object_id, audit.c.after)
            .where(audit.c.object_type == "needs", audit.c.id > last)
            .order_by(audit.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            after = row.after if isinstance(row.after, dict) else json.loads(row.after or "null")
            status = (after or {}).get("status")
            if status not in STAMPS or not row.object_id.isdigit():
                continue
            column, again = STAMPS[status]
            mine = stamps.setdefault(int(row.object_id), {})
            if again or column not in mine:
                mine[column] = row.at
    for need_id, values in stamps.items():
        bind.execute(sa.update(needs).where(needs.c.id == need_id).values(**values))


def downgrade():
    for column, _again in reversed(list(STAMPS.values())):
        op.drop_column("needs", column)
