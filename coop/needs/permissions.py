"""Who may see and handle needs."""

from coop.alliance.models import Community
from coop.alliance.permissions import can_manage_community, can_view_people
from coop.auth.models import Role, User
from coop.needs.models import Need, NeedStatus

PUBLIC_STATUSES = (NeedStatus.LISTED, NeedStatus.IN_PROJECT, NeedStatus.RESOLVED)

# What may be edited in which state (docs/decisions.md, "Day one"): every field of the record
# form while the need is open; once it is in a project, or resolved, only the staff's notes.
OPEN = (NeedStatus.SUBMITTED, NeedStatus.LISTED)
NOTES_ONLY = (NeedStatus.IN_PROJECT, NeedStatus.RESOLVED)
# What a resident may not say about her own need: who she is says it.
REQUESTER_FIELDS = frozenset({"source", "requester_name", "requester_phone", "requester_address"})
NEED_FIELDS = frozenset(
    {
        "neighbourhood_id",
        "title",
        "description",
        "category",
        "beneficiary_group",
        "urgency",
        "notes",
        *REQUESTER_FIELDS,
    }
)
# Her own need, while it waits for the secretary: what her 我要提需求 form asked.
RESIDENT_FIELDS = frozenset({"neighbourhood_id", "title", "description", "category", "urgency"})


def can_manage_needs(actor: User | None, community: Community) -> bool:
    """The community's secretary records, lists, rejects, resolves and closes its needs."""
    return can_manage_community(actor, community)


def can_see_all_needs(actor: User | None, community: Community) -> bool:
    """Staff and the street see every need; others see the public list and their own."""
    return can_view_people(actor, community)


def can_reveal_requester(actor: User | None, need: Need) -> bool:
    """Only the community's staff may see a requester's full phone and address, with a reason."""
    return can_manage_community(actor, need.community)


def can_submit_need(actor: User | None, community: Community) -> bool:
    """A resident (or volunteer) of the community raises her own need."""
    return actor is not None and any(
        g.community_id == community.id
        for g in actor.grants
        if g.role in (Role.RESIDENT, Role.VOLUNTEER)
    )


def is_requester(actor: User | None, need: Need) -> bool:
    return actor is not None and need.requester_id == actor.id


def need_edit_fields(actor: User | None, need: Need) -> frozenset[str]:
    """What the actor may change in the need in its current state (empty: nothing). Staff edit
    an open need whole (a resident's own submission keeps its source and requester) and later
    only the notes; the requester edits hers while it still waits for the secretary."""
    if can_manage_needs(actor, need.community):
        if need.status in OPEN:
            return NEED_FIELDS - REQUESTER_FIELDS if need.requester_id else NEED_FIELDS
        return frozenset({"notes"}) if need.status in NOTES_ONLY else frozenset()
    if is_requester(actor, need) and need.status is NeedStatus.SUBMITTED:
        return RESIDENT_FIELDS
    return frozenset()


def can_edit_need(actor: User | None, need: Need) -> bool:
    """Whether the need's 编辑 page has anything for the actor to change now."""
    return bool(need_edit_fields(actor, need))


def can_rate_need(actor: User | None, need: Need) -> bool:
    """The requester rates her own need's resolution herself."""
    return is_requester(actor, need)


def can_rate_on_behalf(actor: User | None, need: Need) -> bool:
    """代评: the community's staff rate for a requester who has no account (she rang or came to
    the hall); a resident with an account rates herself, so staff cannot speak for her."""
    return need.requester_id is None and can_manage_needs(actor, need.community)
