"""Honours nominated by the community and approved by the street; 先锋指数 weights; teams gain
their unit, skills and members' dates (leaving keeps the row).

The old honours rows (approved or not, one title) become 同心共建先锋 nominations: approved rows
stay approved (the street's decision predates the record, so its decider is unknown), the rest
wait for the street. A second row for the same unit and year is kept as revoked.

Revision ID: f3a7b9c1d2e4
Revises: f3a7d2b9c5e1
Create Date: 2026-12-07 07:00:00

"""

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

revision = "f3a7b9c1d2e4"
down_revision = "f3a7d2b9c5e1"
branch_labels = None
depends_on = None

KINDS = ("pioneer", "team")
STATUSES = ("nominated", "returned", "approved", "revoked")


def _create_honours(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("nominated_by_id", sa.Integer(), nullable=True),
        sa.Column("nominated_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'pioneer' AND unit_id IS NOT NULL AND team_id IS NULL)"
            " OR (kind = 'team' AND team_id IS NOT NULL AND unit_id IS NULL)",
            name=op.f("ck_honours_one_holder_of_its_kind"),
        ),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_honours_year_sensible")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_honours_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_honours_unit_id_units")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_honours_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["nominated_by_id"], ["users.id"], name=op.f("fk_honours_nominated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_honours_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_honours_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honours")),
    )


def upgrade():
    # The old rows are few (a community's honours): read them, rebuild the table, write them back.
    connection = op.get_bind()
    old = sa.table(
        "honours",
        sa.column("id", sa.Integer),
        sa.column("unit_id", sa.Integer),
        sa.column("community_id", sa.Integer),
        sa.column("year", sa.Integer),
        sa.column("approved", sa.Boolean),
    )
    rows = connection.execute(sa.select(old).order_by(old.c.approved.desc(), old.c.id)).all()
    with op.batch_alter_table("honours", schema=None) as batch_op:
        batch_op.drop_index("ix_honours_community_id")
        batch_op.drop_index("ix_honours_unit_id")
    op.drop_table("honours")
    _create_honours("honours")
    new = sa.table(
        "honours",
        *(
            sa.column(c)
            for c in (
                "id kind community_id unit_id year status citation return_reason revoke_reason"
            ).split()
        ),
        sa.column("record", sa.JSON),
    )
    seen: set[tuple[int, int]] = set()
    for row in rows:
        key = (row.unit_id, row.year)
        status = "approved" if row.approved else "nominated"
        revoke_reason = ""
        if key in seen:
            status, revoke_reason = "revoked", "同一单位同一年度的重复荣誉（迁移时保留为已撤销）"
        seen.add(key)
        connection.execute(
            new.insert().values(
                id=row.id,
                kind="pioneer",
                community_id=row.community_id,
                unit_id=row.unit_id,
                year=row.year,
                status=status,
                citation="",
                record={},
                return_reason="",
                revoke_reason=revoke_reason,
            )
        )
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('honours', 'id'),"
                " COALESCE((SELECT MAX(id) FROM honours), 0) + 1, false)"
            )
        )
    with op.batch_alter_table("honours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_honours_community_id"), ["community_id"])
        batch_op.create_index(batch_op.f("ix_honours_unit_id"), ["unit_id"])
        batch_op.create_index(batch_op.f("ix_honours_team_id"), ["team_id"])
        batch_op.create_index(
            "uq_honours_unit_year",
            ["kind", "unit_id", "year"],
            unique=True,
            postgresql_where=sa.text("unit_id IS NOT NULL AND status <> 'revoked'"),
            sqlite_where=sa.text("unit_id IS NOT NULL AND status <> 'revoked'"),
        )
        batch_op.create_index(
            "uq_honours_team_year",
            ["kind", "team_id", "year"],
            unique=True,
            postgresql_where=sa.text("team_id IS NOT NULL AND status <> 'revoked'"),
            sqlite_where=sa.text("team_id IS NOT NULL AND status <> 'revoked'"),
        )

    op.create_table(
        "pioneer_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("resources", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "claims >= 0 AND hours >= 0 AND activities >= 0 AND ratings >= 0 AND resources >= 0",
            name=op.f("ck_pioneer_weights_weights_not_negative"),
        ),
        sa.CheckConstraint(
            "claims + hours + activities + ratings + resources = 100",
            name=op.f("ck_pioneer_weights_weights_sum_100"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_pioneer_weights_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_pioneer_weights_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pioneer_weights")),
        sa.UniqueConstraint("community_id", name=op.f("uq_pioneer_weights_community_id")),
    )

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("skills", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(batch_op.f("fk_teams_unit_id_units"), "units", ["unit_id"], ["id"])
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "joined_on", sa.Date(), nullable=False, server_default=sa.text("CURRENT_DATE")
            )
        )
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    # Members from before the dates were kept count from the start: all their hours stay the team's.
    op.execute("UPDATE team_members SET joined_on = '2000-01-01'")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "ck_team_members_left_after_joining", "left_on IS NULL OR left_on >= joined_on"
        )


def downgrade():
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_constraint("ck_team_members_left_after_joining", type_="check")
        batch_op.drop_column("left_on")
        batch_op.drop_column("joined_on")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_teams_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("skills")
        batch_op.drop_column("unit_id")
    op.drop_table("pioneer_weights")
    op.drop_table("honours")
    op.create_table(
        "honours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_honours_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_honours_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honours")),
        sa.UniqueConstraint(
            "unit_id",
            "community_id",
            "title",
            "year",
            name=op.f("uq_honours_unit_id_community_id_title_year"),
        ),
    )
    with op.batch_alter_table("honours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_honours_community_id"), ["community_id"])
        batch_op.create_index(batch_op.f("ix_honours_unit_id"), ["unit_id"])
