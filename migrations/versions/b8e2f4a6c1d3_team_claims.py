"""Volunteer teams claim routine projects: claims.team_id, and the claimant checks know teams.

Revision ID: b8e2f4a6c1d3
Revises: e6b2c8f4a0d7
Create Date: 2026-12-07 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b8e2f4a6c1d3"
down_revision = "e6b2c8f4a0d7"
branch_labels = None
depends_on = None

ONE_CLAIMANT = (
    "(claimant_type = 'unit' AND unit_id IS NOT NULL AND volunteer_id IS NULL"
    " AND team_id IS NULL)"
    " OR (claimant_type = 'volunteer' AND volunteer_id IS NOT NULL AND unit_id IS NULL"
    " AND team_id IS NULL)"
    " OR (claimant_type = 'team' AND team_id IS NOT NULL AND unit_id IS NULL"
    " AND volunteer_id IS NULL)"
)
OLD_ONE_CLAIMANT = (
    "(claimant_type = 'unit' AND unit_id IS NOT NULL AND volunteer_id IS NULL)"
    " OR (claimant_type = 'volunteer' AND volunteer_id IS NOT NULL AND unit_id IS NULL)"
)


def upgrade():
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_claims_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_claims_team_id_teams"), "teams", ["team_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_claims_one_claimant"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_claims_claimant_type"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_claims_one_claimant"), ONE_CLAIMANT)
        batch_op.create_check_constraint(
            batch_op.f("ck_claims_claimant_type"),
            "claimant_type IN ('unit', 'volunteer', 'team')",
        )


def downgrade():
    op.execute(
        "DELETE FROM claim_resources WHERE claim_id IN (SELECT id FROM claims WHERE team_id IS NOT NULL)"
    )
    op.execute(
        "UPDATE resource_orders SET claim_id = NULL WHERE claim_id IN (SELECT id FROM claims WHERE team_id IS NOT NULL)"
    )
    op.execute("DELETE FROM claims WHERE team_id IS NOT NULL")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_claims_claimant_type"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_claims_one_claimant"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_claims_claimant_type"), "claimant_type IN ('unit', 'volunteer')"
        )
        batch_op.create_check_constraint(batch_op.f("ck_claims_one_claimant"), OLD_ONE_CLAIMANT)
        batch_op.drop_constraint(batch_op.f("fk_claims_team_id_teams"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_claims_team_id"))
        batch_op.drop_column("team_id")
