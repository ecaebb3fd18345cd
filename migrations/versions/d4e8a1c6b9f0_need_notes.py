"""a need's notes: what staff keep adding once the need is in a project

Revision ID: d4e8a1c6b9f0
Revises: d5e8a2c4b7f1
Create Date: 2026-12-07 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "d4e8a1c6b9f0"
down_revision = "d5e8a2c4b7f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("notes")
