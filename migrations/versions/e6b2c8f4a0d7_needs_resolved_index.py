"""Needs solved per month at city scale: an index on a community's needs by resolved_at

Revision ID: e6b2c8f4a0d7
Revises: d1a7e3b5c9f2
Create Date: 2026-12-07 08:00:00

"""

from alembic import op

revision = "e6b2c8f4a0d7"
down_revision = "d1a7e3b5c9f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_needs_community_id_resolved_at", "needs", ["community_id", "resolved_at"])


def downgrade():
    op.drop_index("ix_needs_community_id_resolved_at", table_name="needs")
