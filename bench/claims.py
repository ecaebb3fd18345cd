"""Claims per second through the service layer, beside pgbench on the same PostgreSQL.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/coop_test \\
        .venv/bin/python bench/claims.py [--seconds 10] [--workers 8,32] [--threads]

DATABASE_URL only names the server: the script (re)creates its own databases there, ``coop_bench``
(migrated, then one community, 1,000 published team projects with 1–5 slots, half of them
auto-approved, and 300 units with live agreements and liaisons) and ``coop_pgbench``
(``pgbench -i -s 1``). For each worker count it then runs, one after the other:

- claims: every worker loops for ``--seconds``, each request a random liaison claiming a random
  project with ``coop.claims.service.claim_project`` inside ``unit_of_work``, in a fresh app
  context like a web request (the actor is found by her session's id each time, as a signed-in
  page finds her: each worker signs every liaison in once). Refusals (ProjectFull,
  AlreadyClaimed, TooManyOpenClaims) are completed requests and are counted apart. Workers are
  processes, each with its own ``create_app()`` (the GIL would otherwise cap threads at one
  core); ``--threads`` runs them as threads of one process instead.
- pgbench: a one-row UPDATE per transaction, same client count and duration, ``-j 2``.
- claim SQL: pgbench running ``bench/claim.sql`` against ``coop_bench``, the SQL of one
  successful claim (the project's lock, the unit's lock with its agreement and limit, the open
  claims, the claim inserted approved, the slot, the audit rows) for a random unit and project,
  same clients and duration, ``-M prepared``: the physical limit of the claim's logic.
- the Python ceiling: the same ``claim.sql`` transaction from worker processes with bare
  psycopg (no app, no ORM, no rules, every statement prepared), same workers and duration: what
  any Python client pays for those round trips on this machine (``psycopg tps``).

Between runs the claims are deleted and the projects reset, so each run starts alike. After each
claims run SQL counts projects whose approved claims exceed their slots ("oversold", must be 0)
and projects whose ``approved_count`` disagrees with their claims ("drift", must be 0).
"""

import argparse
import contextlib
import os
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from _harness import Pgbench, migrated_app, run_workers, seed_community, server_url

BENCH_DB = "coop_bench"
PGBENCH_DB = "coop_pgbench"
PROJECTS, UNITS = 1000, 300
CLAIM_SQL = Path(__file__).with_name("claim.sql")


def seed(app) -> None:
    """A community, its units (live agreement + liaison each) and published projects."""
    from coop.alliance.models import (
        Agreement,
        Membership,
        Unit,
        UnitKind,
    )
    from coop.auth.models import Role, RoleGrant, User
    from coop.categories import Category
    from coop.dbtypes import utcnow
    from coop.extensions import db
    from coop.projects.models import Project, ProjectMode, ProjectStatus

    rng = random.Random(7)
    today, now = date.today(), utcnow()
    with app.app_context():
        community = seed_community()
        for n in range(UNITS):
            unit = Unit(name=f"压测单位{n:03d}", kind=UnitKind.STATIONED)
            db.session.add_all(
                [
                    unit,
                    Membership(unit=unit, community=community, joined_on=today - timedelta(400)),
                    Agreement(
                        unit=unit,
                        community_id=community.id,
                        signed_on=today - timedelta(30),
                        starts_on=today - timedelta(30),
                        ends_on=today + timedelta(335),
                        scope="压测",
                    ),
                    User(
                        username=f"bench-liaison{n:03d}",
                        display_name=f"联络员{n:03d}",
                        password_hash="-",
                        grants=[RoleGrant(role=Role.UNIT_LIAISON, unit=unit)],
                    ),
                ]
            )
        categories = list(Category)
        for n in range(PROJECTS):
            db.session.add(
                Project(
                    community=community,
                    title=f"压测项目{n:04d}",
                    category=categories[n % len(categories)],
                    mode=ProjectMode.TEAM,
                    slots=rng.randint(1, 5),
                    auto_approve=n % 2 == 0,
                    status=ProjectStatus.PUBLISHED,
                    starts_at=now + timedelta(days=40),
                    ends_at=now + timedelta(days=70),
                    claim_deadline=now + timedelta(days=30),
                    published_at=now,
                )
            )
        db.session.commit()


def ids(app) -> tuple[list[int], list[int]]:
    from coop.auth.models import User
    from coop.extensions import db
    from coop.projects.models import Project

    with app.app_context():
        liaisons = db.session.scalars(
            sa.select(User.id).where(User.username.like("bench-liaison%"))
        ).all()
        projects = db.session.scalars(sa.select(Project.id)).all()
    return list(liaisons), list(projects)


def claim_sql_values(app) -> dict[str, int]:
    """The seeded rows ``claim.sql`` claims with: the community, the first project and unit ids,
    how many of each, and how a unit's id maps to its liaison's (the seed makes them in step)."""
    from coop.auth.models import RoleGrant, User
    from coop.extensions import db
    from coop.projects.models import Project

    with app.app_context():
        community, first_project, last_project = db.session.execute(
            sa.select(
                sa.func.min(Project.community_id), sa.func.min(Project.id), sa.func.max(Project.id)
            )
        ).one()
        pairs = db.session.execute(
            sa.select(RoleGrant.unit_id, RoleGrant.user_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(User.username.like("bench-liaison%"))
            .order_by(RoleGrant.unit_id)
        ).all()
    offsets = {user - unit for unit, user in pairs}
    first_unit, last_unit = pairs[0][0], pairs[-1][0]
    assert len(offsets) == 1 and last_unit - first_unit + 1 == len(pairs) == UNITS
    assert last_project - first_project + 1 == PROJECTS
    return {
        "community": community,
        "first_project": first_project,
        "projects": PROJECTS,
        "first_unit": first_unit,
        "units": UNITS,
        "actor_offset": offsets.pop(),
    }


def claim_sql_defines(values: dict[str, int]) -> tuple[str, ...]:
    """pgbench's options for ``claim.sql``: prepared statements and ``-D`` for each value."""
    return ("-M", "prepared", *(f"-D{name}={value}" for name, value in values.items()))


def claim_sql_statements() -> list[str]:
    """``claim.sql``'s statements between BEGIN and END for psycopg: comments dropped, each
    ``:name`` a ``%(name)s`` placeholder (``::type`` casts and ``'unit:'`` stay)."""
    script = re.sub(r"--[^\n]*", "", CLAIM_SQL.read_text())
    body = script[script.index("BEGIN;") + len("BEGIN;") : script.index("END;")]
    return [
        re.sub(r"(?<![:\w]):([a-z_]+)", r"%(\1)s", statement.replace("%", "%%")).strip()
        for statement in body.split(";")
        if statement.strip()
    ]


def bare_setup(_app, n: int, args) -> tuple:
    """A worker of the Python ceiling: its own psycopg connection, preparing every statement as
    pgbench's ``-M prepared`` does, and the statements (warmed up by one rolled-back claim)."""
    import psycopg

    conninfo, values = args
    connection = psycopg.connect(conninfo, prepare_threshold=0, application_name="bench-bare")
    state = (connection, random.Random(n), values, claim_sql_statements())
    bare_step(None, state, commit=False)
    return state


def bare_step(_app, state, *, commit: bool = True) -> str:
    """``claim.sql``'s transaction from Python with bare psycopg, its ids drawn as pgbench's
    ``\\set`` lines draw them: no app, no ORM, no rules. The ceiling of any Python client."""
    connection, rng, values, statements = state
    unit = rng.randint(values["first_unit"], values["first_unit"] + values["units"] - 1)
    parameters = {
        "community": values["community"],
        "project": rng.randint(
            values["first_project"], values["first_project"] + values["projects"] - 1
        ),
        "unit": unit,
        "actor": unit + values["actor_offset"],
    }
    for statement in statements:  # the first begins the transaction, as pgbench's BEGIN does
        cursor = connection.execute(statement, parameters)
        if cursor.description is not None:
            cursor.fetchall()
    if commit:
        connection.commit()
    else:
        connection.rollback()
    return "transaction"


def reset(app) -> None:
    from coop.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE projects SET approved_count = 0, lead_claim_id = NULL, status = 'published'"
            )
        )
        connection.execute(sa.text("DELETE FROM claim_resources"))
        connection.execute(sa.text("DELETE FROM claims"))
        connection.execute(sa.text("DELETE FROM audit_log"))
    with app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE")
        )


def request(app, session: str, project: int) -> str:
    """One claim as a web request would make it, by the liaison signed in with ``session`` (the
    cookie's raw id); the claim's status or the refusal's code."""
    from coop.auth.service import session_user
    from coop.claims import service
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.uow import unit_of_work

    with app.app_context():
        try:
            actor = session_user(session)
            with unit_of_work(actor):
                claim = service.claim_project(
                    actor, project, claimant=ClaimantType.UNIT, now=utcnow()
                )
                return claim.status.value
        except DomainError as error:
            return error.code
        except Exception as error:  # a bug, not a refusal: count it and keep going
            return f"error:{type(error).__name__}"


def warm_up(app, liaisons, projects) -> None:
    """Claims rolled back, so mappers, statement caches and prepared statements are ready."""
    from coop.auth.models import User
    from coop.claims import service
    from coop.claims.models import ClaimantType
    from coop.dbtypes import utcnow
    from coop.errors import DomainError
    from coop.extensions import db

    for project in projects[:8]:
        with app.app_context():
            actor = db.session.get(User, liaisons[0])
            with contextlib.suppress(DomainError):
                service.claim_project(actor, project, claimant=ClaimantType.UNIT, now=utcnow())
            db.session.rollback()


def signed_in(app, liaisons) -> list[str]:
    """A browser session for each liaison, as signing in makes it: the raw ids."""
    from coop.auth.models import User
    from coop.auth.service import start_session
    from coop.extensions import db

    with app.app_context():
        sessions = [start_session(db.session.get(User, liaison)) for liaison in liaisons]
        db.session.commit()
    return sessions


def setup(app, n: int, args) -> tuple:
    liaisons, projects = args
    warm_up(app, liaisons, projects)
    return random.Random(n), signed_in(app, liaisons), projects


def step(app, state) -> str:
    rng, sessions, projects = state
    return request(app, rng.choice(sessions), rng.choice(projects))


def check(app) -> dict:
    """Verified by SQL: approved claims, oversold projects, approved_count drift."""
    from coop.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        held = (
            "(SELECT count(*) FROM claims c WHERE c.project_id = p.id"
            " AND c.status IN ('approved', 'fulfilled'))"
        )
        return {
            "approved": connection.scalar(
                sa.text("SELECT count(*) FROM claims WHERE status = 'approved'")
            ),
            "oversold": connection.scalar(
                sa.text(f"SELECT count(*) FROM projects p WHERE {held} > p.slots")
            ),
            "drift": connection.scalar(
                sa.text(f"SELECT count(*) FROM projects p WHERE {held} <> p.approved_count")
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="8,32")
    parser.add_argument("--threads", action="store_true", help="threads instead of processes")
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]

    url = server_url()
    bench_url, app = migrated_app(url, BENCH_DB, pool=max(counts) + 2)
    seed(app)
    pgbench = Pgbench(url, PGBENCH_DB)
    claim_sql = Pgbench(url, BENCH_DB, CLAIM_SQL.read_text(), initialise=False)
    values = claim_sql_values(app)
    conninfo = bench_url.set(drivername="postgresql").render_as_string(hide_password=False)

    mode = "threads" if options.threads else "processes"
    print(
        f"coop claims vs pgbench · {PROJECTS} projects, {UNITS} units · "
        f"{options.seconds:g} s a run · workers as {mode} · {os.cpu_count()} CPUs"
        f" · load average {os.getloadavg()[0]:.1f} before"
    )
    rows = []
    for workers in counts:
        reset(app)
        claims = run_workers(
            bench_url,
            setup=setup,
            step=step,
            args=[ids(app)] * workers,
            seconds=options.seconds,
            threads_app=app if options.threads else None,
        )
        verified = check(app)
        tps = pgbench.tps(workers, options.seconds)
        reset(app)  # the claim SQL starts from the same empty claims as the service did
        claim_tps = claim_sql.tps(workers, options.seconds, options=claim_sql_defines(values))
        reset(app)
        bare = run_workers(
            bench_url,
            setup=bare_setup,
            step=bare_step,
            args=[(conninfo, values)] * workers,
            seconds=options.seconds,
            threads_app=app if options.threads else None,
        )
        rows.append((workers, claims, tps, claim_tps, bare, verified))
    reset(app)  # the claim SQL ignores the rules: leave no oversold projects behind
    pgbench.close()
    claim_sql.close()

    print(
        f"{'workers':>7} {'claims/s':>9} {'pgbench tps':>12} {'ratio %':>8}"
        f" {'claim-SQL tps':>14} {'ratio %':>8} {'psycopg tps':>12} {'ratio %':>8}"
        f" {'approved':>9} {'oversold':>9} {'drift':>6}"
    )
    for workers, claims, tps, claim_tps, bare, verified in rows:
        rate = claims["rate"]
        print(
            f"{workers:>7} {rate:>9.1f} {tps:>12.1f} {100 * rate / tps:>8.1f}"
            f" {claim_tps:>14.1f} {100 * rate / claim_tps:>8.1f}"
            f" {bare['rate']:>12.1f} {100 * rate / bare['rate']:>8.1f}"
            f" {verified['approved']:>9} {verified['oversold']:>9} {verified['drift']:>6}"
        )
    print()
    print("the Python ceiling: claim.sql from worker processes with bare psycopg (psycopg tps):")
    for workers, _claims, _tps, claim_tps, bare, _verified in rows:
        print(
            f"  {workers:>2} workers: {100 * bare['rate'] / claim_tps:.1f} % of the claim SQL's"
            f" pgbench tps; {bare['cpu']:.2f} ms of Python CPU a transaction;"
            f" p50 {bare['p50']:.1f} ms, p95 {bare['p95']:.1f} ms"
        )
    print()
    print("outcomes per run (refusals are completed requests), latency, approved_count drift:")
    for workers, claims, _tps, _claim_tps, _bare, verified in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in claims["outcomes"].most_common())
        print(
            f"  {workers:>2} workers: {outcomes}; p50 {claims['p50']:.1f} ms,"
            f" p95 {claims['p95']:.1f} ms; {claims['statements']:.1f} SQL statements and"
            f" {claims['cpu']:.1f} ms of Python CPU a request;"
            f" drift {verified['drift']}"
        )
    print(f"load average {os.getloadavg()[0]:.1f} after (the CPUs are shared with the server)")
    if any(v["oversold"] or v["drift"] for *_rest, v in rows):
        sys.exit("FAILED: oversold or drifting projects")


if __name__ == "__main__":
    main()
