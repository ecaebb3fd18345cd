"""Claims racing for slots: the project's row lock serialises them, and the database's CHECK and
partial unique index hold the rules even for SQL that never went through Python."""

import threading

import pytest
import sqlalchemy as sa

from coop.claims import errors, service
from coop.claims.models import LIVE, Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.errors import DomainError
from coop.extensions import db
from coop.projects.models import Project, ProjectStatus
from coop.uow import unit_of_work
from tests import factories
from tests.conftest import _database_url, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.committed]

CLAIMANTS = 50


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    # One connection per racing thread, all at once: the default pool (5 + 10) would queue them.
    app = make_app(
        _database_url("claims", tmp_path_factory.mktemp("claims")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CLAIMANTS + 5, "max_overflow": 0},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def race(app, jobs):
    """Run each job in its own thread, app context and transaction, all released at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = job()
            except DomainError as error:
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def kinds(outcomes) -> list[str]:
    """Each outcome as a claim status or an error code, for counting."""
    return [o.code if isinstance(o, DomainError) else o for o in outcomes]


def claim_as(liaison_id: int, project_id: int):
    def job():
        actor = db.session.get(factories.User, liaison_id)
        with unit_of_work(actor):
            claim = service.claim_project(
                actor, project_id, claimant=ClaimantType.UNIT, now=utcnow()
            )
            status = claim.status.value
        return status

    return job


def as_user(user_id: int, action, *args):
    def job():
        actor = db.session.get(factories.User, user_id)
        with unit_of_work(actor):
            claim = action(actor, *args, now=utcnow())
            status = claim.status.value
        return status

    return job


def units_with_liaisons(community, n: int) -> list[int]:
    """n units with a live agreement in ``community``, each with a liaison; their user ids."""
    return [factories.make_liaison(factories.make_unit(community)).id for _ in range(n)]


def counts(project_id: int) -> tuple[int, int, ProjectStatus]:
    """(projects.approved_count, approved claims counted, project status) as committed."""
    project = db.session.get(Project, project_id)
    approved = db.session.scalar(
        sa.select(sa.func.count()).where(
            Claim.project_id == project_id,
            Claim.status.in_((ClaimStatus.APPROVED, ClaimStatus.FULFILLED)),
        )
    )
    return project.approved_count, approved, project.status


def test_fifty_units_racing_for_two_auto_approved_slots_get_exactly_two(race_app):
    with race_app.app_context():
        community = factories.make_community()
        liaisons = units_with_liaisons(community, CLAIMANTS)
        project_id = factories.make_project(community, slots=2, auto_approve=True).id
        db.session.commit()

    outcomes = kinds(race(race_app, [claim_as(liaison, project_id) for liaison in liaisons]))

    assert outcomes.count("approved") == 2
    refused = [o for o in outcomes if o != "approved"]
    assert set(refused) <= {errors.ProjectFull.code, errors.AlreadyClaimed.code}
    assert len(refused) == CLAIMANTS - 2
    with race_app.app_context():
        assert counts(project_id) == (2, 2, ProjectStatus.CLAIMED)


@pytest.mark.parametrize("auto_approve", [True, False], ids=["auto", "reviewed"])
def test_one_unit_claiming_twenty_times_at_once_holds_one_live_claim(race_app, auto_approve):
    with race_app.app_context():
        community = factories.make_community()
        (liaison,) = units_with_liaisons(community, 1)
        project_id = factories.make_project(community, slots=2, auto_approve=auto_approve).id
        db.session.commit()

    outcomes = kinds(race(race_app, [claim_as(liaison, project_id) for _ in range(20)]))

    assert outcomes.count("approved" if auto_approve else "pending") == 1
    assert outcomes.count(errors.AlreadyClaimed.code) == 19
    with race_app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count()).where(Claim.project_id == project_id, Claim.status.in_(LIVE))
        )
        assert live == 1
        assert counts(project_id)[:2] == ((1, 1) if auto_approve else (0, 0))


def test_concurrent_approvals_never_fill_more_than_the_slots(race_app):
    with race_app.app_context():
        community = factories.make_community()
        secretary_id = factories.make_secretary(community).id
        liaisons = units_with_liaisons(community, 10)
        project_id = factories.make_project(community, slots=2, auto_approve=False).id
        db.session.commit()
    claim_ids = []
    with race_app.app_context():
        for liaison in liaisons:
            actor = db.session.get(factories.User, liaison)
            with unit_of_work(actor):
                claim = service.claim_project(
                    actor, project_id, claimant=ClaimantType.UNIT, now=utcnow()
                )
            claim_ids.append(claim.id)

    outcomes = kinds(
        race(race_app, [as_user(secretary_id, service.approve_claim, c) for c in claim_ids])
    )

    assert outcomes.count("approved") == 2
    assert outcomes.count(errors.ProjectFull.code) == 8
    with race_app.app_context():
        assert counts(project_id) == (2, 2, ProjectStatus.CLAIMED)


@pytest.mark.parametrize("round_", range(5))
def test_withdrawals_racing_approvals_keep_approved_count_true(race_app, round_):
    """Two approved claims withdraw while three pending ones are approved, all at once."""
    with race_app.app_context():
        community = factories.make_community()
        secretary_id = factories.make_secretary(community).id
        liaisons = units_with_liaisons(community, 5)
        project_id = factories.make_project(community, slots=2, auto_approve=False).id
        db.session.commit()
    claim_ids = []
    with race_app.app_context():
        for liaison in liaisons:
            actor = db.session.get(factories.User, liaison)
            with unit_of_work(actor):
                claim = service.claim_project(
                    actor, project_id, claimant=ClaimantType.UNIT, now=utcnow()
                )
            claim_ids.append(claim.id)
        secretary = db.session.get(factories.User, secretary_id)
        with unit_of_work(secretary):
            for claim_id in claim_ids[:2]:
                service.approve_claim(secretary, claim_id, now=utcnow())
        assert counts(project_id) == (2, 2, ProjectStatus.CLAIMED)

    withdraws = [as_user(liaisons[i], service.withdraw_claim, claim_ids[i]) for i in range(2)]
    approvals = [as_user(secretary_id, service.approve_claim, c) for c in claim_ids[2:]]
    outcomes = kinds(race(race_app, withdraws + approvals))

    assert outcomes[:2] == ["withdrawn", "withdrawn"]
    assert set(outcomes[2:]) <= {"approved", errors.ProjectFull.code}
    approved_now = outcomes[2:].count("approved")
    assert 0 <= approved_now <= 2
    with race_app.app_context():
        stored, counted, status = counts(project_id)
        assert stored == counted == approved_now
        assert status is (ProjectStatus.CLAIMED if stored == 2 else ProjectStatus.PUBLISHED)
        lead = db.session.get(Project, project_id).lead_claim_id
        if stored:
            assert db.session.get(Claim, lead).status is ClaimStatus.APPROVED
        else:
            assert lead is None


def test_database_refuses_more_approved_than_slots_even_from_raw_sql(race_app):
    with race_app.app_context():
        project_id = factories.make_project(factories.make_community(), slots=2).id
        db.session.commit()
        with db.engine.connect() as connection, pytest.raises(sa.exc.IntegrityError) as refused:
            connection.execute(
                sa.text("UPDATE projects SET approved_count = slots + 1 WHERE id = :id"),
                {"id": project_id},
            )
        assert refused.value.orig.diag.constraint_name == "ck_projects_approved_within_slots"


def test_database_refuses_a_second_live_claim_even_from_raw_sql(race_app):
    with race_app.app_context():
        community = factories.make_community()
        unit = factories.make_unit(community)
        project_id = factories.make_project(community).id
        unit_id = unit.id
        db.session.commit()
    insert = sa.text(
        "INSERT INTO claims (project_id, claimant_type, unit_id, claimant_key, status, note,"
        " decision_reason, created_at) VALUES (:project, 'unit', :unit, :key, :status, '', '',"
        " now())"
    )
    row = {"project": project_id, "unit": unit_id, "key": f"unit:{unit_id}"}
    with race_app.app_context(), db.engine.connect() as connection:
        connection.execute(insert, {**row, "status": "withdrawn"})  # ended claims do not count
        connection.execute(insert, {**row, "status": "pending"})
        with pytest.raises(sa.exc.IntegrityError) as refused:
            connection.execute(insert, {**row, "status": "approved"})
        assert refused.value.orig.diag.constraint_name == "uq_claims_live_per_claimant"
        connection.rollback()


def test_one_unit_racing_across_projects_stays_within_its_open_claims(race_app):
    with race_app.app_context():
        community = factories.make_community()
        community.max_open_claims = 2
        liaison = factories.make_liaison(factories.make_unit(community))
        projects = [factories.make_project(community, auto_approve=True) for _ in range(8)]
        ids = (liaison.id, [p.id for p in projects])
        db.session.commit()

    outcomes = kinds(race(race_app, [claim_as(ids[0], project_id) for project_id in ids[1]]))
    assert outcomes.count("approved") == 2
    assert outcomes.count("too_many_open_claims") == 6
