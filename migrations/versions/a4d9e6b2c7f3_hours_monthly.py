"""hours_monthly: verified hours per community and month, kept with each record; backfilled

Revision ID: a4d9e6b2c7f3
Revises: f3a7c2e9d1b5
Create Date: 2026-12-07 07:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4d9e6b2c7f3"
down_revision = "f3a7c2e9d1b5"
branch_labels = None
depends_on = None

# What coop.hours.summary counts: verified, not a reversal, not reversed.
LIVE = "status = 'verified' AND origin <> 'reversal' AND reversed_at IS NULL"


def upgrade():
    op.create_table(
        "hours_monthly",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_hours_monthly_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "month", name=op.f("pk_hours_monthly")),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', service_date) AS DATE)"
    else:
        month = "date(service_date, 'start of month')"
    op.execute(
        f"INSERT INTO hours_monthly (community_id, month, hours, records) "
        f"SELECT community_id, {month}, SUM(hours), COUNT(*) FROM service_records "
        f"WHERE {LIVE} GROUP BY community_id, {month}"
    )


def downgrade():
    op.drop_table("hours_monthly")
