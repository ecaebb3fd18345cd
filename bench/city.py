"""A city-size data set made with set-based SQL, then the clock's two heaviest jobs against it:
``monthly_badges`` for one month (target < 60 s and < 1 GiB) and ``match`` over all communities
(target < 30 s).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/city.py [--scale 1.0] [--reuse] [--only badges,match]
        [--period 2026-10] [--timeout 900] [--profile badges] [--again] [--drop]

DATABASE_URL only names the server. ``coop_bench_city`` is dropped, recreated and migrated with
the app's migrations (``flask db upgrade``), then filled with one street, 50 communities (each
with its alliance, 8 neighbourhoods, 12 monthly themes and a secretary), 40 units per community
with memberships, live agreements and served neighbourhoods, and, at ``--scale 1``, 1 M
volunteers (users, VOLUNTEER grants, profiles with skills, a tenth working for a unit, an open
points account each), 200 k needs, 20 k resources with availability windows, 3,000 published
projects with free slots and 2,000 more in progress or completed, their approved and fulfilled
unit claims, 200 activities per community in the month (one in ten themed), and the month's
5 M verified check-in service records plus a handful of reversals. Every row is made by
``INSERT … SELECT … generate_series`` on the server; the big tables' secondary indexes and
foreign keys are dropped for the load and recreated from their saved definitions afterwards
(the script checks the schema's indexes and constraints are the same set as before), then
``VACUUM ANALYZE``. ``--reuse`` keeps an existing ``coop_bench_city`` built at the same scale and
month with the same migrations (its head revision is in the build's mark).

The jobs never run on ``coop_bench_city`` itself: each run of the script clones it
(``CREATE DATABASE coop_bench_city_run_badges_match TEMPLATE coop_bench_city``, named after
``--only`` so that a badges run and a match run can go side by side) so every figure is a first
run on the same data. Each job runs in a fresh subprocess (``--child``), the way the clock runs
it: ``jobs.JOBS[name].run(period, force=True)`` under an app context. The child reports its wall
time, its peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``, so it includes the ~120 MB that Python
and the app take before the job starts, also shown), the SQL statements it sent and the time the
server took for them (timed on the client around each cursor execute), its heaviest statements,
and the temporary files the server wrote. ``--profile NAME`` runs that job under cProfile.
``--again`` runs each job a second time on the same clone: ``monthly_badges`` re-evaluating a
month already awarded, ``match`` replacing the open suggestions of the first run (the nightly
steady state).
"""

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from _harness import ROOT, make_app, migrated_app, server_url
from city_texts import NEEDS, RESOURCES  # realistic texts, so content matching means something

from coop.categories import Category
from coop.demo import SKILLS  # the volunteers' skills are the demo's words

# BENCH_CITY_DB names another build on a shared server (two engineers building side by side).
BENCH_DB = os.environ.get("BENCH_CITY_DB", "coop_bench_city")
RUN_DB = BENCH_DB + "_run_{}"  # per set of jobs (--only), so two runs do not collide
MARK = "coop bench city"  # the database's comment: {"mark": MARK, "scale": …, …} once built

COMMUNITIES, NEIGHBOURHOODS, UNITS = 50, 8, 40  # units per community
CATEGORIES = [category.value for category in Category]
# The tables loaded in bulk: their secondary indexes and foreign keys wait for the load.
BULK_TABLES = (
    "users",
    "role_grants",
    "volunteer_profiles",
    "accounts",
    "needs",
    "resources",
    "service_records",
)
CHUNK = 500_000  # service records an INSERT
OPERATIONS = {"badges": "monthly_badges", "match": "match"}


def sizes(scale: float) -> dict:
    per = max(1, round(60 * scale))  # published projects per community
    return {
        "volunteers": max(COMMUNITIES * 20, round(1_000_000 * scale)),
        "needs": max(COMMUNITIES * 4, round(200_000 * scale)),
        "resources": max(COMMUNITIES * 2, round(20_000 * scale)),
        "published": COMMUNITIES * per,
        "running": COMMUNITIES * max(1, round(20 * scale)),  # in progress: open (approved) claims
        "completed": COMMUNITIES * max(1, round(20 * scale)),  # fulfilled claims in the month
        "activities": max(31, round(200 * scale)),  # per community, in the month
        "records": max(1000, round(5_000_000 * scale)),
        "reversals": 20,
    }


def previous_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


def month_bounds(period: str) -> tuple[date, int]:
    year, month = (int(p) for p in period.split("-"))
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return first, (after - first).days


# ---------------------------------------------------------------------------------------------
# Building


def _span(connection, table: str, where: str) -> int:
    """The first id of rows just inserted by one statement, checked to be contiguous."""
    low, high, count = connection.execute(
        sa.text(f"SELECT min(id), max(id), count(*) FROM {table} WHERE {where}")
    ).one()
    if count == 0 or high - low + 1 != count:
        raise RuntimeError(f"{table}: ids {low}..{high} for {count} rows are not contiguous")
    return low


def _schema(connection) -> set[tuple[str, str]]:
    """Every index and constraint of the public schema, by (table, name)."""
    rows = connection.execute(
        sa.text(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'"
            " UNION SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace"
        )
    )
    return {tuple(row) for row in rows}


def _defer(connection) -> list[str]:
    """Drop the bulk tables' foreign keys, unique constraints and secondary indexes; return the
    statements that put them back (indexes first, then constraints, which use them)."""
    tables = list(BULK_TABLES)
    constraints = connection.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
            " FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t)"
            " AND contype IN ('f', 'u') ORDER BY contype DESC, conname"
        ),
        {"t": tables},
    ).all()
    indexes = connection.execute(
        sa.text(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = 'public' AND i.tablename = ANY(:t)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            "  WHERE c.conname = i.indexname AND c.conrelid::regclass::text = i.tablename)"
            " ORDER BY i.indexname"
        ),
        {"t": tables},
    ).all()
    restore = [definition for _table, _name, definition in indexes]
    # unique constraints ('u') before foreign keys ('f')
    for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] != "u"):
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for table, name, _definition, _kind in constraints:  # foreign keys first ('f' > 'u')
        connection.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for _table, name, _definition in indexes:
        connection.execute(sa.text(f'DROP INDEX "{name}"'))
    connection.commit()
    return restore


class Builder:
    def __init__(self, url: sa.URL, scale: float, period: str, jobs: int):
        self.url, self.scale, self.period, self.jobs = url, scale, period, jobs
        self.n = sizes(scale)
        self.today = datetime.now().date()
        self.month_start, self.days = month_bounds(period)
        self.steps: list[tuple[str, float]] = []
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def connect(self):
        connection = self.engine.connect()
        for setting in (
            "SET work_mem = '256MB'",
            "SET maintenance_work_mem = '512MB'",
            "SET synchronous_commit = off",
            "SET TIME ZONE 'UTC'",
        ):
            connection.execute(sa.text(setting))
        return connection

    @contextlib.contextmanager
    def step(self, label: str):
        began = time.monotonic()
        print(f"  {label} …", end="", flush=True)
        yield
        took = time.monotonic() - began
        self.steps.append((label, took))
        print(f" {took:.1f} s", flush=True)

    def run(self, connection, statement: str, **params) -> None:
        connection.execute(sa.text(statement), {**self.params, **params})

    def build(self) -> None:
        n = self.n
        self.params = {
            "now": datetime.now().astimezone(),
            "today": self.today,
            "m0": self.month_start,
            "days": self.days,
            "period": self.period,
            "C": COMMUNITIES,
            "NB": NEIGHBOURHOODS,
            "U": UNITS,
            "A": n["activities"],
            "skills": SKILLS + SKILLS,  # slices of up to 3 from any start stay in range
            "cats": CATEGORIES,
            "need_titles": [t for t, _d in NEEDS],
            "need_texts": [d for _t, d in NEEDS],
            "resource_titles": [t for t, _d in RESOURCES],
            "resource_texts": [d for _t, d in RESOURCES],
        }
        with self.connect() as connection:
            before = _schema(connection)
            with self.step("deferring the big tables' indexes and foreign keys"):
                restore = _defer(connection)
            connection.execute(sa.text("SELECT setseed(0.42)"))
            with self.step("street, communities, alliances, neighbourhoods, themes, units"):
                self.tenancy(connection)
                connection.commit()
            with self.step(f"{n['volunteers']:,} volunteers: users, grants, profiles, accounts"):
                self.people(connection)
                connection.commit()
            with self.step(
                f"{n['published'] + n['running'] + n['completed']:,} projects, their claims,"
                f" {n['needs']:,} needs, {n['resources']:,} resources"
            ):
                self.lists(connection)
                connection.commit()
            with self.step(f"{COMMUNITIES * n['activities']:,} activities in {self.period}"):
                self.activities(connection)
                connection.commit()
        with self.step(f"{n['records']:,} verified service records ({self.jobs} connections)"):
            self.records()
        with self.connect() as connection:
            with self.step("one record per volunteer and activity (the live-record index)"):
                self.dedupe(connection)
                connection.commit()
            with self.step(f"{n['reversals']} reversals"):
                self.reversals(connection)
                connection.commit()
            with self.step("verified hours per community and month (hours_monthly)"):
                # The app keeps it on each flush; records loaded in bulk bypass the ORM, so it
                # is summed here as the migration's backfill sums it (coop.hours.summary).
                self.run(connection, "DELETE FROM hours_monthly")
                self.run(
                    connection,
                    "INSERT INTO hours_monthly (community_id, month, hours, records)"
                    " SELECT community_id, CAST(date_trunc('month', service_date) AS DATE),"
                    " SUM(hours), COUNT(*) FROM service_records WHERE status = 'verified'"
                    " AND origin <> 'reversal' AND reversed_at IS NULL"
                    " GROUP BY 1, 2",
                )
                connection.commit()
            with self.step(f"recreating {len(restore)} indexes and constraints"):
                for statement in restore:
                    connection.execute(sa.text(statement))
                connection.commit()
            after = _schema(connection)
            if before != after:
                raise RuntimeError(f"schema changed: {sorted(before ^ after)}")
        with self.step("VACUUM ANALYZE"), self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            connection.execute(sa.text("VACUUM ANALYZE"))

    def tenancy(self, c) -> None:
        self.run(c, "INSERT INTO streets (name) VALUES ('压测街道')")
        self.run(
            c,
            "INSERT INTO communities (street_id, name, address, description, max_open_claims,"
            " pickup_days) SELECT (SELECT id FROM streets), '压测社区' || lpad(g::text, 2, '0'),"
            " '压测路 ' || g || ' 号', '', 5, 14 FROM generate_series(1, :C) g ORDER BY g",
        )
        self.cbase = _span(c, "communities", "true")
        self.run(
            c,
            "INSERT INTO alliances (community_id, name, founded_on, description)"
            " SELECT id, name || '共建联盟', DATE '2024-01-01', '' FROM communities ORDER BY id",
        )
        self.run(
            c,
            "INSERT INTO neighbourhoods (community_id, name, description, position)"
            " SELECT c.id, '邻里单元 ' || k, '', k FROM communities c,"
            " generate_series(1, :NB) k ORDER BY c.id, k",
        )
        self.nbase = _span(c, "neighbourhoods", "true")
        self.run(
            c,
            "INSERT INTO monthly_themes (community_id, month, title, description)"
            " SELECT c.id, m, '月月红 ' || m || ' 月主题', '' FROM communities c,"
            " generate_series(1, 12) m",
        )
        self.run(
            c,
            "INSERT INTO units (name, kind, address, contact_name, contact_phone, description,"
            " created_at) SELECT '压测单位 ' || g,"
            " (ARRAY['municipal', 'stationed', 'district', 'social'])[1 + g % 4], '', '', '',"
            " '', :now FROM generate_series(1, :C * :U) g ORDER BY g",
        )
        self.ubase = _span(c, "units", "true")
        # Unit g (1-based) belongs to community (g-1)/U; every fifth also serves the next one.
        self.run(
            c,
            "INSERT INTO memberships (unit_id, community_id, joined_on)"
            " SELECT :ub + g - 1, :cb + (g - 1) / :U, CAST(:today AS date) - 400"
            " FROM generate_series(1, :C * :U) g"
            " UNION ALL SELECT :ub + g - 1, :cb + ((g - 1) / :U + 1) % :C,"
            " CAST(:today AS date) - 200 FROM generate_series(1, :C * :U) g WHERE g % 5 = 0",
            ub=self.ubase,
            cb=self.cbase,
        )
        self.run(
            c,
            "INSERT INTO agreements (unit_id, community_id, signed_on, starts_on, ends_on, scope,"
            " ended_on, end_reason) SELECT unit_id, community_id, joined_on, joined_on,"
            " joined_on + 730, '共驻共建：志愿服务、场地与资金支持', NULL, '' FROM memberships",
        )
        # Three memberships in five serve 1–3 of the community's neighbourhoods; the rest, all.
        self.run(
            c,
            "INSERT INTO membership_neighbourhoods (membership_id, neighbourhood_id)"
            " SELECT m.id, n.id FROM memberships m JOIN neighbourhoods n"
            " ON n.community_id = m.community_id"
            " WHERE m.id % 5 < 3 AND (n.position + m.id) % :NB < 1 + m.id % 3",
        )

    def people(self, c) -> None:
        n = self.n
        self.run(
            c,
            "INSERT INTO users (username, password_hash, display_name, is_active, created_at)"
            " SELECT 'city-admin', '-', '街道管理员', true, :now",
        )
        self.run(
            c,
            "INSERT INTO role_grants (user_id, role, street_id, created_at)"
            " SELECT id, 'street_admin', (SELECT id FROM streets), :now FROM users"
            " WHERE username = 'city-admin'",
        )
        self.run(
            c,
            "INSERT INTO users (username, password_hash, display_name, is_active, created_at)"
            " SELECT 'city-sec-' || g, '-', '书记' || g, true, :now"
            " FROM generate_series(1, :C) g ORDER BY g",
        )
        self.sbase = _span(c, "users", "username LIKE 'city-sec-%'")
        self.run(
            c,
            "INSERT INTO role_grants (user_id, role, community_id, created_at)"
            " SELECT :sb + g, 'secretary', :cb + g, :now FROM generate_series(0, :C - 1) g",
            sb=self.sbase,
            cb=self.cbase,
        )
        self.run(
            c,
            "INSERT INTO users (username, password_hash, display_name, is_active, created_at)"
            " SELECT 'city-liaison-' || g, '-', '联络员' || g, true, :now"
            " FROM generate_series(1, :C * :U) g ORDER BY g",
        )
        self.run(
            c,
            "INSERT INTO role_grants (user_id, role, unit_id, created_at)"
            " SELECT u.id, 'unit_liaison', :ub + substr(u.username, 14)::int - 1, :now"
            " FROM users u WHERE u.username LIKE 'city-liaison-%'",
            ub=self.ubase,
        )
        # Volunteer v (0-based) lives in community v % C.
        self.run(
            c,
            "INSERT INTO users (username, password_hash, display_name, phone, is_active,"
            " created_at) SELECT 'city-v' || v, '-', '志愿者' || v,"
            " '139' || lpad(v::text, 8, '0'), true, :now"
            " FROM generate_series(0, :V - 1) v ORDER BY v",
            V=n["volunteers"],
        )
        self.vbase = _span(c, "users", "username LIKE 'city-v%'")
        self.run(
            c,
            "INSERT INTO role_grants (user_id, role, community_id, created_at)"
            " SELECT :vb + v, 'volunteer', :cb + v % :C, :now"
            " FROM generate_series(0, :V - 1) v",
            V=n["volunteers"],
            vb=self.vbase,
            cb=self.cbase,
        )
        # 0–3 skills each; one in ten works for one of the community's units.
        self.run(
            c,
            "INSERT INTO volunteer_profiles (user_id, home_community_id, work_unit_id,"
            " is_party_member, skills, joined_on)"
            " SELECT :vb + v, :cb + v % :C,"
            "  CASE WHEN (v / :C) % 10 = 3 THEN :ub + (v % :C) * :U + (v / :C / 10) % :U END,"
            "  (v / :C / 7) % 4 = 0,"
            "  to_json((CAST(:skills AS text[]))[1 + (v / :C) % 10 :"
            "   (v / :C) % 10 + (v / :C / 10) % 4]),"
            "  CAST(:today AS date) - (v / :C) % 1000"
            " FROM generate_series(0, :V - 1) v",
            V=n["volunteers"],
            vb=self.vbase,
            cb=self.cbase,
            ub=self.ubase,
        )
        # Each community's pool, and every volunteer's points account (open, as it would be
        # for anyone whose hours were verified before; no entries, so balance 0 is right).
        self.run(
            c,
            "INSERT INTO accounts (type, owner_id, community_id, balance, created_at)"
            " SELECT 'pool', NULL, id, 0, :now FROM communities",
        )
        self.run(
            c,
            "INSERT INTO accounts (type, owner_id, community_id, balance, created_at)"
            " SELECT 'volunteer', :vb + v, :cb + v % :C, 0, :now"
            " FROM generate_series(0, :V - 1) v",
            V=n["volunteers"],
            vb=self.vbase,
            cb=self.cbase,
        )

    def lists(self, c) -> None:
        n = self.n
        ids = {"cb": self.cbase, "ub": self.ubase, "nb": self.nbase, "sb": self.sbase}
        # Published projects: community p % C, starting in 10–40 days, with free slots.
        self.run(
            c,
            "INSERT INTO projects (community_id, title, description, category, mode, slots,"
            " volunteer_capacity, schedule, starts_at, ends_at, claim_deadline, auto_approve,"
            " status, approved_count, lead_claim_id, cancel_reason, created_by_id, created_at,"
            " published_at)"
            " SELECT :cb + p % :C, '压测项目 ' || p, '', (CAST(:cats AS text[]))[1 + (p / :C) % 5],"
            "  CASE WHEN (p / :C) % 4 = 0 THEN 'routine' ELSE 'team' END, s.slots, 10, '每周六上午',"
            "  t.starts, t.starts + interval '30 days', t.starts - interval '2 days',"
            "  (p / :C / 5) % 2 = 0, 'published',"
            "  CASE WHEN (p / :C) % 4 = 0 THEN 0 ELSE (p / :C / 4) % s.slots END,"
            "  NULL, '', :sb + p % :C, :now - interval '20 days', :now - interval '10 days'"
            " FROM generate_series(0, :P - 1) p,"
            "  LATERAL (SELECT CASE WHEN (p / :C) % 4 = 0 THEN 1 ELSE 2 + (p / :C) % 4 END"
            "   AS slots) s,"
            "  LATERAL (SELECT :now + (10 + (p / :C) % 30) * interval '1 day' AS starts) t"
            " ORDER BY p",
            P=n["published"],
            **ids,
        )
        pbase = _span(c, "projects", "status = 'published'")
        # In progress (their claims approved and open: the units' load) and completed in the
        # month (their claims fulfilled there: 月度共建之星).
        self.run(
            c,
            "INSERT INTO projects (community_id, title, description, category, mode, slots,"
            " volunteer_capacity, schedule, starts_at, ends_at, claim_deadline, auto_approve,"
            " status, approved_count, lead_claim_id, cancel_reason, created_by_id, created_at,"
            " published_at)"
            " SELECT :cb + p % :C, '压测项目 ' || (:P + p), '',"
            "  (CAST(:cats AS text[]))[1 + (p / :C) % 5],"
            "  'team', 1 + (p / :C) % 3, 10, '', t.starts, t.starts + interval '20 days',"
            "  t.starts - interval '2 days', false, st.status, 1 + (p / :C) % 3, NULL, '',"
            "  :sb + p % :C, t.starts - interval '30 days', t.starts - interval '25 days'"
            " FROM generate_series(0, :R + :D - 1) p,"
            "  LATERAL (SELECT CASE WHEN p < :R THEN 'in_progress' ELSE 'completed' END AS status)"
            "   st,"
            "  LATERAL (SELECT CASE WHEN p < :R THEN :now - interval '5 days'"
            "   ELSE CAST(:m0 AS date) - 10 + ((p / :C) % 8) * interval '1 day' END AS starts) t"
            " ORDER BY p",
            P=n["published"],
            R=n["running"],
            D=n["completed"],
            **ids,
        )
        # Claims: each project's approved_count claims by distinct units of its community.
        self.run(
            c,
            "INSERT INTO claims (project_id, claimant_type, unit_id, volunteer_id, claimant_key,"
            " status, note, decision_reason, created_by_id, created_at, decided_by_id,"
            " decided_at, fulfilled_at)"
            " SELECT p.id, 'unit', u.unit_id, NULL, 'unit:' || u.unit_id,"
            "  CASE WHEN p.status = 'completed' THEN 'fulfilled' ELSE 'approved' END, '', '',"
            "  NULL, p.published_at + interval '1 day', :sb + (p.community_id - :cb),"
            "  p.published_at + interval '2 days',"
            "  CASE WHEN p.status = 'completed' THEN p.ends_at END"
            " FROM projects p, generate_series(1, p.approved_count) k,"
            "  LATERAL (SELECT :ub + (p.community_id - :cb) * :U + (p.id * 7 + k) % :U"
            "   AS unit_id) u",
            **ids,
        )
        # A pending claim on every seventh published project that has a free slot.
        self.run(
            c,
            "INSERT INTO claims (project_id, claimant_type, unit_id, volunteer_id, claimant_key,"
            " status, note, decision_reason, created_by_id, created_at)"
            " SELECT p.id, 'unit', u.unit_id, NULL, 'unit:' || u.unit_id, 'pending', '', '',"
            "  NULL, :now - interval '1 day'"
            " FROM projects p,"
            "  LATERAL (SELECT :ub + (p.community_id - :cb) * :U + (p.id * 7 + 20) % :U"
            "   AS unit_id) u"
            " WHERE p.status = 'published' AND p.id % 7 = 0",
            **ids,
        )
        # Needs (attributes from g / C, the index within the community, so that they do not follow
        # the community): nine in ten listed and in no project; of the rest half in a project of their
        # community, half resolved. One in ten has no neighbourhood.
        self.run(
            c,
            "INSERT INTO needs (community_id, neighbourhood_id, title, description, category,"
            " source, beneficiary_group, urgency, status, requester_name, requester_phone,"
            " requester_address, requester_id, reject_reason, resolution, project_id,"
            " created_by_id, created_at, updated_at)"
            " SELECT :cb + g % :C,"
            "  CASE WHEN (g / :C) % 10 = 9 THEN NULL"
            "   ELSE :nb + (g % :C) * :NB + (g / :C) % :NB END,"
            "  (CAST(:need_titles AS text[]))[1 + ((g / :C / 8) % 5) * 10 + (g / :C / 40) % 10],"
            "  (CAST(:need_texts AS text[]))[1 + ((g / :C / 8) % 5) * 10 + (g / :C / 40) % 10],"
            "  (CAST(:cats AS text[]))[1 + (g / :C / 8) % 5],"
            "  (ARRAY['hall', 'daily', 'visit', 'grid', 'resident', 'proposal'])"
            "   [1 + (g / :C) % 6],"
            "  (ARRAY['old_party_member', 'disabled', 'elderly', 'needy', 'children',"
            "   'residents'])[1 + (g / 3) % 6],"
            "  (ARRAY['normal', 'normal', 'soon', 'urgent'])[1 + (g / 11) % 4],"
            "  CASE (g / :C / 3) % 20 WHEN 0 THEN 'in_project' WHEN 10 THEN 'resolved'"
            "   ELSE 'listed' END,"
            "  '居民' || g, '', '', NULL, '',"
            "  CASE WHEN (g / :C / 3) % 20 = 10 THEN '已解决' ELSE '' END,"
            "  CASE WHEN (g / :C / 3) % 20 = 0"
            "   THEN :pb + g % :C + :C * ((g / :C) % (:P / :C)) END,"
            "  :sb + g % :C, :now - (g % 90) * interval '1 day',"
            "  :now - (g % 90) * interval '1 day'"
            " FROM generate_series(0, :N - 1) g",
            N=n["needs"],
            P=n["published"],
            pb=pbase,
            **ids,
        )
        # Resources: offered by one of the community's units; windows none, the month, next
        # month, or open-ended from a month ago; half serve one or two neighbourhoods.
        self.run(
            c,
            "INSERT INTO resources (community_id, unit_id, kind, title, description, category,"
            " quantity, unit_of_measure, available_from, available_until, status,"
            " return_reason, created_by_id, created_at)"
            " SELECT :cb + g % :C, :ub + (g % :C) * :U + (g / :C) % :U,"
            "  (ARRAY['volunteers', 'venue', 'funds', 'goods', 'expertise'])[1 + (g / :C) % 5],"
            "  (CAST(:resource_titles AS text[]))"
            "   [1 + ((g / :C) % 5) * 10 + ((g / :C / 5) % 5) * 2 + (g / :C / 25) % 2],"
            "  (CAST(:resource_texts AS text[]))"
            "   [1 + ((g / :C) % 5) * 10 + ((g / :C / 5) % 5) * 2 + (g / :C / 25) % 2],"
            "  CASE WHEN (g / :C) % 10 = 7 THEN NULL"
            "   ELSE (CAST(:cats AS text[]))[1 + (g / :C / 5) % 5] END,"
            "  1 + g % 20, '份',"
            "  CASE (g / :C / 2) % 4 WHEN 1 THEN CAST(:m0 AS date)"
            "   WHEN 2 THEN CAST(:today AS date) + 10"
            "   WHEN 3 THEN CAST(:today AS date) - 30 END,"
            "  CASE (g / :C / 2) % 4 WHEN 1 THEN CAST(:m0 AS date) + :days - 1"
            "   WHEN 2 THEN CAST(:today AS date) + 60 END,"
            "  CASE ((g / :C) * 7 + 3) % 20 WHEN 0 THEN 'offered' WHEN 1 THEN 'withdrawn'"
            "   ELSE 'listed' END,"
            "  '', NULL, :now - (g % 60) * interval '1 day'"
            " FROM generate_series(0, :N - 1) g",
            N=n["resources"],
            **ids,
        )
        self.run(
            c,
            "INSERT INTO resource_neighbourhoods (resource_id, neighbourhood_id)"
            " SELECT r.id, n.id FROM resources r JOIN neighbourhoods n"
            " ON n.community_id = r.community_id"
            " WHERE r.id % 2 = 0 AND (n.position + r.id) % :NB < 1 + r.id % 4 / 2",
        )

    def activities(self, c) -> None:
        # Activity k of community c is on day k % days of the month; one in ten is themed.
        self.run(
            c,
            "INSERT INTO activities (community_id, project_id, title, description, place,"
            " starts_at, ends_at, capacity, theme_month, checkin_code, status, confirmed_count,"
            " created_by_id, created_at)"
            " SELECT :cb + c, NULL, '压测活动 ' || c || '-' || k, '', '社区广场', t.starts,"
            "  t.starts + interval '3 hours', 1000, CASE WHEN k % 10 = 0 THEN :period END,"
            "  lpad(((c * 7919 + k * 104729) % 1000000)::text, 6, '0'), 'scheduled', 0,"
            "  :sb + c, CAST(:m0 AS date) - 7"
            " FROM generate_series(0, :C - 1) c, generate_series(0, :A - 1) k,"
            "  LATERAL (SELECT (CAST(:m0 AS date) + k % :days + time '09:00')"
            "   AT TIME ZONE 'Asia/Shanghai' AS starts) t"
            " ORDER BY c, k",
            cb=self.cbase,
            sb=self.sbase,
        )
        self.abase = _span(c, "activities", "true")

    RECORDS_SQL = (
        "INSERT INTO service_records (community_id, volunteer_id, activity_id, signup_id,"
        " service_date, hours, origin, status, note, entered_by_id, verified_by_id, verified_at,"
        " reject_reason, points, reverses_id, created_at)"
        " SELECT :cb + x.c, :vb + x.v, :ab + x.c * :A + x.k, NULL, d.day, x.h * 0.5,"
        "  'checkin', 'verified', '', NULL, :sb + x.c,"
        "  (d.day + time '21:00') AT TIME ZONE 'Asia/Shanghai', '', x.h * 5, NULL,"
        "  (d.day + time '12:00') AT TIME ZONE 'Asia/Shanghai'"
        " FROM (SELECT v, v % :C AS c, k, h FROM ("
        "  SELECT floor(:active * random() * random())::int AS v,"
        "   floor(random() * :A)::int AS k, 1 + floor(random() * 8)::int AS h"
        "  FROM generate_series(1, :n)) r) x,"
        "  LATERAL (SELECT CAST(:m0 AS date) + x.k % :days AS day) d"
    )

    def records(self) -> None:
        """The month's records: volunteer v (0-based, among the first 80 %) is drawn with
        density -ln(v / active), so a few are very busy and most have a record or two; the
        activity is one of the volunteer's community's, on its day; 0.5–4 hours."""
        total = self.n["records"]
        chunks = [min(CHUNK, total - start) for start in range(0, total, CHUNK)]
        params = {
            **self.params,
            "cb": self.cbase,
            "vb": self.vbase,
            "ab": self.abase,
            "sb": self.sbase,
            "active": int(self.n["volunteers"] * 0.8),
        }
        lock, done, errors = threading.Lock(), [0], []

        def worker(seed: float) -> None:
            try:
                with self.connect() as connection:
                    connection.execute(sa.text("SELECT setseed(:s)"), {"s": seed})
                    while True:
                        with lock:
                            if not chunks:
                                return
                            size = chunks.pop()
                        connection.execute(sa.text(self.RECORDS_SQL), {**params, "n": size})
                        connection.commit()
                        with lock:
                            done[0] += size
                            print(f" {done[0] / total:.0%}", end="", flush=True)
            except Exception as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(0.1 + 0.1 * k,)) for k in range(self.jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def dedupe(self, c) -> None:
        """The random draws give a busy volunteer the same activity now and then; one record per
        volunteer and activity stays (the lowest id), as the unique index restored later wants."""
        self.run(
            c,
            "DELETE FROM service_records s USING service_records t"
            " WHERE s.volunteer_id = t.volunteer_id AND s.activity_id = t.activity_id"
            " AND s.id > t.id",
        )

    def reversals(self, c) -> None:
        # Each original is marked reversed in the same statement that inserts its reversal.
        self.run(
            c,
            "WITH originals AS ("
            " UPDATE service_records SET reversed_at = :now WHERE id IN ("
            "  SELECT id FROM service_records WHERE origin = 'checkin' AND id % :step = 1"
            "  ORDER BY id LIMIT :n) RETURNING *)"
            " INSERT INTO service_records (community_id, volunteer_id, activity_id, signup_id,"
            " service_date, hours, origin, status, note, entered_by_id, verified_by_id,"
            " verified_at, reject_reason, points, reverses_id, created_at)"
            " SELECT r.community_id, r.volunteer_id, r.activity_id, NULL, r.service_date,"
            "  -r.hours, 'reversal', 'verified', '冲正：重复签到', r.verified_by_id,"
            "  r.verified_by_id, :now, '', -r.points, r.id, :now"
            " FROM originals r",
            n=self.n["reversals"],
            step=max(2, self.n["records"] // (2 * self.n["reversals"])),
        )


def counts(url: sa.URL) -> dict:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables = (
        "users",
        "volunteer_profiles",
        "units",
        "memberships",
        "needs",
        "resources",
        "projects",
        "claims",
        "activities",
        "service_records",
    )
    with engine.connect() as connection:
        found = {
            table: connection.execute(
                sa.text("SELECT reltuples::bigint FROM pg_class WHERE relname = :t"), {"t": table}
            ).scalar()
            for table in tables
        }
        found["database"] = connection.execute(
            sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        ).scalar()
    engine.dispose()
    return found


def built_mark(url: sa.URL) -> dict | None:
    """The mark a finished build left on the database, or None (absent or unfinished)."""
    admin = sa.create_engine(url.set(database="postgres"), poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        comment = connection.execute(
            sa.text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = :name"
            ),
            {"name": BENCH_DB},
        ).scalar()
    admin.dispose()
    with contextlib.suppress(TypeError, ValueError):
        mark = json.loads(comment)
        if mark.get("mark") == MARK:
            return mark
    return None


def schema_head() -> str:
    """The migrations' head revision: a build made before a newer migration is not reused."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def build(url: sa.URL, scale: float, period: str, jobs: int) -> dict:
    began = time.monotonic()
    with contextlib.redirect_stderr(open(os.devnull, "w")):  # alembic's INFO lines
        bench_url, app = migrated_app(url, BENCH_DB)
    migrated = time.monotonic() - began
    with app.app_context():
        from coop.extensions import db

        db.engine.dispose()
    print(f"  migrated {BENCH_DB} with the app's migrations … {migrated:.1f} s")
    builder = Builder(bench_url, scale, period, jobs)
    builder.build()
    builder.engine.dispose()
    took = time.monotonic() - began
    mark = {
        "mark": MARK,
        "scale": scale,
        "period": period,
        "schema": schema_head(),
        "built_in": round(took, 1),
        "steps": [(label, round(t, 1)) for label, t in builder.steps],
        "built_on": f"{datetime.now():%Y-%m-%d %H:%M}",
        "load": round(os.getloadavg()[0], 1),
    }
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        text = json.dumps(mark, ensure_ascii=False).replace("'", "''")
        connection.execute(sa.text(f"COMMENT ON DATABASE \"{BENCH_DB}\" IS '{text}'"))
    admin.dispose()
    return mark


def clone(url: sa.URL, run_db: str) -> float:
    """A fresh copy of the built database for the runs; seconds it took."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    began = time.monotonic()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)'))
        for attempt in range(20):  # autovacuum may be visiting the template
            try:
                connection.execute(
                    sa.text(f'CREATE DATABASE "{run_db}" TEMPLATE "{BENCH_DB}" STRATEGY FILE_COPY')
                )
                break
            except sa.exc.OperationalError:
                if attempt == 19:
                    raise
                time.sleep(3)
    admin.dispose()
    return time.monotonic() - began


def drop(url: sa.URL, *names: str) -> None:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# ---------------------------------------------------------------------------------------------
# Running a job in a fresh process


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _temp(connection) -> tuple[int, int]:
    return tuple(
        connection.execute(
            sa.text(
                "SELECT temp_files, temp_bytes FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
        ).one()
    )


def _shape(statement: str) -> str:
    statement = re.sub(r"\s+", " ", statement)
    statement = re.sub(r"(%\(\w+?)_\d+\)s(, %\(\1_\d+\)s)+", r"\1_…)s", statement)
    return statement[:400]


def child(job_name: str, database: str, period: str | None, timeout: int, profile: bool) -> None:
    """Run one job as the clock would and print what it cost as one JSON line."""
    url = server_url().set(database=database)
    app = make_app(url, pool=4, name=f"coop-bench-city-{job_name}", batch=True)
    import jobs

    result: dict = {"job": job_name}
    if job_name not in jobs.JOBS:
        result["missing"] = (
            f"jobs.JOBS has no {job_name!r} yet (jobs: {', '.join(sorted(jobs.JOBS))})"
        )
        print("CITY-RESULT " + json.dumps(result, ensure_ascii=False))
        return
    job = jobs.JOBS[job_name]
    from coop.dbtypes import utcnow
    from coop.extensions import db

    statements: Counter = Counter()
    seconds: Counter = Counter()
    started: dict = {}
    threads: set = set()  # the job's connections run side by side on threads (jobs.parallel)
    tally = threading.Lock()

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            started[id(cursor)] = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):
            shape = _shape(statement)
            took = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
            with tally:
                statements[shape] += 1
                seconds[shape] += took
                threads.add(threading.get_ident())

        with engine.connect() as connection:
            temp_before = _temp(connection)
        period = period or job.period_at(utcnow())
        result.update(period=period, baseline_rss_mb=_rss_mb())
        last = [time.monotonic(), 0]
        began = time.monotonic()

        def progress(done: int) -> None:
            last[1] = done
            if time.monotonic() - last[0] >= 10:
                last[0] = time.monotonic()
                print(
                    f"    {job_name}: {done:,} done after {time.monotonic() - began:.0f} s,"
                    f" RSS peak {_rss_mb():.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )

        def on_alarm(_signum, _frame):
            raise TimeoutError(f"stopped after {timeout} s (--timeout)")

        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(timeout)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        try:
            outcome = job.run(period, progress=progress, force=True)
            result.update(status=outcome.status, result=outcome.result)
        except BaseException as error:  # a timeout or a failure: still report what it cost
            result.update(status="error", error=f"{type(error).__name__}: {error}")
        finally:
            signal.alarm(0)
            if profiler is not None:
                profiler.disable()
        result.update(seconds=time.monotonic() - began, peak_rss_mb=_rss_mb(), done=last[1])
        db.session.rollback()
        with engine.connect() as connection:
            temp_after = _temp(connection)
        result["temp_files"] = temp_after[0] - temp_before[0]
        result["temp_mb"] = (temp_after[1] - temp_before[1]) / 2**20
    result["statements"] = sum(statements.values())
    result["sql_seconds"] = sum(seconds.values())
    result["threads"] = len(threads)
    result["heaviest"] = [
        (round(seconds[shape], 2), statements[shape], shape) for shape, _ in seconds.most_common(8)
    ]
    if profiler is not None:
        result["profile"] = _profile_lines(profiler)
    print("CITY-RESULT " + json.dumps(result, ensure_ascii=False, default=str))


def _profile_lines(profiler, top: int = 15) -> list[str]:
    import pstats

    from _harness import _area

    stats = pstats.Stats(profiler)
    areas: Counter = Counter()
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        areas[_area(filename, function)] += own
    total = sum(areas.values()) or 1
    lines = [f"{area:<45} {100 * own / total:5.1f} %" for area, own in areas.most_common()]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][3], reverse=True)[:top]
    lines.append(f"top {top} by cumulative time:")
    for (filename, line, function), (_cc, calls, own, cum, _callers) in rows:
        short = filename if filename == "~" else re.sub(r".*site-packages/|.*/main/", "", filename)
        lines.append(
            f"  {cum:7.1f} s cum {own:7.1f} s own {calls:>9} calls {short}:{line}({function})"
        )
    return lines


def run_job(job_name: str, database: str, period: str | None, timeout: int, profile: bool) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        job_name,
        "--database",
        database,
        "--timeout",
        str(timeout),
    ]
    if period:
        command += ["--period", period]
    if profile:
        command.append("--profile-child")
    load = os.getloadavg()[0]
    began = time.monotonic()
    done = subprocess.run(
        command, stdout=subprocess.PIPE, text=True, cwd=ROOT, timeout=timeout + 600
    )
    wall = time.monotonic() - began
    line = next(
        (x for x in reversed(done.stdout.splitlines()) if x.startswith("CITY-RESULT ")), None
    )
    if line is None:
        return {"job": job_name, "status": "crashed", "error": f"exit {done.returncode}"}
    result = json.loads(line.removeprefix("CITY-RESULT "))
    result.update(process_seconds=wall, load_before=load, load_after=os.getloadavg()[0])
    return result


def report(result: dict, target_s: float, target_mb: float | None) -> str:
    name = result["job"]
    if "missing" in result:
        return (
            f"{name}: NOT RUN: {result['missing']}. The call is in place"
            f" (jobs.JOBS[{name!r}].run(period, force=True)); run this script again once it exists."
        )
    if result.get("status") == "crashed":
        return f"{name}: the child process crashed ({result['error']})"
    met = result["seconds"] < target_s and result.get("status") == "ran"
    memory = ""
    if target_mb is not None:
        met = met and result["peak_rss_mb"] < target_mb
        memory = f" and < {target_mb:.0f} MB"
    lines = [
        f"{name} {result['period']}: {result['status']}"
        + (f" ({result['error']})" if result.get("error") else "")
        + f" in {result['seconds']:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB"
        f" ({result['baseline_rss_mb']:.0f} MB before the job: Python and the app)"
        f" · target < {target_s:g} s{memory}: {'MET' if met else 'MISSED'}"
        f" · load average {result['load_before']:.1f} before, {result['load_after']:.1f} after",
        f"  result: {json.dumps(result.get('result'), ensure_ascii=False)}",
        f"  {result['statements']:,} SQL statements, {result['sql_seconds']:.1f} s of waiting on the"
        + (
            f" server ({result['seconds'] - result['sql_seconds']:.1f} s in Python);"
            if result.get("threads", 1) <= 1
            else f" server, summed over {result['threads']} threads working side by side;"
        )
        + f" server temp files: {result['temp_files']} ({result['temp_mb']:.0f} MB)",
        "  heaviest statements (seconds, count, statement):",
    ]
    for took, count, shape in result["heaviest"]:
        lines.append(f"    {took:8.2f} s {count:>9,}×  {shape[:300]}")
    for line in result.get("profile", []):
        lines.append("  profile: " + line)
    return "\n".join(lines)


def award_counts(url: sa.URL) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT b.code, count(*), count(a.revoked_at) FROM badge_awards a"
                " JOIN badges b ON b.id = a.badge_id GROUP BY b.code ORDER BY b.code"
            )
        ).all()
        postings = connection.execute(
            sa.text("SELECT count(*) FROM postings WHERE kind = 'badge'")
        ).scalar()
    engine.dispose()
    awards = ", ".join(f"{code} {n:,}" + (f" ({r} revoked)" if r else "") for code, n, r in rows)
    return (
        f"  awards in the database: {awards or 'none'}; badge postings {postings:,}\n"
        + ledger_check(url)
    )


def ledger_check(url: sa.URL) -> str:
    """The app's own ``ledger check`` on the copy: every posting balanced, every cached balance
    equal to its entries, no volunteer below zero."""
    from coop.extensions import db
    from coop.ledger import service

    app = make_app(url, pool=1, name="coop-bench-city-check")
    began = time.monotonic()
    with app.app_context():
        report = service.check()
        db.engine.dispose()
    return (
        f"  ledger check ({time.monotonic() - began:.1f} s): {'OK' if report.ok else 'FAILED'},"
        f" {report.postings:,} postings, {report.entries:,} entries;"
        f" {len(report.unbalanced_postings)} unbalanced, {len(report.drifted_accounts)} drifted,"
        f" {len(report.negative_user_accounts)} below zero"
    )


def suggestion_counts(url: sa.URL) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT target_type, candidate_type, status, count(*), count(DISTINCT target_id)"
                " FROM match_suggestions GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        ).all()
        rankings = connection.execute(
            sa.text(
                "SELECT candidate_type, count(*),"
                " count(DISTINCT (community_id, category, coalesce(neighbourhood_id, 0)))"
                " FROM match_rankings GROUP BY 1 ORDER BY 1"
            )
        ).all()
    engine.dispose()
    found = ", ".join(f"{t}→{c} {n:,} {s} for {k:,} targets" for t, c, s, n, k in rows)
    ranked = ", ".join(f"{c} {n:,} rows for {g:,} groups" for c, n, g in rankings)
    return (
        f"  suggestions in the database: {found or 'none'}\n"
        f"  need rankings (one per community, category and 邻里单元): {ranked or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1 M volunteers, 5 M records")
    parser.add_argument("--reuse", action="store_true", help="keep a finished build at this scale")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--only", default="badges,match", help="which jobs: badges,match")
    parser.add_argument("--period", help="the month, e.g. 2026-10; default: the month before")
    parser.add_argument("--jobs", type=int, default=2, help="connections loading the records")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a job may run")
    parser.add_argument("--profile", default="", help="run these jobs under cProfile")
    parser.add_argument("--again", action="store_true", help="run each job a second time")
    parser.add_argument("--drop", action="store_true", help="drop both databases at the end")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(
            options.child, options.database, options.period, options.timeout, options.profile_child
        )
        return

    url = server_url()
    period = options.period or previous_month(datetime.now().date())
    n = sizes(options.scale)
    print(
        f"coop city · scale {options.scale:g}: {COMMUNITIES} communities, {n['volunteers']:,}"
        f" volunteers, {n['needs']:,} needs, {n['resources']:,} resources,"
        f" {n['published']:,} published projects, {n['records']:,} verified records in {period}"
        f" · {os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f}"
    )
    mark = built_mark(url) if options.reuse else None
    if (
        mark
        and mark["scale"] == options.scale
        and mark["period"] == period
        and mark.get("schema") == schema_head()
    ):
        print(
            f"reusing {BENCH_DB} built on {mark['built_on']} in {mark['built_in']:.0f} s"
            f" (load average {mark['load']})"
        )
    else:
        print(f"building {BENCH_DB}:")
        mark = build(url, options.scale, period, options.jobs)
        print(
            f"built in {mark['built_in']:.1f} s ({mark['built_in'] / 60:.1f} min)"
            f" · load average {mark['load']:.1f} after"
        )
    found = counts(url.set(database=BENCH_DB))
    print(
        "  rows (estimates): "
        + ", ".join(f"{t} {v:,}" for t, v in found.items() if t != "database")
        + f"; database {found['database']}"
    )
    if options.build_only:
        return

    wanted = [OPERATIONS[x.strip()] for x in options.only.split(",") if x.strip()]
    profiled = {OPERATIONS[x.strip()] for x in options.profile.split(",") if x.strip()}
    run_db = RUN_DB.format(
        "_".join(sorted(x.strip() for x in options.only.split(",") if x.strip()))
    )
    print(f"cloning {BENCH_DB} as {run_db} … {clone(url, run_db):.1f} s")
    run_url = url.set(database=run_db)
    results = []
    for job_name in wanted:
        runs = 2 if options.again else 1
        for k in range(runs):
            print(f"running {job_name}{' again' if k else ''} in a fresh process …", flush=True)
            result = run_job(
                job_name,
                run_db,
                period if job_name == "monthly_badges" else None,
                options.timeout,
                job_name in profiled,
            )
            target = (60, 1024) if job_name == "monthly_badges" else (30, None)
            print(report(result, *target), flush=True)
            if "missing" not in result and result.get("status") != "crashed":
                print(
                    award_counts(run_url)
                    if job_name == "monthly_badges"
                    else suggestion_counts(run_url)
                )
            results.append(result)
            if result.get("status") != "ran":
                break  # a second run would only carry on where the first stopped
    if options.drop:
        drop(url, run_db, BENCH_DB)
        print(f"dropped {run_db} and {BENCH_DB}")
    print(f"load average {os.getloadavg()[0]:.1f} after (the CPUs are shared with the server)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
