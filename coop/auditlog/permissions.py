"""Who reads a community's record of changes: its secretaries and staff, and its street's admins."""

from coop.alliance import permissions as alliance_permissions
from coop.alliance.models import Community
from coop.auth.models import Role, User
from coop.errors import Forbidden


def can_read_audit(actor: User | None, community: Community) -> bool:
    """The community's secretary (and staff holding that grant) or an admin of its street."""
    if alliance_permissions.can_manage_community(actor, community):
        return True
    return actor is not None and any(
        grant.street_id == community.street_id for grant in actor.grants_of(Role.STREET_ADMIN)
    )


def require(allowed: bool) -> None:
    """:raise Forbidden: unless ``allowed``."""
    if not allowed:
        raise Forbidden()
