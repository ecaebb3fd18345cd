"""Counts from indexes: needs by community and status; the reversal pairs of service records

- ``ix_needs_community_id_status`` (community, status; on PostgreSQL carrying ``project_id``):
  the demand list's status tabs and the matching board's listed needs are counted from the index
  alone. It replaces ``ix_needs_community_id``, which it leads with.
- ``ix_service_records_reversal_pairs``: the verified records the monthly summary leaves out
  (reversals and the records they reversed), so the hours page counts its verified list from
  ``hours_monthly`` plus these few instead of reading a community's records.

Revision ID: d9f2b4c6e8a1
Revises: c5e1a7d3f9b2
Create Date: 2026-12-07 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d9f2b4c6e8a1"
down_revision = "c5e1a7d3f9b2"
branch_labels = None
depends_on = None

REVERSAL_PAIR = "origin = 'reversal' OR reversed_at IS NOT NULL"


def upgrade():
    op.create_index(
        "ix_needs_community_id_status",
        "needs",
        ["community_id", "status"],
        postgresql_include=["project_id"],
    )
    op.drop_index("ix_needs_community_id", table_name="needs")
    op.create_index(
        "ix_service_records_reversal_pairs",
        "service_records",
        ["community_id", "service_date"],
        postgresql_where=sa.text(REVERSAL_PAIR),
        sqlite_where=sa.text(REVERSAL_PAIR),
    )


def downgrade():
    op.drop_index("ix_service_records_reversal_pairs", table_name="service_records")
    op.create_index("ix_needs_community_id", "needs", ["community_id"])
    op.drop_index("ix_needs_community_id_status", table_name="needs")
