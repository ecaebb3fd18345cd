"""a version on every object people edit

Needs, projects, activities, resources, units, agreements and users carry a version that the
ORM checks and bumps on each UPDATE (``version_id_col``), so the second of two editors saving
the same object is refused instead of overwriting the first. Existing rows start at 1.

Revision ID: b3e9f2c4d1a0
Revises: 8c3d2f1a7b6e
Create Date: 2026-12-07 00:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b3e9f2c4d1a0"
down_revision = "8c3d2f1a7b6e"
branch_labels = None
depends_on = None

TABLES = ("needs", "projects", "activities", "resources", "units", "agreements", "users")


# Plain ALTER TABLE on both engines (SQLite has dropped columns in place since 3.35): a batch
# copy-and-move of a table other tables point at would fail SQLite's foreign key check.


def upgrade():
    for table in TABLES:
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade():
    for table in TABLES:
        op.drop_column(table, "version")
