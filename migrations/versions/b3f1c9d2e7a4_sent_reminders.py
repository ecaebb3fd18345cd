"""sent_reminders: each reminder from the clock, sent once per (kind, subject, person)

Revision ID: b3f1c9d2e7a4
Revises: c5b8e2a7d9f3
Create Date: 2026-12-10 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

# revision identifiers, used by Alembic.
revision = "b3f1c9d2e7a4"
down_revision = "c5b8e2a7d9f3"
branch_labels = None
depends_on = None

KINDS = (
    "activity_tomorrow",
    "activity_soon",
    "pickup_deadline",
    "claim_deadline",
    "need_time_limit",
)


def upgrade():
    op.create_table(
        "sent_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sent_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_reminders")),
        sa.UniqueConstraint(
            "kind", "subject_id", "user_id", name=op.f("uq_sent_reminders_kind_subject_id_user_id")
        ),
    )


def downgrade():
    op.drop_table("sent_reminders")
