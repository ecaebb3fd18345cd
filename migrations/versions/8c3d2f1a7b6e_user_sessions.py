"""user sessions: a server-side row per signed-in browser

The session cookie used to carry only a signed user id, good until it expired whatever happened
on the server. It now carries a random id whose SHA-256 names a row here; signing out ends that
row and a password change ends every row of the user, so a copied cookie stops working.

Revision ID: 8c3d2f1a7b6e
Revises: a7d3c91e4b20
Create Date: 2026-11-24 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

# revision identifiers, used by Alembic.
revision = "8c3d2f1a7b6e"
down_revision = "a7d3c91e4b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
