"""points_monthly kept by a trigger on entries, backfilled; the dashboard's needs index covering

- ``points_monthly``: points issued from each community's pool (hours, honours, net of
  reversals) and spent at its supermarket (pickups), per month in community time
  (``coop.ledger.summary``). A trigger on ``entries`` adds each INSERT's lines: on PostgreSQL once
  per statement from its transition table, on SQLite once per row. Backfilled from the entries.
- ``ix_needs_community_id_created_at`` carries, on PostgreSQL, the columns the dashboard's needs
  per month and 三率 read, so they are index-only scans (a city community's 4,000 needs were
  4,000 heap pages).
- ``ix_role_grants_supermarket_staff``: a community's supermarket staff without reading its
  20,000 grants.

Revision ID: c5e1a7d3f9b2
Revises: b8e2f4a6c1d3
Create Date: 2026-12-07 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c5e1a7d3f9b2"
down_revision = "b8e2f4a6c1d3"
branch_labels = None
depends_on = None

# What coop.ledger.summary counts, over entries e, accounts a and postings p.
COUNTED = (
    "a.owner_id IS NULL AND ((a.type = 'pool' AND p.kind IN ('hours', 'reversal', 'badge'))"
    " OR (a.type = 'supermarket' AND p.kind IN ('pickup')))"
)
ISSUED = "CASE WHEN a.type = 'pool' THEN -{amount} ELSE 0 END"
SPENT = "CASE WHEN a.type = 'supermarket' THEN {amount} ELSE 0 END"
PG_MONTH = "CAST(date_trunc('month', {at} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
SQLITE_MONTH = "date({at}, '+8 hours', 'start of month')"
ADD = (
    "INSERT INTO points_monthly (community_id, month, issued, spent)"
    " SELECT a.community_id, {month}, SUM({issued}), SUM({spent})"
    " FROM {entries} JOIN accounts a ON a.id = e.account_id JOIN postings p ON p.id = e.posting_id"
    " WHERE {counted} GROUP BY a.community_id, {month}"
    " ON CONFLICT (community_id, month) DO UPDATE SET"
    " issued = points_monthly.issued + excluded.issued,"
    " spent = points_monthly.spent + excluded.spent"
)


def _add(dialect: str, entries: str, at: str, amount: str) -> str:
    month = (PG_MONTH if dialect == "postgresql" else SQLITE_MONTH).format(at=at)
    return ADD.format(
        month=month,
        issued=ISSUED.format(amount=amount),
        spent=SPENT.format(amount=amount),
        entries=entries,
        counted=COUNTED,
    )


NEEDS_COVERED = ["category", "respond_by", "listed_at", "rejected_at", "resolve_by", "resolved_at"]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        "points_monthly",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_points_monthly_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "month", name=op.f("pk_points_monthly")),
    )
    # The backfill first, then the trigger: a posting made between them is not counted twice
    # (the migration runs in one transaction on PostgreSQL; SQLite locks the database).
    op.execute(_add(dialect, "entries e", "e.created_at", "e.amount"))
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION points_monthly_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            + _add(dialect, "new_entries e", "e.created_at", "e.amount")
            + "; RETURN NULL; END; $$"
        )
        op.execute(
            "CREATE TRIGGER entries_points_monthly AFTER INSERT ON entries"
            " REFERENCING NEW TABLE AS new_entries"
            " FOR EACH STATEMENT EXECUTE FUNCTION points_monthly_add()"
        )
        op.drop_index("ix_needs_community_id_created_at", table_name="needs")
        op.create_index(
            "ix_needs_community_id_created_at",
            "needs",
            ["community_id", "created_at"],
            postgresql_include=NEEDS_COVERED,
        )
    else:
        # The row's own line as a one-row table "e"; "WHERE" ends the SELECT before ON CONFLICT.
        op.execute(
            "CREATE TRIGGER entries_points_monthly AFTER INSERT ON entries BEGIN "
            + _add(
                dialect,
                "(SELECT NEW.account_id AS account_id, NEW.posting_id AS posting_id) e",
                "NEW.created_at",
                "NEW.amount",
            )
            + "; END"
        )
    op.create_index(
        "ix_role_grants_supermarket_staff",
        "role_grants",
        ["community_id"],
        postgresql_where=sa.text("role = 'supermarket_staff'"),
        sqlite_where=sa.text("role = 'supermarket_staff'"),
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_role_grants_supermarket_staff", table_name="role_grants")
    if dialect == "postgresql":
        op.drop_index("ix_needs_community_id_created_at", table_name="needs")
        op.create_index("ix_needs_community_id_created_at", "needs", ["community_id", "created_at"])
        op.execute("DROP TRIGGER entries_points_monthly ON entries")
        op.execute("DROP FUNCTION points_monthly_add()")
    else:
        op.execute("DROP TRIGGER entries_points_monthly")
    op.drop_table("points_monthly")
