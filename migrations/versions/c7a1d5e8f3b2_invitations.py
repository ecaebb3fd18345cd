"""invitations: one-time codes with which people added by staff set their own password

Revision ID: c7a1d5e8f3b2
Revises: b3e9f2c4d1a0
Create Date: 2026-12-07 00:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "c7a1d5e8f3b2"
down_revision = "b3e9f2c4d1a0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitations_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitations_code_hash")),
    )
    op.create_index(op.f("ix_invitations_user_id"), "invitations", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_invitations_user_id"), table_name="invitations")
    op.drop_table("invitations")
