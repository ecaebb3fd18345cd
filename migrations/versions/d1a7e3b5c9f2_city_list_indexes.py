"""Lists at city scale: people by name, those who left, a community's grants by user; a
community's service records by status, newest first; its party-member volunteers

Revision ID: d1a7e3b5c9f2
Revises: a4d9e6b2c7f3
Create Date: 2026-12-07 07:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d1a7e3b5c9f2"
down_revision = "a4d9e6b2c7f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_display_name_id", "users", ["display_name", "id"])
    op.create_index(
        "ix_users_inactive",
        "users",
        ["id"],
        postgresql_where=sa.text("NOT is_active"),
        sqlite_where=sa.text("NOT is_active"),
    )
    op.create_index(
        "ix_role_grants_community_id_user_id", "role_grants", ["community_id", "user_id"]
    )
    # The pair above begins with community_id, so it serves what this one did.
    op.drop_index("ix_role_grants_community_id", table_name="role_grants")
    op.create_index(
        "ix_volunteer_profiles_home_community_id_is_party_member",
        "volunteer_profiles",
        ["home_community_id", "is_party_member"],
    )
    op.drop_index("ix_volunteer_profiles_home_community_id", table_name="volunteer_profiles")
    op.create_index(
        "ix_service_records_community_id_status_created_at",
        "service_records",
        ["community_id", "status", "created_at", "id"],
    )


def downgrade():
    op.create_index(
        "ix_volunteer_profiles_home_community_id", "volunteer_profiles", ["home_community_id"]
    )
    op.drop_index(
        "ix_volunteer_profiles_home_community_id_is_party_member", table_name="volunteer_profiles"
    )
    op.drop_index(
        "ix_service_records_community_id_status_created_at", table_name="service_records"
    )
    op.create_index("ix_role_grants_community_id", "role_grants", ["community_id"])
    op.drop_index("ix_role_grants_community_id_user_id", table_name="role_grants")
    op.drop_index("ix_users_inactive", table_name="users")
    op.drop_index("ix_users_display_name_id", table_name="users")
