"""The claim's hot path (issue 19): a claim is written once, in its final state, with a fixed
handful of statements, and leaves the session and the audit log as the ORM would have."""

import pytest
import sqlalchemy as sa

from coop.audit import AuditLog
from coop.claims import service
from coop.claims.models import Claim, ClaimantType, ClaimStatus, claim_resources
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.projects.models import ProjectMode, ProjectStatus
from coop.uow import unit_of_work
from tests.factories import (
    make_community,
    make_liaison,
    make_project,
    make_resource,
    make_unit,
    make_volunteer,
)

NOW = utcnow()


@pytest.fixture
def community(ctx):
    return make_community()


def audit_rows(object_type: str, object_id: int) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == str(object_id))
            .order_by(AuditLog.id)
        )
    )


@pytest.mark.parametrize(
    "auto_approve, statements",
    # The project's lock, her unit's membership lock with its agreement and the community's
    # limit (which also shows she belongs to the community: no query of her communities), the
    # unit's open claims, the claim, the slot (auto-approved only), the audit rows.
    [(True, 6), (False, 5)],
    ids=["auto-approved", "reviewed"],
)
def test_a_units_claim_sends_a_fixed_number_of_statements(
    community, count_queries, auto_approve, statements
):
    project = make_project(community, auto_approve=auto_approve)
    liaison = make_liaison(make_unit(community))
    with count_queries() as counted:
        service.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=NOW)
    assert counted.n == statements


@pytest.mark.parametrize(
    "auto_approve, statements",
    # The project's lock, the claim, the slot (auto-approved only), the audit rows: her
    # communities come with her grants.
    [(True, 4), (False, 3)],
    ids=["auto-approved", "reviewed"],
)
def test_a_volunteers_claim_sends_a_fixed_number_of_statements(
    community, count_queries, auto_approve, statements
):
    project = make_project(community, mode=ProjectMode.ROUTINE, slots=1, auto_approve=auto_approve)
    volunteer = make_volunteer(community)
    with count_queries() as counted:
        service.claim_project(volunteer, project.id, claimant=ClaimantType.VOLUNTEER, now=NOW)
    assert counted.n == statements


def test_an_auto_approved_claim_is_logged_created_approved_beside_the_slot_it_took(community):
    project = make_project(community, auto_approve=True, slots=1)
    liaison = make_liaison(make_unit(community))
    with unit_of_work(liaison):
        made = service.claim_project(liaison, project.id, claimant=ClaimantType.UNIT, now=NOW)

    [created] = audit_rows("claims", made.id)
    assert (created.action, created.actor_id, created.community_id) == (
        "create",
        liaison.id,
        community.id,
    )
    assert created.before is None
    assert created.after["status"] == "approved"
    assert created.after["decided_at"] == NOW.isoformat()
    assert created.after["claimant_key"] == f"unit:{made.unit_id}"
    [slot] = [row for row in audit_rows("projects", project.id) if row.actor_id == liaison.id]
    assert (slot.action, slot.community_id) == ("update", community.id)
    assert slot.before == {"status": "published", "approved_count": 0, "lead_claim_id": None}
    assert slot.after == {"status": "claimed", "approved_count": 1, "lead_claim_id": made.id}


def test_the_claim_returned_is_the_row_written_and_the_project_is_current(community):
    project = make_project(community, auto_approve=True)
    version = project.version
    unit = make_unit(community)
    liaison = make_liaison(unit)
    resource = make_resource(unit, community)

    made = service.claim_project(
        liaison,
        project.id,
        claimant=ClaimantType.UNIT,
        now=NOW,
        note="可派 5 名志愿者",
        resource_ids=[resource.id],
    )

    assert made in db.session and made not in db.session.dirty and made not in db.session.new
    assert made.project is project and made.resources == [resource]
    assert (project.approved_count, project.lead_claim_id) == (1, made.id)
    assert project.version == version + 1  # bumped as the ORM would: an open edit form is stale
    kept = db.session.execute(
        sa.select(Claim.__table__).where(Claim.__table__.c.id == made.id)
    ).one()
    assert kept.status == ClaimStatus.APPROVED and kept.note == "可派 5 名志愿者"
    assert kept.created_by_id == liaison.id and kept.decided_at == NOW
    pledged = db.session.scalars(
        sa.select(claim_resources.c.resource_id).where(claim_resources.c.claim_id == made.id)
    ).all()
    assert pledged == [resource.id]
    project.title = "改过的标题"  # the loaded version matches the row: no StaleDataError
    db.session.flush()
    assert project.status is ProjectStatus.PUBLISHED and project.version == version + 2
