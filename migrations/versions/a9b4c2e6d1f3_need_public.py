"""a need may be kept off the 公示栏: needs.public (困难群众's are kept off by default); needs by
community, newest first

Revision ID: a9b4c2e6d1f3
Revises: a3e4b295b15a
Create Date: 2026-12-07 04:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "a9b4c2e6d1f3"
down_revision = "a3e4b295b15a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs") as batch:
        batch.add_column(
            sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_index("ix_needs_community_id_created_at", "needs", ["community_id", "created_at"])
    # The same rule as for new needs: a need for 困难群众 stays off the board until staff show it.
    op.execute("UPDATE needs SET public = false WHERE beneficiary_group = 'needy'")


def downgrade():
    op.drop_index("ix_needs_community_id_created_at", table_name="needs")
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("public")
