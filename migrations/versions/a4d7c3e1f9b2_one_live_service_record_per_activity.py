"""one live service record per volunteer and activity

``service_records.reversed_at`` marks an original its reversal took back (set together with the
reversal; backfilled from the reversals already there). A partial unique index then allows one
live record (not a reversal, not rejected, not reversed) per volunteer and activity, so a second
补录, or a 补录 beside a check-out, is refused, and a corrected 补录 may follow a reversal.

Duplicates already stored are settled before the index is built: for each volunteer and
activity the verified record (else the oldest) stays, and the other *pending* ones are rejected
with a reason naming the record kept. Two or more *verified* duplicates posted points twice and
are corrected only by a reversal, which posts to the ledger: the upgrade then stops, naming them,
so that staff reverse all but one (时长核实 → 冲正) and run it again. That check runs before any
change, as SQLite cannot roll DDL back. On SQLite the CHECK on ``reversed_at`` is left out (adding
one rebuilds the table, which the foreign keys its rows hold refuse); the service keeps the rule.

Revision ID: a4d7c3e1f9b2
Revises: 5b1f0e2a9c4d
Create Date: 2026-11-24 10:00:00.000000

"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import coop.dbtypes

# revision identifiers, used by Alembic.
revision = "a4d7c3e1f9b2"
down_revision = "5b1f0e2a9c4d"
branch_labels = None
depends_on = None

LIVE = "origin <> 'reversal' AND status <> 'rejected' AND reversed_at IS NULL"


# Live before the column exists: the original of a reversal is the row a reversal points at.
LIVE_BEFORE = (
    "origin <> 'reversal' AND status <> 'rejected'"
    " AND NOT EXISTS (SELECT 1 FROM service_records r WHERE r.reverses_id = s.id)"
)


def _settle_duplicates(connection) -> None:
    """Before any change (SQLite cannot roll DDL back): stop on records verified twice, else
    reject the pending extras."""
    rows = connection.execute(
        sa.text(
            "SELECT s.id, s.volunteer_id, s.activity_id, s.status FROM service_records s"
            f" WHERE s.activity_id IS NOT NULL AND {LIVE_BEFORE}"
            " ORDER BY s.volunteer_id, s.activity_id, s.status <> 'verified', s.id"
        )
    ).all()
    groups: dict[tuple[int, int], list] = {}
    for row in rows:
        groups.setdefault((row.volunteer_id, row.activity_id), []).append(row)
    duplicates = [group for group in groups.values() if len(group) > 1]
    twice_verified = [
        [r.id for r in group if r.status == "verified"]
        for group in duplicates
        if sum(r.status == "verified" for r in group) > 1
    ]
    if twice_verified:
        raise RuntimeError(
            "service records verified more than once for the same volunteer and activity "
            f"(record ids per volunteer and activity: {twice_verified}): reverse all but one of "
            "each (时长核实 → 冲正), then run the upgrade again"
        )
    now = datetime.now(timezone.utc)
    for kept, *others in duplicates:
        for other in others:
            connection.execute(
                sa.text(
                    "UPDATE service_records SET status = 'rejected', verified_at = :now,"
                    " reject_reason = :reason WHERE id = :id"
                ),
                {
                    "id": other.id,
                    "now": now,
                    "reason": f"重复记录：同一志愿者同一活动已有记录 #{kept.id}，系统自动驳回。",
                },
            )


def upgrade():
    connection = op.get_bind()
    _settle_duplicates(connection)
    # Plain ALTERs, not batch mode: rebuilding the table on SQLite would fail on the foreign keys
    # its rows hold (reversals point at their originals).
    op.add_column(
        "service_records",
        sa.Column("reversed_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True),
    )
    connection.execute(
        sa.text(
            "UPDATE service_records SET reversed_at = ("
            " SELECT r.created_at FROM service_records r"
            " WHERE r.reverses_id = service_records.id)"
            " WHERE id IN (SELECT reverses_id FROM service_records WHERE reverses_id IS NOT NULL)"
        )
    )
    if connection.dialect.name != "sqlite":  # SQLite adds a CHECK only by rebuilding the table
        op.create_check_constraint(
            op.f("ck_service_records_only_verified_originals_reversed"),
            "service_records",
            "reversed_at IS NULL OR (origin <> 'reversal' AND status = 'verified')",
        )
    op.create_index(
        "uq_service_records_live_per_activity",
        "service_records",
        ["volunteer_id", "activity_id"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade():
    op.drop_index("uq_service_records_live_per_activity", table_name="service_records")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE service_records DROP COLUMN reversed_at")  # SQLite 3.35+
    else:
        op.drop_constraint(
            op.f("ck_service_records_only_verified_originals_reversed"),
            "service_records",
            type_="check",
        )
        op.drop_column("service_records", "reversed_at")
