"""audit log: the community each row belongs to

A community's record of changes (操作记录) reads the log by community; the listener now writes
``community_id`` on every row that has one (coop.audit). This adds the column and fills it in
for the rows already there, in SQL, table by table: from the row's own ``community_id`` (or
``home_community_id``, or a community's own id), or through its parent (a claim's project, a
sign-up's activity, a term plan's term's alliance …). Where the row itself is gone, its create
or delete snapshot names the community or the parent.

Not filled in: rows of units, people, streets, badges, sessions and tokens (they belong to no
single community; the page shows units and people through their memberships), and updates of
rows deleted since, whose snapshots hold only the changed columns.

Revision ID: 4d3f88328f97
Revises: d4e8a1c6b9f0
Create Date: 2026-12-10 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d3f88328f97"
down_revision = "d4e8a1c6b9f0"
branch_labels = None
depends_on = None

# The tables as of this revision (a migration must not change with the code): the column
# naming the community, or (column naming the parent, parent table).
OWN = {
    "communities": "id",
    "volunteer_profiles": "home_community_id",
    **{
        table: "community_id"
        for table in (
            "activities",
            "agreements",
            "alliances",
            "honours",
            "memberships",
            "monthly_themes",
            "needs",
            "neighbourhoods",
            "points_policies",
            "projects",
            "proposals",
            "redemptions",
            "resident_profiles",
            "resources",
            "reward_items",
            "role_grants",
            "service_records",
            "teams",
        )
    },
}
PARENTS = {
    "claims": ("project_id", "projects"),
    "resource_orders": ("project_id", "projects"),
    "signups": ("activity_id", "activities"),
    "feedback": ("activity_id", "activities"),
    "team_members": ("team_id", "teams"),
    "mechanisms": ("alliance_id", "alliances"),
    "alliance_offices": ("alliance_id", "alliances"),
    "terms": ("alliance_id", "alliances"),
    "term_plans": ("term_id", "terms"),
    "term_plan_items": ("plan_id", "term_plans"),
    "plan_evidence": ("item_id", "term_plan_items"),
}


# Primary keys other than id. A team member's is (team_id, user_id), written "3,7" in object_id.
KEYS = {"volunteer_profiles": "user_id", "resident_profiles": "user_id"}


def _community(table: str, row_id: str) -> str:
    """A scalar SQL expression: the community of ``table``'s row whose id is ``row_id``."""
    key = KEYS.get(table, "id")
    if table in OWN:
        return f"(SELECT {OWN[table]} FROM {table} WHERE {key} = {row_id})"
    column, parent = PARENTS[table]
    return _community(parent, f"(SELECT {column} FROM {table} WHERE {key} = {row_id})")


def _live(table: str, dialect: str) -> str:
    """The community of the row the audit row names, if it is still there."""
    if table == "team_members":  # its team is the first half of the object id
        if dialect == "postgresql":
            team = "CAST(split_part(audit_log.object_id, ',', 1) AS INTEGER)"
        else:
            team = "CAST(substr(audit_log.object_id, 1, instr(audit_log.object_id, ',') - 1) AS INTEGER)"
        return _community("teams", team)
    return _community(table, "CAST(audit_log.object_id AS INTEGER)")


def _snapshot(key: str, dialect: str) -> str:
    """The integer ``key`` of the row's after (or before) snapshot."""
    if dialect == "postgresql":
        found = f"COALESCE(audit_log.after ->> '{key}', audit_log.before ->> '{key}')"
    else:
        found = (
            f"COALESCE(json_extract(audit_log.after, '$.{key}'), "
            f"json_extract(audit_log.before, '$.{key}'))"
        )
    return f"CAST({found} AS INTEGER)"


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_community_id"), ["community_id"])

    dialect = op.get_bind().dialect.name
    for table in (*OWN, *PARENTS):
        live = _live(table, dialect)
        if table in OWN:
            gone = _snapshot(OWN[table], dialect)
        else:
            key, parent = PARENTS[table]
            gone = _community(parent, _snapshot(key, dialect))
        op.execute(
            sa.text(
                f"UPDATE audit_log SET community_id = COALESCE({live}, {gone}) "
                "WHERE object_type = :table AND community_id IS NULL"
            ).bindparams(table=table)
        )


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_community_id"))
        batch_op.drop_column("community_id")
