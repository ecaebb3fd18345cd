"""Needs back on the list are open again: no solution, solved in no month, due afresh

A rating of 2 stars or fewer sends a solved need back to the list (回访). Until now the reopened
need kept its solution: ``resolved_at`` (so the 公示栏, the dashboards, the 台账 and 三率 still
counted it solved in that month), its ``resolution`` text, the stamps of the project it left
and of its archiving, and the time limit it was first given (so it showed 已超时 at once). The
ratings service now clears them and gives it a new time limit (docs/decisions.md, "A reopened
need"); this puts the needs already reopened right.

A need is reopened while the rating of its latest solution (``round = resolution_round``) is the
one that reopened it; solving it again counts a new solution, so those are left alone. For each:
``resolved_at`` and ``resolution`` are cleared (nothing solves a need but a new solution); the
stamps of entering a project and of archiving are cleared when they are older than the reopening
(one given since, by a new project or closing after a refusal, stays); ``resolve_by`` becomes
the rating's moment plus the time to solve of the community's commitment for its category and
urgency (the commitment in force now; which one was in force then is not kept). The earlier
values stay in the audit log. Needs a cancelled project (or an edit) released back to the list
lose the stamp of entering it too, as ``release_need`` now does: on the list, without a
project, no need has entered one. The downgrade leaves the needs as they are.

Revision ID: b5d7e9f1a3c6
Revises: a1c3e5f7b9d2
Create Date: 2026-12-08 09:00:00

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from coop.dbtypes import UTCDateTime

revision = "b5d7e9f1a3c6"
down_revision = "a1c3e5f7b9d2"
branch_labels = None
depends_on = None

# The time to solve by urgency when the community set none: coop.needs.models
# DEFAULT_COMMITMENTS, frozen here.
DEFAULT_RESOLVE_DAYS = {"urgent": 3, "soon": 7, "normal": 30}

needs = sa.table(
    "needs",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("project_id", sa.Integer),
    sa.column("community_id", sa.Integer),
    sa.column("category", sa.String),
    sa.column("urgency", sa.String),
    sa.column("resolution_round", sa.Integer),
    sa.column("resolution", sa.Text),
    sa.column("in_project_at", UTCDateTime()),
    sa.column("resolved_at", UTCDateTime()),
    sa.column("closed_at", UTCDateTime()),
    sa.column("resolve_by", UTCDateTime()),
)
ratings = sa.table(
    "need_ratings",
    sa.column("need_id", sa.Integer),
    sa.column("round", sa.Integer),
    sa.column("reopened", sa.Boolean),
    sa.column("created_at", UTCDateTime()),
)
commitments = sa.table(
    "service_commitments",
    sa.column("community_id", sa.Integer),
    sa.column("category", sa.String),
    sa.column("urgency", sa.String),
    sa.column("resolve_days", sa.Integer),
)


def upgrade():
    bind = op.get_bind()
    bind.execute(
        sa.update(needs)
        .where(
            needs.c.status == "listed",
            needs.c.project_id.is_(None),
            needs.c.in_project_at.is_not(None),
        )
        .values(in_project_at=None)
    )
    reopened = bind.execute(
        sa.select(
            needs.c.id,
            needs.c.community_id,
            needs.c.category,
            needs.c.urgency,
            needs.c.in_project_at,
            needs.c.closed_at,
            ratings.c.created_at.label("reopened_at"),
        )
        .join(
            ratings,
            sa.and_(ratings.c.need_id == needs.c.id, ratings.c.round == needs.c.resolution_round),
        )
        .where(ratings.c.reopened)
        .order_by(needs.c.id)
    ).all()
    if not reopened:
        return
    own = {
        (row.community_id, row.category, row.urgency): row.resolve_days
        for row in bind.execute(
            sa.select(commitments).where(
                commitments.c.community_id.in_({row.community_id for row in reopened})
            )
        )
    }
    for row in reopened:
        days = own.get(
            (row.community_id, row.category, row.urgency), DEFAULT_RESOLVE_DAYS[row.urgency]
        )
        values = {
            "resolved_at": None,
            "resolution": "",
            "resolve_by": row.reopened_at + timedelta(days=days),
        }
        if row.in_project_at is not None and row.in_project_at <= row.reopened_at:
            values["in_project_at"] = None
        if row.closed_at is not None and row.closed_at <= row.reopened_at:
            values["closed_at"] = None
        bind.execute(sa.update(needs).where(needs.c.id == row.id).values(**values))


def downgrade():
    pass
