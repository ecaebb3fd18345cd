"""The migration that adds audit_log.community_id fills it in for the rows written before."""

import pytest
import sqlalchemy as sa

from coop.extensions import db
from tests.conftest import _database_url, make_app

BEFORE = "8c3d2f1a7b6e"


@pytest.mark.committed
def test_the_migration_fills_in_the_community_of_the_rows_already_written(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = make_app(_database_url("auditmigration", tmp_path))
    with app.app_context():
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:

            def insert(sql, **values):
                return connection.execute(sa.text(sql), values)

            insert("INSERT INTO streets (id, name) VALUES (1, '街道')")
            for community_id in (1, 2):
                insert(
                    "INSERT INTO communities (id, street_id, name, description, address,"
                    " max_open_claims, pickup_days)"
                    " VALUES (:id, 1, :name, '', '', 3, 7)",
                    id=community_id,
                    name=f"社区{community_id}",
                )
            insert(
                "INSERT INTO projects (id, community_id, title, description, category, mode,"
                " slots, volunteer_capacity, schedule, starts_at, ends_at, claim_deadline,"
                " status, auto_approve, approved_count, cancel_reason, created_at)"
                " VALUES (5, 2, '助老送餐', '', '关心关爱', 'team', 1, 0, '', :t, :later, :t,"
                " 'published', false, 0, '', :t)",
                t="2026-01-01 00:00:00+00:00",
                later="2026-02-01 00:00:00+00:00",
            )
            insert(
                "INSERT INTO teams (id, community_id, name, description) VALUES (3, 2, '先锋队', '')"
            )
            rows = [
                # (object_type, object_id, action, before, after, expected community)
                ("communities", "1", "update", '{"name": "甲"}', '{"name": "社区1"}', 1),
                ("projects", "5", "update", '{"title": "甲"}', '{"title": "乙"}', 2),
                ("claims", "9", "delete", '{"project_id": 5, "status": "pending"}', "null", 2),
                ("needs", "77", "delete", '{"community_id": 1, "title": "旧"}', "null", 1),
                ("team_members", "3,8", "update", '{"is_leader": false}', '{"is_leader": true}', 2),
                ("units", "4", "update", '{"name": "甲"}', '{"name": "乙"}', None),
                ("needs", "78", "update", '{"title": "甲"}', '{"title": "乙"}', None),
            ]
            # SQLite stores JSON as text (its CAST to an unknown type would make it a number)
            json = "CAST({} AS JSON)" if connection.dialect.name == "postgresql" else "{}"
            for object_type, object_id, action, before, after, _expected in rows:
                insert(
                    "INSERT INTO audit_log (at, action, object_type, object_id, before, after)"
                    f" VALUES (CURRENT_TIMESTAMP, :action, :type, :id, {json.format(':before')},"
                    f" {json.format(':after')})",
                    action=action,
                    type=object_type,
                    id=object_id,
                    before=before,
                    after=after,
                )
        upgrade()
        with db.engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT community_id FROM audit_log ORDER BY id")
            ).scalars()
            assert list(found) == [row[-1] for row in rows]
        db.engine.dispose()
