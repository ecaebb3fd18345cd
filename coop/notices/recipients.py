"""Who is told: the people behind a community, a unit or a claim, as user ids."""

import sqlalchemy as sa

from coop.auth.models import Role, RoleGrant
from coop.extensions import db


def _user_ids(*conditions) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant.user_id).where(*conditions).distinct().order_by(RoleGrant.user_id)
        )
    )


def secretaries(community_id: int) -> list[int]:
    """The community's secretaries and staff (社区书记 and 社区工作者 share the grant)."""
    return _user_ids(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == community_id)


def liaisons(unit_id: int) -> list[int]:
    return _user_ids(RoleGrant.role == Role.UNIT_LIAISON, RoleGrant.unit_id == unit_id)


def claimant(claim) -> list[int]:
    """The volunteer who claimed, the current leaders of the team that did, or the liaisons of
    the unit that did."""
    if claim.volunteer_id is not None:
        return [claim.volunteer_id]
    if claim.team_id is not None:
        return sorted(m.user_id for m in claim.team.members if m.is_leader and m.left_on is None)
    return liaisons(claim.unit_id)
