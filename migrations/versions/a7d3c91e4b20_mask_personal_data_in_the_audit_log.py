"""mask personal data in the audit log

Audit rows written until now keep the full phones and addresses of the rows they snapshot, and
the log is kept for years. The audit listener now masks them as the pages do (coop.audit,
coop.privacy); this masks what is already there the same way, in batches by id. Masked values
are left alone, so running it on a log that is partly masked is safe.

Irreversible by design: the downgrade leaves the log masked (the full values are not kept
anywhere to restore them from).

Revision ID: a7d3c91e4b20
Revises: a4d7c3e1f9b2
Create Date: 2026-12-06 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d3c91e4b20"
down_revision = "a4d7c3e1f9b2"
branch_labels = None
depends_on = None

BATCH = 1000


# Copies of coop.privacy's masks as of this revision: a migration must not change with the code.
def _mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_address(address: str) -> str:
    text = address.strip()
    keep = min(6, len(text) // 2)
    return f"{text[:keep]}****"


# The personal columns of the audited tables at this revision (units.address is a place's).
PERSONAL = {
    "users": {"phone": _mask_phone},
    "needs": {"requester_phone": _mask_phone, "requester_address": _mask_address},
    "resident_profiles": {"address": _mask_address},
    "units": {"contact_phone": _mask_phone},
}

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("object_type", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def _masked(snapshot, masks) -> tuple[dict | None, bool]:
    if not isinstance(snapshot, dict):
        return snapshot, False
    out, changed = dict(snapshot), False
    for key, mask in masks.items():
        value = out.get(key)
        if isinstance(value, str) and value.strip() and "****" not in value and set(value) != {"*"}:
            out[key] = mask(value)
            changed = True
    return out, changed


def upgrade():
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                audit_log.c.id, audit_log.c.object_type, audit_log.c.before, audit_log.c.after
            )
            .where(audit_log.c.object_type.in_(list(PERSONAL)), audit_log.c.id > last)
            .order_by(audit_log.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            masks = PERSONAL[row.object_type]
            before, changed_before = _masked(row.before, masks)
            after, changed_after = _masked(row.after, masks)
            if changed_before or changed_after:
                updates.append({"row_id": row.id, "new_before": before, "new_after": after})
        if updates:
            bind.execute(
                audit_log.update()
                .where(audit_log.c.id == sa.bindparam("row_id"))
                .values(before=sa.bindparam("new_before"), after=sa.bindparam("new_after")),
                updates,
            )
        last = rows[-1].id


def downgrade():
    pass  # the full values are gone; nothing to restore
