"""Foreign keys that PostgreSQL checks once per statement instead of once per row.

The monthly job writes a city's month by the million (badge awards, ledger entries); a foreign
key checks each row on its own. For these four the models keep the key (the ORM joins by it
and SQLite declares it), and on PostgreSQL statement-level triggers check it with the same
error and constraint name (migration ``f4b8d2a6c0e3``). Alembic's comparison of the schema
with the models leaves them out.
"""

CHECKED_PER_STATEMENT = {
    ("entries", ("posting_id",)),
    ("entries", ("account_id",)),
    ("badge_awards", ("badge_id",)),
    ("badge_awards", ("community_id",)),
}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: every object but the foreign keys above (by table and
    columns: SQLite reflects them without their names)."""
    if type_ != "foreign_key_constraint":
        return True
    return (obj.table.name, tuple(obj.column_keys)) not in CHECKED_PER_STATEMENT
