"""月度台账 jobs: ledger_reports (the queue makes the PDF; the row keeps it until downloaded)

Revision ID: c8e2d4f6a1b3
Revises: b7f3c1d9e2a4
Create Date: 2026-12-07 05:35:00

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "c8e2d4f6a1b3"
down_revision = "b7f3c1d9e2a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_ledger_reports_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_ledger_reports_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_reports")),
    )
    with op.batch_alter_table("ledger_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_reports_community_id"), ["community_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("ledger_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_reports_community_id"))
    op.drop_table("ledger_reports")
