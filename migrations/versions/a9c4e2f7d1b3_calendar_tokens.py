"""calendar tokens: the secret of each person's calendar feed URL, stored as its SHA-256

Revision ID: a9c4e2f7d1b3
Revises: a6c2e9d41f07
Create Date: 2026-12-07 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "a9c4e2f7d1b3"
down_revision = "a6c2e9d41f07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_tokens_token_hash")),
    )
    with op.batch_alter_table("calendar_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_tokens_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_calendar_tokens_live_per_user",
            ["user_id"],
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("calendar_tokens", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_calendar_tokens_live_per_user",
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_calendar_tokens_user_id"))
    op.drop_table("calendar_tokens")
