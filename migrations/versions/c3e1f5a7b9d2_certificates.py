"""志愿服务记录证明: the certificates log (number, QR code, totals, snapshot hash, revocation)

Revision ID: c3e1f5a7b9d2
Revises: 11bdd77eeb9f
Create Date: 2026-12-07 05:30:00

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "c3e1f5a7b9d2"
down_revision = "11bdd77eeb9f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hours_total", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("hours_entered", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("records_count", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "records_count > 0 AND hours_total > 0",
            name=op.f("ck_certificates_has_verified_hours"),
        ),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoke_reason = '')",
            name=op.f("ck_certificates_revoked_with_reason"),
        ),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], name=op.f("fk_certificates_community_id_communities")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_certificates_issued_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_certificates_revoked_by_id_users")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_certificates_volunteer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_volunteer_id"), ["volunteer_id"], unique=False)


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_community_id"))
    op.drop_table("certificates")
