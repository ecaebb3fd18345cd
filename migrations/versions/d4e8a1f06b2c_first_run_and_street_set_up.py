"""first run and the street's set-up: the installation row, households and grid posts, titles

``installation`` holds at most one row (its id can only be 1): the set-up page inserts it in the
transaction that creates the street, so of two set-ups exactly one commits. A database that
already has a street (the demo, or one set up before this revision) counts as set up.
``neighbourhoods.households`` and ``grid_posts`` record each grid's 户数, 网格长 and 网格员;
``role_grants.title`` tells 社区书记 from 社区工作者 on a secretary grant (NULL reads 社区书记).

Revision ID: d4e8a1f06b2c
Revises: c7a1d5e8f3b2
Create Date: 2026-12-07 00:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "d4e8a1f06b2c"
down_revision = "c7a1d5e8f3b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_up_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_up_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.ForeignKeyConstraint(
            ["set_up_by_id"], ["users.id"], name=op.f("fk_installation_set_up_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.execute(
        "INSERT INTO installation (id, set_up_at) SELECT 1, CURRENT_TIMESTAMP"
        " WHERE EXISTS (SELECT 1 FROM streets)"
    )
    op.create_table(
        "grid_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "post",
            sa.Enum(
                "leader",
                "member",
                name="post",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_grid_posts_neighbourhood_id_neighbourhoods"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_grid_posts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_posts")),
        sa.UniqueConstraint(
            "neighbourhood_id", "user_id", name=op.f("uq_grid_posts_neighbourhood_id_user_id")
        ),
    )
    with op.batch_alter_table("grid_posts") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grid_posts_neighbourhood_id"), ["neighbourhood_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grid_posts_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_grid_posts_leader",
            ["neighbourhood_id"],
            unique=True,
            postgresql_where=sa.text("post = 'leader'"),
            sqlite_where=sa.text("post = 'leader'"),
        )

    with op.batch_alter_table("neighbourhoods") as batch_op:
        batch_op.add_column(
            sa.Column("households", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint("households_not_negative", "households >= 0")

    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint("title", "title IN ('secretary', 'staff')")
        batch_op.create_check_constraint(
            "title_only_for_staff", "title IS NULL OR role = 'secretary'"
        )


def downgrade():
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_constraint("title_only_for_staff", type_="check")
        batch_op.drop_constraint("title", type_="check")
        batch_op.drop_column("title")

    with op.batch_alter_table("neighbourhoods") as batch_op:
        batch_op.drop_constraint("households_not_negative", type_="check")
        batch_op.drop_column("households")

    with op.batch_alter_table("grid_posts") as batch_op:
        batch_op.drop_index(
            "uq_grid_posts_leader",
            postgresql_where=sa.text("post = 'leader'"),
            sqlite_where=sa.text("post = 'leader'"),
        )
        batch_op.drop_index(batch_op.f("ix_grid_posts_user_id"))
        batch_op.drop_index(batch_op.f("ix_grid_posts_neighbourhood_id"))

    op.drop_table("grid_posts")
    op.drop_table("installation")
