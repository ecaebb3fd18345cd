"""One 社区书记 a community, 社区副书记 a post: every secretary grant titled, a unique index

A community has one 社区书记 and any number of 社区副书记 and 社区工作者 (all three are the
``secretary`` grant, with the same powers; its ``title`` tells them apart). Nothing stopped a
street admin from appointing a second 书记, since there was no other title for a deputy, and
grants made before titles existed read as 书记 too. ``title`` may now be ``deputy``. Each
community keeps its earliest 书记 (an explicit title first, then the earliest untitled grant);
another appointed 书记 becomes 副书记, an untitled grant 社区工作者 — nobody loses access. The
partial unique index then refuses a second 书记; ``coop.setup.staff.appoint_staff`` says so
first, naming her.

The downgrade drops the index, makes 副书记 社区工作者 again and narrows the titles back.

Revision ID: a1c3e5f7b9d2
Revises: f4b8d2a6c0e3
Create Date: 2026-12-08 01:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f7b9d2"
down_revision = "f4b8d2a6c0e3"
branch_labels = None
depends_on = None

# The grant each community keeps as its 书记: an explicit title before an untitled one, then
# the earliest.
KEPT = """
SELECT (SELECT ranked.id FROM role_grants AS ranked
         WHERE ranked.role = 'secretary' AND ranked.community_id = communities.community_id
           AND (ranked.title IS NULL OR ranked.title = 'secretary')
         ORDER BY ranked.title IS NULL, ranked.id LIMIT 1)
  FROM (SELECT DISTINCT community_id FROM role_grants WHERE role = 'secretary') AS communities
"""


def upgrade():
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_role_grants_title"), type_="check")
        batch_op.create_check_constraint("title", "title IN ('secretary', 'deputy', 'staff')")
    op.execute(
        "UPDATE role_grants SET title = CASE"
        " WHEN id IN (" + KEPT + ") THEN 'secretary'"
        " WHEN title = 'secretary' THEN 'deputy'"
        " ELSE 'staff' END"
        " WHERE role = 'secretary' AND (title IS NULL OR title = 'secretary')"
    )
    op.create_index(
        "uq_role_grants_community_secretary",
        "role_grants",
        ["community_id"],
        unique=True,
        postgresql_where=sa.text("role = 'secretary' AND title = 'secretary'"),
        sqlite_where=sa.text("role = 'secretary' AND title = 'secretary'"),
    )


def downgrade():
    op.drop_index("uq_role_grants_community_secretary", table_name="role_grants")
    op.execute("UPDATE role_grants SET title = 'staff' WHERE title = 'deputy'")
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_role_grants_title"), type_="check")
        batch_op.create_check_constraint("title", "title IN ('secretary', 'staff')")
