"""智能匹配 per need: match_rankings rows of one need (need_id, indexed with the community in
place of the shared groups' index), and the words that matched (matched) on rankings and
stored suggestions

Revision ID: f3a7d2b9c5e1
Revises: c8e2d4f6a1b3
Create Date: 2026-12-07 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f3a7d2b9c5e1"
down_revision = "c8e2d4f6a1b3"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table: keep AUTOINCREMENT, or a replaced ranking row's id comes back
    # and a stale dismissal would act on the new row.
    with op.batch_alter_table(
        "match_rankings", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("matched", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        # No foreign key: a run replaces a community's rows in bulk (millions a night in a
        # city) and readers join the listed needs; the check per row would double the COPY.
        batch_op.drop_index("ix_match_rankings_group")
        batch_op.create_index(
            "ix_match_rankings_need",
            ["community_id", "need_id"],
            unique=False,
        )
    with op.batch_alter_table("match_suggestions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("matched", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade():
    with op.batch_alter_table("match_suggestions", schema=None) as batch_op:
        batch_op.drop_column("matched")
    # as in upgrade: SQLite keeps AUTOINCREMENT through the rebuild
    with op.batch_alter_table(
        "match_rankings", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_match_rankings_need")
        batch_op.create_index(
            "ix_match_rankings_group",
            ["community_id", "category", "neighbourhood_id", "candidate_type", "rank"],
            unique=False,
        )
        batch_op.drop_column("matched")
        batch_op.drop_column("need_id")
