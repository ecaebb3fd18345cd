"""schemathesis over every operation of /api/v1, as each role and signed out.

In-process against the WSGI app, on a committed PostgreSQL database of its own with the
Xingwang demo loaded, with schemathesis's not-a-server-error, status-code-conformance and
response-schema-conformance checks: no input may answer 5xx, and every answer must be one the
OpenAPI document describes, in the shape it describes.

Each operation gets valid (positive) and invalid (negative) data with random ids, and valid data
with ids of rows that exist, so the checks reach past the 404s. The run is bounded by
``COOP_FUZZ_EXAMPLES`` examples per operation and kind of data (derandomised, so CI is
repeatable); ``make fuzz`` runs a deeper one against a real server.
"""

import os
import time
from collections import Counter

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from coop.auth import service as auth_service
from coop.auth.models import User
from coop.extensions import db
from tests.conftest import demo_app

pytestmark = [pytest.mark.committed, pytest.mark.postgres]

EXAMPLES = int(os.environ.get("COOP_FUZZ_EXAMPLES", "4"))
# Demo accounts: the community's secretary, a volunteer, a partner unit's liaison; None is
# signed out (every operation but sign-in answers 401 before reading anything, so fewer).
# The secretary runs last: her run may deactivate or anonymise demo people (POST
# /people/{id}/deactivate), and the roles after her would then be signed out.
ROLES = {"volunteer": EXAMPLES, "unit": EXAMPLES, None: 2, "secretary": EXAMPLES}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Path parameter → the table whose ids it names, for the runs with existing rows.
TABLES = {
    "activity_id": "activities",
    "agreement_id": "agreements",
    "certificate_id": "certificates",
    "alliance_id": "alliances",
    "claim_id": "claims",
    "community_id": "communities",
    "department_id": "departments",
    "escalation_id": "escalations",
    "grant_id": "role_grants",
    "import_id": "people_import_jobs",
    "job_id": "job_runs",
    "membership_id": "memberships",
    "need_id": "needs",
    "order_id": "resource_orders",
    "person_id": "users",
    "project_id": "projects",
    "ranking_id": "match_rankings",
    "record_id": "service_records",
    "redemption_id": "redemptions",
    "resource_id": "resources",
    "street_id": "streets",
    "suggestion_id": "match_suggestions",
    "term_id": "terms",
    "unit_id": "units",
    "user_id": "users",
}
SPECIAL = {  # the same name means different tables on different paths
    ("item_id", "/rewards/"): "reward_items",
    ("item_id", "/plan-items/"): "term_plan_items",
    ("evidence_id", "/plan-evidence/"): "plan_evidence",
}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    with demo_app("fuzz", tmp_path_factory.mktemp("fuzz-db")) as app:
        yield app


def _token(app, username: str) -> str:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        raw, _token = auth_service.issue_token(user)
        db.session.commit()
        return raw


def _existing_ids(app) -> dict[str, list[int]]:
    """Table → some of its ids: the first and the last few (the demo's and the run's)."""
    tables = {*TABLES.values(), *SPECIAL.values()}
    with app.app_context():
        found = {}
        for table in tables:
            ids = db.session.scalars(sa.text(f"SELECT id FROM {table} ORDER BY id")).all()
            found[table] = sorted(set(ids[:20] + ids[-5:]))
        db.session.remove()
    return found


def _table(name: str, path: str) -> str | None:
    for (param, part), table in SPECIAL.items():
        if name == param and part in path:
            return table
    return TABLES.get(name)


def _hypothesis_test(operation, mode, path_ids, settings, call):
    """A Hypothesis test calling ``operation`` with ``mode`` data; with ``path_ids`` (name → ids
    that exist), its path names one of those rows."""
    if path_ids:

        @hypothesis.given(data=st.data())
        @settings
        def run(data):
            chosen = {name: data.draw(st.sampled_from(ids)) for name, ids in path_ids.items()}
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=chosen)
            call(operation, data.draw(strategy))

        return run

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @settings
    def run(case):
        call(operation, case)

    return run


def fuzz(app, role: str | None, examples: int, *, only: str = "", trace: Counter | None = None):
    """(failures, statuses) of every operation (``only``: those whose label contains it)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ids = _existing_ids(app)
    failures, statuses = [], Counter()
    token = _token(app, role) if role else None
    settings = hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: bounded
    )

    def call(operation, case):
        nonlocal token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if trace is not None:
            trace[operation.label, response.status_code] += 1
        if role and case.method == "DELETE" and case.path.endswith("/tokens/current"):
            token = _token(app, role)  # that revoked the one it was sent with
        case.validate_response(response, checks=CHECKS, headers=headers)

    for result in schema.get_all_operations():
        operation = result.ok()
        if only not in operation.label:
            continue
        path_ids = {
            p.name: ids[_table(p.name, operation.path)]
            for p in operation.path_parameters
            if _table(p.name, operation.path) and ids[_table(p.name, operation.path)]
        }
        runs = [(mode.value, mode, False) for mode in GenerationMode]
        if path_ids and len(path_ids) == len(operation.path_parameters):
            runs.append(("existing rows", GenerationMode.POSITIVE, True))
        for label, mode, existing in runs:
            try:
                _hypothesis_test(operation, mode, path_ids if existing else None, settings, call)()
            except hypothesis.errors.Unsatisfiable:
                pass
            except Exception as error:
                failures.append(f"{operation.label} ({label}): {error}")
    return failures, statuses


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "signed_out")
def test_no_input_breaks_the_api(fuzz_app, role):
    started = time.monotonic()
    failures, statuses = fuzz(fuzz_app, role, ROLES[role])
    took = time.monotonic() - started
    print(f"\n{role or 'signed out'}: {statuses.total()} requests in {took:.0f} s: {statuses}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
