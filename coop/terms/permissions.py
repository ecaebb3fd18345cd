"""Who may see a term and who records its deputy, evidence and proposals. The pages show a form
only where these allow it; the service raises on the same predicates."""

from coop.alliance.permissions import managed_community_ids, require, visible_community_ids
from coop.auth.models import User

__all__ = ["can_manage_term", "can_record_proposal", "can_view_term", "require"]


def can_view_term(actor: User | None, community_id: int) -> bool:
    """Everyone of the alliance's community sees its terms and their 六个一 progress."""
    return community_id in visible_community_ids(actor)


def can_manage_term(actor: User | None, community_id: int) -> bool:
    """The community's secretary records the chosen deputy and links the evidence."""
    return community_id in managed_community_ids(actor)


def can_record_proposal(actor: User | None, community_id: int) -> bool:
    """Proposals are formed at the 联盟大会 or a salon; the secretary records them."""
    return community_id in managed_community_ids(actor)
