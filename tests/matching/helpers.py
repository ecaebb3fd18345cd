"""What the matching tests share: a fixed now, units carrying claims, served 邻里单元, reading
a target's open suggestions of one type, and counting a table's rows."""

from datetime import timedelta

import sqlalchemy as sa

from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.matching import queries
from coop.matching.models import SuggestionStatus, TargetType
from coop.needs.models import Need
from coop.projects.models import Project
from tests.factories import make_project

NOW = utcnow()


def add_claim(project, status: ClaimStatus, *, unit=None, volunteer=None) -> None:
    """A claim on the project by the unit or the volunteer, in that state."""
    kind, claimant = (
        (ClaimantType.UNIT, unit) if unit is not None else (ClaimantType.VOLUNTEER, volunteer)
    )
    db.session.add(
        Claim(
            project_id=project.id,
            claimant_type=kind,
            unit_id=unit.id if unit is not None else None,
            volunteer_id=volunteer.id if volunteer is not None else None,
            claimant_key=f"{kind.value}:{claimant.id}",
            status=status,
        )
    )
    db.session.flush()


def carry_claims(unit, community, n: int) -> None:
    """Give the unit ``n`` approved, undelivered claims on other projects of the community."""
    for _ in range(n):
        project = make_project(
            community, slots=1, approved_count=1, claim_deadline=NOW - timedelta(days=1)
        )
        add_claim(project, ClaimStatus.APPROVED, unit=unit)


def serve(unit, community, neighbourhoods) -> None:
    membership = queries.membership_between(unit.id, community.id)
    db.session.execute(
        queries.membership_neighbourhoods.insert(),
        [{"membership_id": membership.id, "neighbourhood_id": n.id} for n in neighbourhoods],
    )
    db.session.flush()


def suggestions(target, candidate_type):
    """The target's open suggestions of that type, by rank."""
    kind = TargetType.PROJECT if isinstance(target, Project) else TargetType.NEED
    assert isinstance(target, Project | Need)
    found = queries.suggestions_for(
        [(kind, target.id)], candidate_type=candidate_type, status=SuggestionStatus.OPEN
    )
    return found[(kind, target.id)]


def count_rows(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
