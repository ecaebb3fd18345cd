"""certificate_pdfs: a certificate's PDF, made once by the task queue and kept

Certificates issued before have no row: their page offers 生成PDF, which queues one.

Revision ID: f3a7c2e9d1b5
Revises: 68c932228440
Create Date: 2026-12-07 07:05:00

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "f3a7c2e9d1b5"
down_revision = "68c932228440"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_pdfs",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("requested_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_pdfs_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_certificate_pdfs")),
    )


def downgrade():
    op.drop_table("certificate_pdfs")
