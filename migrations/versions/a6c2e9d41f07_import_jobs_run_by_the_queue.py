"""import jobs run by the task queue: the upload kept with the job, runs claimed, a heartbeat

Revision ID: a6c2e9d41f07
Revises: 4d3f88328f97
Create Date: 2026-12-07 04:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a6c2e9d41f07"
down_revision = "4d3f88328f97"
branch_labels = None
depends_on = None

TABLES = ("need_import_jobs", "people_import_jobs")


def upgrade():
    for table in TABLES:
        op.add_column(
            table, sa.Column("locale", sa.String(8), nullable=False, server_default="zh")
        )
        op.add_column(
            table, sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        op.add_column(table, sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        op.add_column(table, sa.Column("upload", sa.LargeBinary()))


def downgrade():
    for table in TABLES:
        for column in ("upload", "heartbeat_at", "attempts", "locale"):
            op.drop_column(table, column)
