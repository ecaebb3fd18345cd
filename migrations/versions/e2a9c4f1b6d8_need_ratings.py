"""need_ratings: residents rate each resolution of their need once; needs count their resolutions

Revision ID: e2a9c4f1b6d8
Revises: b3f1c9d2e7a4
Create Date: 2026-12-07 04:11:17.184351

Existing ratings: the only ones so far are the activities' 满意度评价 (``feedback``), which rate a
session, not the resolution of a need; they stay where they are (docs/decisions.md). A need
already solved (or solved and archived) counts one resolution, so its requester can rate it.
"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

# revision identifiers, used by Alembic.
revision = "e2a9c4f1b6d8"
down_revision = "b3f1c9d2e7a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "need_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("round >= 1", name=op.f("ck_need_ratings_round_positive")),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_need_ratings_stars_1_to_5")),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["needs.id"],
            name=op.f("fk_need_ratings_need_id_needs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"], ["users.id"], name=op.f("fk_need_ratings_rated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_ratings")),
        sa.UniqueConstraint("need_id", "round", name="uq_need_ratings_once_per_resolution"),
    )
    with op.batch_alter_table("need_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_need_ratings_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resolution_round", sa.Integer(), server_default="0", nullable=False)
        )
    # Solved before this column: one resolution (a rejected need never was, closed or not).
    op.execute(
        "UPDATE needs SET resolution_round = 1 WHERE status = 'resolved'"
        " OR resolved_at IS NOT NULL"
        " OR (status = 'closed' AND rejected_at IS NULL AND reject_reason = '')"
    )


def downgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("resolution_round")

    with op.batch_alter_table("need_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_ratings_created_at"))

    op.drop_table("need_ratings")
