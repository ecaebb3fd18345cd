"""Who runs the 积分超市 and who may redeem. Services raise on these; pages show a button only
where they allow it, so each rule is written here once."""

from coop.alliance.permissions import managed_community_ids
from coop.auth.models import Role, User
from coop.rewards.models import REDEMPTION_FLOW, Redemption, RewardItem


def staff_community_ids(actor: User | None) -> set[int]:
    """The communities whose supermarket the actor runs: the secretary's, and those where she
    holds the supermarket staff role."""
    if actor is None:
        return set()
    return managed_community_ids(actor) | {
        g.community_id for g in actor.grants_of(Role.SUPERMARKET_STAFF)
    }


def can_run_supermarket(actor: User | None, community_id: int) -> bool:
    """Stock the shelf, hand items over and see everyone's redemptions."""
    return community_id in staff_community_ids(actor)


def can_grant_staff(actor: User | None, community_id: int) -> bool:
    """Only the secretary names the supermarket's staff."""
    return community_id in managed_community_ids(actor)


def is_volunteer_of(actor: User | None, community_id: int) -> bool:
    return actor is not None and any(
        g.community_id == community_id for g in actor.grants_of(Role.VOLUNTEER)
    )


def can_redeem(actor: User | None, item: RewardItem) -> bool:
    """The community's volunteers spend their points in its supermarket."""
    return is_volunteer_of(actor, item.community_id)


def is_own(actor: User | None, redemption: Redemption) -> bool:
    return actor is not None and redemption.volunteer_id == actor.id


def can_view_redemption(actor: User | None, redemption: Redemption) -> bool:
    return is_own(actor, redemption) or can_run_supermarket(actor, redemption.community_id)


def can_pickup(actor: User | None, redemption: Redemption) -> bool:
    """Staff hand items over, never to themselves: a second person sees every handover."""
    return (
        REDEMPTION_FLOW.can(redemption, "pickup")
        and can_run_supermarket(actor, redemption.community_id)
        and not is_own(actor, redemption)
    )


def can_cancel(actor: User | None, redemption: Redemption) -> bool:
    """The volunteer cancels her own reservation; staff cancel anyone's, with a reason."""
    return REDEMPTION_FLOW.can(redemption, "cancel") and can_view_redemption(actor, redemption)
