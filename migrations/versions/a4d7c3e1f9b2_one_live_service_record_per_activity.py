"""one live service record per volunteer and activity

``service_records.reversed_at`` marks an original its reversal took back (set together with the
reversal; backfilled from the reversals already there). A partial unique index then allows one
live record (not a reversal, not rejected, not reversed) per volunteer and activity, so a second
补录, or a 补录 beside a check-out, is refused, and a corrected 补录 may follow a reversal.

Duplicates already stored are settled before the index is built: for each volunteer and
activity the verified record (else the oldest) stays, and the other *pending* ones are rejected
with a reason naming the record kept. Two or more *verified* duplicates posted points twice and
are corrected only by a reversal, which posts to the ledger: the upgrade then stops, naming them,
so that staff reverse all but one (时长核实 → 冲正) and run it again.

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


def _settle_duplicates(connection) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT id, volunteer_id, activity_id, status FROM service_records"
            f" WHERE activity_id IS NOT NULL AND {LIVE}"
            " AND (volunteer_id, activity_id) IN ("
            "  SELECT volunteer_id, activity_id FROM service_records"
            f"  WHERE activity_id IS NOT NULL AND {LIVE}"
            "  GROUP BY volunteer_id, activity_id HAVING count(*) > 1)"
            " ORDER BY volunteer_id, activity_id, status <> 'verified', id"
        )
    ).all()
    groups: dict[tuple[int, int], list] = {}
    for row in rows:
        groups.setdefault((row.volunteer_id, row.activity_id), []).append(row)
    twice_verified = []
    now = datetime.now(timezone.utc)
    for kept, *others in groups.values():
        verified = [r.id for r in (kept, *others) if r.status == "verified"]
        if len(verified) > 1:
            twice_verified.append(verified)
            continue
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
    if twice_verified:
        raise RuntimeError(
            "service records verified more than once for the same volunteer and activity "
            f"(record ids per volunteer and activity: {twice_verified}): reverse all but one of "
            "each (时长核实 → 冲正), then run the upgrade again"
        )


def upgrade():
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reversed_at", coop.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE service_records SET reversed_at = ("
            " SELECT r.created_at FROM service_records r"
            " WHERE r.reverses_id = service_records.id)"
            " WHERE id IN (SELECT reverses_id FROM service_records WHERE reverses_id IS NOT NULL)"
        )
    )
    _settle_duplicates(connection)
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_service_records_only_verified_originals_reversed"),
            "reversed_at IS NULL OR (origin <> 'reversal' AND status = 'verified')",
        )
        batch_op.create_index(
            "uq_service_records_live_per_activity",
            ["volunteer_id", "activity_id"],
            unique=True,
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )


def downgrade():
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_service_records_live_per_activity",
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )
        batch_op.drop_constraint(
            op.f("ck_service_records_only_verified_originals_reversed"), type_="check"
        )
        batch_op.drop_column("reversed_at")
