"""References checked once per statement where the monthly job writes by the million

PostgreSQL only. ``monthly_badges`` writes a city's month as about 1.5 M badge awards, 0.9 M
postings and 1.8 M entries. A foreign key checks every inserted row on its own (a query and a
row lock on the referenced row, per row and per key): on a clone of the city, the job without
the four keys below took 53.7 s against 62–65 s with them. They are now checked by
statement-level triggers, once per statement and per distinct referenced row, with the same
error (``foreign_key_violation`` naming the same constraint): 54.7–59.6 s over five runs.

- ``entries.posting_id`` and ``entries.account_id``: ``ledger_check_entries``, which already
  visits each posting a statement wrote lines for to sum them, also refuses a posting or an
  account that does not exist. Neither can go away later, so no lock is needed: postings are
  append-only (UPDATE, DELETE and TRUNCATE refused), and accounts are never deleted, renumbered
  or truncated (refused now; nothing ever did).
- ``badge_awards.badge_id`` and ``badge_awards.community_id``: after each INSERT or UPDATE the
  distinct badges and communities the statement names are locked ``FOR KEY SHARE`` (as a
  foreign key locks them) and must all exist; a badge or community with awards cannot be
  deleted, nor its id changed (a row trigger on each, which waits for such a lock).

The models keep the foreign keys (the ORM joins by them and SQLite still declares them);
``coop.references`` tells Alembic's comparison that PostgreSQL checks these four by trigger.

Revision ID: f4b8d2a6c0e3
Revises: d9f2b4c6e8a1
Create Date: 2026-12-07 20:40:00

"""

from alembic import op

revision = "f4b8d2a6c0e3"
down_revision = "d9f2b4c6e8a1"
branch_labels = None
depends_on = None

CHECK_ENTRIES = """
CREATE OR REPLACE FUNCTION ledger_check_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked integer;
    lines bigint;
    total numeric;
    missing boolean;
    account integer;
BEGIN
    -- Each distinct account by its primary key (never a scan of the accounts).
    SELECT named.account_id INTO account
      FROM (SELECT DISTINCT account_id FROM new_entries) AS named
     WHERE NOT EXISTS (SELECT FROM accounts WHERE accounts.id = named.account_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entries name account %, which does not exist', account
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_entries_account_id_accounts';
    END IF;
    -- LATERAL: each touched posting's lines by index, never a scan of the whole ledger.
    SELECT touched.posting_id, sums.lines, sums.total, posting.id IS NULL
      INTO checked, lines, total, missing
      FROM (SELECT DISTINCT posting_id FROM new_entries) AS touched
      LEFT JOIN postings AS posting ON posting.id = touched.posting_id
     CROSS JOIN LATERAL (
            SELECT count(*) AS lines, sum(e.amount) AS total
              FROM entries e WHERE e.posting_id = touched.posting_id
           ) AS sums
     WHERE posting.id IS NULL OR sums.total <> 0
     LIMIT 1;
    IF FOUND AND missing THEN
        RAISE EXCEPTION 'entries name posting %, which does not exist', checked
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_entries_posting_id_postings';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'posting % does not balance: % entries sum to %', checked, lines, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_balanced';
    END IF;
    RETURN NULL;
END;
$$;
"""

CHECK_ENTRIES_BEFORE = """
CREATE OR REPLACE FUNCTION ledger_check_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked integer;
    lines bigint;
    total numeric;
BEGIN
    -- LATERAL: each touched posting's lines by index, never a scan of the whole ledger.
    SELECT touched.posting_id, sums.lines, sums.total INTO checked, lines, total
      FROM (SELECT DISTINCT posting_id FROM new_entries) AS touched
     CROSS JOIN LATERAL (
            SELECT count(*) AS lines, sum(e.amount) AS total
              FROM entries e WHERE e.posting_id = touched.posting_id
           ) AS sums
     WHERE sums.total <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'posting % does not balance: % entries sum to %', checked, lines, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_balanced';
    END IF;
    RETURN NULL;
END;
$$;
"""

ACCOUNTS_KEPT = """
CREATE FUNCTION ledger_keep_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'points accounts are never deleted or renumbered: % on accounts refused',
            TG_OP
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_accounts_kept';
END;
$$;
"""

# TG_ARGV: the column of badge_awards, the table it names, the constraint's name.
AWARD_REFERENCES = """
CREATE FUNCTION badge_awards_check_reference() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing integer;
BEGIN
    EXECUTE format(
        'WITH named AS (SELECT DISTINCT %1$I AS id FROM new_awards),'
        ' held AS (SELECT id FROM %2$I WHERE id IN (SELECT id FROM named) FOR KEY SHARE)'
        ' SELECT id FROM named WHERE id NOT IN (SELECT id FROM held) LIMIT 1',
        TG_ARGV[0], TG_ARGV[1]) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'badge_awards.% names %.id %, which does not exist',
                TG_ARGV[0], TG_ARGV[1], missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[2];
    END IF;
    RETURN NULL;
END;
$$;
"""

# TG_ARGV: the column of badge_awards that names this table's rows, the constraint's name.
AWARDED_ROW_KEPT = """
CREATE FUNCTION badge_awards_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        SELECT true INTO named FROM badge_awards LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT true FROM badge_awards WHERE %I = $1 LIMIT 1', TG_ARGV[0])
            INTO named USING OLD.id;
    ELSIF NEW.id <> OLD.id THEN
        EXECUTE format('SELECT true FROM badge_awards WHERE %I = $1 LIMIT 1', TG_ARGV[0])
            INTO named USING OLD.id;
    END IF;
    IF named THEN
        RAISE EXCEPTION '% on %: badge awards still name it', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[1];
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;
"""

AWARD_KEYS = [
    ("badge_id", "badges", "fk_badge_awards_badge_id_badges"),
    ("community_id", "communities", "fk_badge_awards_community_id_communities"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHECK_ENTRIES)
    op.drop_constraint("fk_entries_posting_id_postings", "entries", type_="foreignkey")
    op.drop_constraint("fk_entries_account_id_accounts", "entries", type_="foreignkey")
    op.execute(ACCOUNTS_KEPT)
    op.execute(
        "CREATE TRIGGER accounts_kept BEFORE DELETE OR UPDATE OF id ON accounts"
        " FOR EACH ROW EXECUTE FUNCTION ledger_keep_accounts()"
    )
    op.execute(
        "CREATE TRIGGER accounts_not_truncated BEFORE TRUNCATE ON accounts"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_accounts()"
    )
    op.execute(AWARD_REFERENCES)
    op.execute(AWARDED_ROW_KEPT)
    for column, table, constraint in AWARD_KEYS:
        op.drop_constraint(constraint, "badge_awards", type_="foreignkey")
        arguments = f"'{column}', '{table}', '{constraint}'"
        for event in ("insert", "update"):
            op.execute(
                f"CREATE TRIGGER badge_awards_{column}_{event}"
                f" AFTER {event.upper()} ON badge_awards REFERENCING NEW TABLE AS new_awards"
                f" FOR EACH STATEMENT EXECUTE FUNCTION badge_awards_check_reference({arguments})"
            )
        op.execute(
            f"CREATE TRIGGER {table}_awarded_kept BEFORE DELETE OR UPDATE OF id ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION badge_awards_keep_referenced('{column}',"
            f" '{constraint}')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_awarded_not_truncated BEFORE TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION badge_awards_keep_referenced('{column}',"
            f" '{constraint}')"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, table, constraint in AWARD_KEYS:
        op.execute(f"DROP TRIGGER {table}_awarded_not_truncated ON {table}")
        op.execute(f"DROP TRIGGER {table}_awarded_kept ON {table}")
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER badge_awards_{column}_{event} ON badge_awards")
        op.create_foreign_key(constraint, "badge_awards", table, [column], ["id"])
    op.execute("DROP FUNCTION badge_awards_keep_referenced()")
    op.execute("DROP FUNCTION badge_awards_check_reference()")
    op.execute("DROP TRIGGER accounts_not_truncated ON accounts")
    op.execute("DROP TRIGGER accounts_kept ON accounts")
    op.execute("DROP FUNCTION ledger_keep_accounts()")
    op.create_foreign_key(
        "fk_entries_account_id_accounts", "entries", "accounts", ["account_id"], ["id"]
    )
    op.create_foreign_key(
        "fk_entries_posting_id_postings", "entries", "postings", ["posting_id"], ["id"]
    )
    op.execute(CHECK_ENTRIES_BEFORE)
