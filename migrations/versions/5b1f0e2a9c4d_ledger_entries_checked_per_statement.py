"""ledger entries checked per statement

PostgreSQL only. Until now both postings and entries had a deferred row trigger that, at COMMIT,
summed each new row's posting: for a job posting a city's bonuses that is one plpgsql call and
one index probe per entry (1.8 M a month), about a fifth of the job. Entries now get a
statement-level trigger instead: at the end of each INSERT into entries it sums, in one query,
every posting the statement wrote lines for (their earlier lines included), and refuses the
statement if one does not balance. A posting's lines are therefore written by one statement
(``ledger.post`` flushes them together, ``ledger.bulk`` chunks on posting boundaries); a line
added later to a balanced posting is refused at once. Postings keep their deferred row trigger:
at COMMIT every new posting must have lines that balance (none at all is refused too).

Revision ID: 5b1f0e2a9c4d
Revises: e7c30a769c07
Create Date: 2026-11-23 09:40:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "5b1f0e2a9c4d"
down_revision = "e7c30a769c07"
branch_labels = None
depends_on = None

CHECK_ENTRIES = """
CREATE FUNCTION ledger_check_entries() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHECK_ENTRIES)
    op.execute("DROP TRIGGER entries_balanced ON entries")
    op.execute(
        "CREATE TRIGGER entries_balanced AFTER INSERT ON entries"
        " REFERENCING NEW TABLE AS new_entries"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER entries_balanced ON entries")
    op.execute("DROP FUNCTION ledger_check_entries()")
    op.execute(
        "CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON entries"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()"
    )
