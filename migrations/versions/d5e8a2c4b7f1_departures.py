"""departures: a person deactivated by the secretary, why, and her return or anonymisation

Revision ID: d5e8a2c4b7f1
Revises: 1141ab9433a4
Create Date: 2026-12-01 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

# revision identifiers, used by Alembic.
revision = "d5e8a2c4b7f1"
down_revision = "1141ab9433a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "departures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deactivated_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deactivated_by_id", sa.Integer(), nullable=True),
        sa.Column("reactivated_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reactivated_by_id", sa.Integer(), nullable=True),
        sa.Column("anonymised_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("anonymised_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_departures_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_departures_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["deactivated_by_id"], ["users.id"], name=op.f("fk_departures_deactivated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reactivated_by_id"], ["users.id"], name=op.f("fk_departures_reactivated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["anonymised_by_id"], ["users.id"], name=op.f("fk_departures_anonymised_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departures")),
    )
    with op.batch_alter_table("departures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departures_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_departures_community_id"), ["community_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("departures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departures_community_id"))
        batch_op.drop_index(batch_op.f("ix_departures_user_id"))
    op.drop_table("departures")
